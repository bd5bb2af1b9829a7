// Package plan is the engine's second stage, PostgREST's Plan.hs@v16.2:
// from an ApiRequest and the schema cache it builds a Plan value — what to
// do (read, mutate, call, inspect, info), the read plan tree that shapes
// the response, the negotiated media type and its handler, and the
// transaction mode. The SQL, transaction and response stages only read
// the plan. No database.
package plan

import (
	"regexp"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/mediatype"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// Kind is the kind of a plan (Plan.hs CrudPlan, InspectPlan, InfoPlan).
type Kind int

// Plan kinds.
const (
	WrappedRead Kind = iota // GET/HEAD on a relation
	MutateRead              // POST/PUT/PATCH/DELETE on a relation
	CallRead                // a function call
	Inspect                 // GET/HEAD / (the OpenAPI document)
	RelInfo                 // OPTIONS on a relation
	RoutineInfo             // OPTIONS on a function
	SchemaInfo              // OPTIONS /
)

// Plan is what the later stages execute and answer.
type Plan struct {
	Kind Kind
	// Explain: the media type is application/vnd.pgrst.plan (EXPLAIN).
	Explain bool
	Read    *ReadPlan   // WrappedRead, MutateRead, CallRead
	Mutate  *MutatePlan // MutateRead
	Call    *CallPlan   // CallRead
	// ReadOnly is the transaction mode (READ ONLY vs READ WRITE).
	ReadOnly bool
	Handler  Handler
	Media    mediatype.MediaType
	// HeadersOnly is HEAD.
	HeadersOnly bool
	Mutation    apirequest.Mutation
	// QI is the relation (or, for a call, the function) of the request.
	QI QI
	// Proc is the called function (CallRead, RoutineInfo).
	Proc *schemacache.Function
	// InvRead is a function called with GET/HEAD.
	InvRead bool
	// Schema is the inspected schema (Inspect).
	Schema string
	// Allow is the Allow header of an info plan.
	Allow string
	// funcSettings are the called function's hoisted settings.
	funcSettings [][2]string
	// LegacyNames are the embeds referenced by relation name although
	// aliased (relation, alias), for the Warning header.
	LegacyNames [][2]string
}

// Options are the configuration values the planner needs.
type Options struct {
	MaxRows           int  // db-max-rows, 0 = unlimited
	AggregatesEnabled bool // db-aggregates-enabled
	PlanEnabled       bool // db-plan-enabled
	// LegacyTargetNames is url-use-legacy-target-names: an aliased embed
	// may still be referenced by its relation name (with a warning).
	LegacyTargetNames bool
	// HoistedTxSettings is db-hoisted-tx-settings.
	HoistedTxSettings []string
}

// Build plans a request (Plan.hs actionPlan).
func Build(a *apirequest.ApiRequest, sc *schemacache.Cache, o Options) (*Plan, *apierr.Error) {
	qi := QI{Schema: a.Schema, Name: a.Target}
	switch a.Action {
	case apirequest.RelationRead:
		return wrappedReadPlan(qi, a, sc, o)
	case apirequest.RelationMut:
		return mutateReadPlan(qi, a, sc, o)
	case apirequest.Routine:
		return callReadPlan(qi, a, sc, o)
	case apirequest.SchemaRead:
		return inspectPlan(a)
	case apirequest.RelationInfo:
		return relInfoPlan(qi, sc)
	case apirequest.RoutineInfo:
		p, e := callReadPlan(qi, a, sc, o)
		if e != nil {
			return nil, e
		}
		allow := "OPTIONS,GET,HEAD,POST"
		if p.Proc.Volatility == "v" {
			allow = "OPTIONS,POST"
		}
		return &Plan{Kind: RoutineInfo, Proc: p.Proc, QI: qi, Allow: allow}, nil
	}
	return &Plan{Kind: SchemaInfo, Allow: "OPTIONS,GET,HEAD"}, nil
}

// wrappedReadPlan: the read plan, content negotiation, then the strict
// preferences check (Plan.hs wrappedReadPlan).
func wrappedReadPlan(qi QI, a *apirequest.ApiRequest, sc *schemacache.Cache, o Options) (*Plan, *apierr.Error) {
	if e := findTable(qi, sc); e != nil {
		return nil, e
	}
	rp, e := readPlan(qi, a, sc, o)
	if e != nil {
		return nil, e
	}
	h, mt, e := negotiate(a, qi, sc, hasDefaultSelect(rp), o)
	if e != nil {
		return nil, e
	}
	if e := a.Prefs.StrictError(); e != nil {
		return nil, e
	}
	return &Plan{Kind: WrappedRead, Read: rp, ReadOnly: true, Handler: h, Media: mt, Explain: mt.Kind == mediatype.VndPlan,
		HeadersOnly: a.HeadersOnly, QI: qi, LegacyNames: legacyNames(rp)}, nil
}

// mutateReadPlan: the read plan, the mutation, the strict preferences
// check, then content negotiation (Plan.hs mutateReadPlan).
func mutateReadPlan(qi QI, a *apirequest.ApiRequest, sc *schemacache.Cache, o Options) (*Plan, *apierr.Error) {
	if e := findTable(qi, sc); e != nil {
		return nil, e
	}
	rp, e := readPlan(qi, a, sc, o)
	if e != nil {
		return nil, e
	}
	mp, e := mutatePlan(qi, a, sc, rp)
	if e != nil {
		return nil, e
	}
	if e := a.Prefs.StrictError(); e != nil {
		return nil, e
	}
	h, mt, e := negotiate(a, qi, sc, hasDefaultSelect(rp), o)
	if e != nil {
		return nil, e
	}
	return &Plan{Kind: MutateRead, Read: rp, Mutate: mp, Handler: h, Media: mt, Explain: mt.Kind == mediatype.VndPlan,
		Mutation: a.Mutation, QI: qi, LegacyNames: legacyNames(rp)}, nil
}

// inspectPlan answers the root with the OpenAPI document: openapi+json,
// JSON or */* anywhere in Accept (Plan.hs inspectPlan).
func inspectPlan(a *apirequest.ApiRequest) (*Plan, *apierr.Error) {
	for _, m := range a.Accept {
		switch m.Kind {
		case mediatype.OpenAPI, mediatype.JSON, mediatype.Any:
			return &Plan{Kind: Inspect, ReadOnly: true, Media: mediatype.MTOpenAPI, HeadersOnly: a.HeadersOnly, Schema: a.Schema}, nil
		}
	}
	return nil, notAcceptable(a.Accept)
}

// relInfoPlan lists the methods a relation allows (Response.hs
// RelInfoPlan).
func relInfoPlan(qi QI, sc *schemacache.Cache) (*Plan, *apierr.Error) {
	t, ok := sc.Table(qi.Schema, qi.Name)
	if !ok {
		return nil, tableNotFound(qi, sc)
	}
	allow := "OPTIONS,GET,HEAD"
	if t.Insertable {
		allow += ",POST"
	}
	if t.Insertable && t.Updatable && len(t.PKColumns()) > 0 {
		allow += ",PUT"
	}
	if t.Updatable {
		allow += ",PATCH"
	}
	if t.Deletable {
		allow += ",DELETE"
	}
	return &Plan{Kind: RelInfo, QI: qi, Allow: allow}, nil
}

func findTable(qi QI, sc *schemacache.Cache) *apierr.Error {
	if _, ok := sc.Table(qi.Schema, qi.Name); !ok {
		return tableNotFound(qi, sc)
	}
	return nil
}

// hasDefaultSelect is select=* without embeds (Plan.hs hasDefaultSelect).
func hasDefaultSelect(rp *ReadPlan) bool {
	return len(rp.Children) == 0 && len(rp.Select) == 1 && rp.Select[0].Field.Name == "*"
}

// Isolation is the BEGIN isolation level the plan asks for: the called
// function's SET default_transaction_isolation ("" = the role's).
func (p *Plan) Isolation() string {
	if p.Kind == CallRead && p.Proc != nil {
		return p.Proc.Isolation()
	}
	return ""
}

// FuncSettings are the called function's SET options that match one of
// db-hoisted-tx-settings (as regular expressions, SchemaCache.hs
// funcsSqlQuery "setting ~ ANY"), applied in the transaction (PreQuery.hs
// funcSettingsSql).
func (p *Plan) FuncSettings() [][2]string { return p.funcSettings }

func hoisted(f *schemacache.Function, patterns []string) [][2]string {
	var out [][2]string
	for _, kv := range f.Config {
		for _, pat := range patterns {
			re, err := regexp.Compile(pat)
			if err == nil && re.MatchString(kv) {
				k, v, _ := strings.Cut(kv, "=")
				out = append(out, [2]string{k, v})
				break
			}
		}
	}
	return out
}

// legacyNames lists the embeds a filter, order or limit named by their
// relation although they have an alias (Plan.hs legacyWarnings).
func legacyNames(rp *ReadPlan) [][2]string {
	var out [][2]string
	rp.Walk(func(n *ReadPlan) {
		if n.RelIsLegacyTargetNameMatch && n.RelAlias != "" {
			out = append(out, [2]string{n.RelName, n.RelAlias})
		}
	})
	return out
}
