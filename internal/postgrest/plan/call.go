package plan

import (
	"sort"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/fuzzy"
	"github.com/authstack/authstack/internal/postgrest/mediatype"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// CallPlan is a function call (Plan/CallPlan.hs@v16.2).
type CallPlan struct {
	Func QI
	// OnePos is the single unnamed parameter the whole body binds to; else
	// Params are the named parameters given, in declaration order.
	OnePos *schemacache.Param
	Params []schemacache.Param
	// Direct holds the arguments of GET and urlencoded POST; otherwise the
	// JSON body (JSONArgs; nil when there is none) binds them.
	Direct       map[string]ArgValue
	DirectArgs   bool
	JSONArgs     []byte
	JSONIsObject bool
	Scalar       bool // returns a single scalar
	SetOfScalar  bool
	FilterFields []string // the read plan's filter fields, sorted
	Returning    []string // what the read plan needs, sorted
}

// ArgValue is one argument: a value, or the values of a VARIADIC
// parameter given repeatedly (CallPlan.hs RpcParamValue).
type ArgValue struct {
	Variadic bool
	Values   []string
}

// callReadPlan finds the function, builds the read plan of its result
// (named after the table it returns, so results can embed), the call, the
// media type; then the strict checks (Plan.hs callReadPlan).
func callReadPlan(qi QI, a *apirequest.ApiRequest, sc *schemacache.Cache, o Options) (*Plan, *apierr.Error) {
	keys := a.Columns
	if a.InvRead {
		keys = argKeys(a)
	}
	proc, e := findProc(qi, keys, sc, a.ContentType, !a.InvRead)
	if e != nil {
		return nil, e
	}
	relName := proc.Name
	if t := proc.TableName(); t != "" {
		relName = t
	}
	relQI := QI{Schema: proc.Schema, Name: relName}
	rp, e := readPlan(relQI, a, sc, o)
	if e != nil {
		return nil, e
	}
	readOnly := a.InvRead || proc.Volatility != "v"
	cp := callPlan(proc, keys, a, rp)
	h, mt, e := negotiate(a, relQI, sc, hasDefaultSelect(rp), o)
	if e != nil {
		return nil, e
	}
	if e := a.Prefs.StrictError(); e != nil {
		return nil, e
	}
	if a.Prefs.MaxAffected != nil && a.Prefs.Handling == "strict" && proc.ReturnsSingle() {
		return nil, apierr.MaxAffectedNotSetof()
	}
	return &Plan{Kind: CallRead, Read: rp, Call: cp, ReadOnly: readOnly, Proc: proc, Handler: h, Media: mt,
		Explain: mt.Kind == mediatype.VndPlan, InvRead: a.InvRead, HeadersOnly: a.HeadersOnly, QI: qi,
		funcSettings: hoisted(proc, o.HoistedTxSettings), LegacyNames: legacyNames(rp)}, nil
}

// argKeys are the names of the query-string arguments, sorted.
func argKeys(a *apirequest.ApiRequest) []string {
	set := map[string]bool{}
	for _, kv := range a.Query.Args {
		set[kv.Name] = true
	}
	return sortedSet(set)
}

func sortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func callPlan(proc *schemacache.Function, keys []string, a *apirequest.ApiRequest, rp *ReadPlan) *CallPlan {
	cp := &CallPlan{Func: QI{Schema: proc.Schema, Name: proc.Name}, Scalar: proc.ReturnsScalar(), SetOfScalar: proc.ReturnsSetOfScalar()}
	given := map[string]bool{}
	for _, k := range keys {
		given[k] = true
	}
	if len(proc.Params) == 1 && proc.Params[0].Name == "" {
		cp.OnePos = &proc.Params[0]
	} else {
		for _, p := range proc.Params {
			if given[p.Name] {
				cp.Params = append(cp.Params, p)
			}
		}
	}
	switch {
	case a.InvRead:
		cp.DirectArgs = true
		cp.Direct = toRPCParams(proc, queryArgs(a))
	case a.ContentType.Kind == mediatype.URLEncoded:
		cp.DirectArgs = true
		if a.Payload != nil {
			cp.Direct = toRPCParams(proc, a.Payload.Pairs)
		}
	case a.Payload != nil:
		cp.JSONArgs, cp.JSONIsObject = a.Payload.Raw, a.Payload.IsJSONObject()
	}
	fields := map[string]bool{}
	rp.Walk(func(n *ReadPlan) {
		for _, w := range n.Where {
			logicFieldNames(w, fields)
		}
	})
	cp.FilterFields = sortedSet(fields)
	cp.Returning = inferColsEmbedNeeds(rp, nil)
	return cp
}

func queryArgs(a *apirequest.ApiRequest) [][2]string {
	out := make([][2]string, len(a.Query.Args))
	for i, kv := range a.Query.Args {
		out[i] = [2]string{kv.Name, kv.Value}
	}
	return out
}

func logicFieldNames(t LogicTree, out map[string]bool) {
	if t.Filter != nil {
		out[t.Filter.Field.Name] = true
		return
	}
	for _, c := range t.Children {
		logicFieldNames(c, out)
	}
}

// toRPCParams binds name/value pairs: the last value of a repeated name
// wins, except for the VARIADIC parameter, which collects them all in
// order (CallPlan.hs toRpcParams).
func toRPCParams(proc *schemacache.Function, pairs [][2]string) map[string]ArgValue {
	variadic := map[string]bool{}
	for _, p := range proc.Params {
		if p.Variadic {
			variadic[p.Name] = true
		}
	}
	out := map[string]ArgValue{}
	for _, kv := range pairs {
		if variadic[kv[0]] {
			v := out[kv[0]]
			v.Variadic = true
			v.Values = append(v.Values, kv[1])
			out[kv[0]] = v
			continue
		}
		out[kv[0]] = ArgValue{Values: []string{kv[1]}}
	}
	return out
}

// findProc picks the overload whose parameters match the argument names;
// with none, a POST may call a function with a single unnamed parameter
// of the body's type (Plan.hs findProc).
func findProc(qi QI, keys []string, sc *schemacache.Cache, ct mediatype.MediaType, isInvPost bool) (*schemacache.Function, *apierr.Error) {
	overloads := sc.Functions[qi.Schema][qi.Name]
	var matches, fallbacks []*schemacache.Function
	for _, f := range overloads {
		switch {
		case matchesParams(f, keys, ct, isInvPost):
			matches = append(matches, f)
		case hasSingleUnnamedParam(f, ct, isInvPost):
			fallbacks = append(fallbacks, f)
		}
	}
	switch {
	case len(matches) == 1:
		return matches[0], nil
	case len(matches) > 1:
		return nil, ambiguousRPC(matches)
	case len(fallbacks) == 1:
		return fallbacks[0], nil
	case len(fallbacks) > 1:
		return nil, ambiguousRPC(fallbacks)
	}
	return nil, noRPC(qi, keys, ct, isInvPost, sc, overloads)
}

func hasSingleUnnamedParam(f *schemacache.Function, ct mediatype.MediaType, isInvPost bool) bool {
	if !isInvPost || len(f.Params) != 1 || f.Params[0].Name != "" {
		return false
	}
	switch t := f.Params[0].Type; ct.Kind {
	case mediatype.JSON:
		return t == "json" || t == "jsonb"
	case mediatype.TextPlain:
		return t == "text"
	case mediatype.TextXML:
		return t == "xml"
	case mediatype.OctetStream:
		return t == "bytea"
	}
	return false
}

func matchesParams(f *schemacache.Function, keys []string, ct mediatype.MediaType, isInvPost bool) bool {
	if len(f.Params) == 0 {
		raw := ct.Kind == mediatype.OctetStream || ct.Kind == mediatype.TextPlain || ct.Kind == mediatype.TextXML
		return len(keys) == 0 && !(isInvPost && raw)
	}
	given := map[string]bool{}
	for _, k := range keys {
		given[k] = true
	}
	req, opt := map[string]bool{}, map[string]bool{}
	for _, p := range f.Params {
		if p.Required {
			req[p.Name] = true
		} else {
			opt[p.Name] = true
		}
	}
	// The given keys without the optional ones must be exactly the
	// required parameters.
	n := 0
	for k := range given {
		if opt[k] {
			continue
		}
		if !req[k] {
			return false
		}
		n++
	}
	return n == len(req)
}

func ambiguousRPC(fs []*schemacache.Function) *apierr.Error {
	parts := make([]string, len(fs))
	for i, f := range fs {
		ps := make([]string, len(f.Params))
		for j, p := range f.Params {
			ps[j] = p.Name + " => " + p.Type
		}
		parts[i] = f.Schema + "." + f.Name + "(" + strings.Join(ps, ", ") + ")"
	}
	return apierr.AmbiguousFunction(strings.Join(parts, ", "))
}

// noRPC is 404 PGRST202 with PostgREST's message, details and hint
// (Error.hs NoRpc, noRpcHint).
func noRPC(qi QI, keys []string, ct mediatype.MediaType, isInvPost bool, sc *schemacache.Cache, overloads []*schemacache.Function) *apierr.Error {
	fn := qi.Schema + "." + qi.Name
	singleOnly := isInvPost && (ct.Kind == mediatype.TextPlain || ct.Kind == mediatype.TextXML || ct.Kind == mediatype.OctetStream)
	prms := strings.Join(keys, ", ")
	msg := "Could not find the function " + fn
	if !singleOnly {
		if len(keys) == 0 {
			msg += " without parameters"
		} else {
			msg += "(" + prms + ")"
		}
	}
	msg += " in the schema cache"
	fmtPrms := " without parameters"
	if len(keys) > 1 {
		fmtPrms = " with parameters " + prms
	} else if len(keys) == 1 {
		fmtPrms = " with parameter " + prms
	}
	det := "Searched for the function " + fn
	switch {
	case isInvPost && ct.Kind == mediatype.TextPlain:
		det += " with a single unnamed text parameter"
	case isInvPost && ct.Kind == mediatype.TextXML:
		det += " with a single unnamed xml parameter"
	case isInvPost && ct.Kind == mediatype.OctetStream:
		det += " with a single unnamed bytea parameter"
	case isInvPost && ct.Kind == mediatype.JSON:
		det += fmtPrms + " or with a single unnamed json/jsonb parameter"
	default:
		det += fmtPrms
	}
	det += ", but no matches were found in the schema cache."
	hint := ""
	if !singleOnly {
		hint = noRPCHint(qi, keys, sc, overloads)
	}
	return apierr.NoFunction(msg, det, hint)
}

func noRPCHint(qi QI, keys []string, sc *schemacache.Cache, overloads []*schemacache.Function) string {
	if len(overloads) == 0 {
		if best, ok := fuzzy.New(sc.FunctionNames(qi.Schema)).Best(qi.Name, hintMinScore); ok {
			return "Perhaps you meant to call the function " + qi.Schema + "." + best
		}
		return ""
	}
	listToText := func(names []string) string {
		n := append([]string(nil), names...)
		sort.Strings(n)
		return "(" + strings.Join(n, ", ") + ")"
	}
	cands := make([]string, len(overloads))
	for i, f := range overloads {
		names := make([]string, len(f.Params))
		for j, p := range f.Params {
			names[j] = p.Name
		}
		cands[i] = listToText(names)
	}
	if best, ok := fuzzy.New(cands).Best(listToText(keys), defaultMinScore); ok {
		return "Perhaps you meant to call the function " + qi.Schema + "." + qi.Name + best
	}
	return ""
}
