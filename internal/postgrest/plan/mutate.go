package plan

import (
	"sort"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// MutatePlan is an INSERT (POST, PUT), UPDATE or DELETE
// (Plan/MutatePlan.hs@v16.2).
type MutatePlan struct {
	Mutation apirequest.Mutation
	Table    QI
	// Cols are the payload's columns with their types (INSERT, UPDATE).
	Cols []CoercibleField
	// Body is the JSON payload; BodyIsObject selects json_to_record.
	Body         []byte
	BodyIsObject bool
	// OnConflict is the upsert of an INSERT: Resolution is
	// "merge-duplicates" or "ignore-duplicates", on ConflictCols.
	OnConflict   bool
	Resolution   string
	ConflictCols []string
	// Where: the PUT's key conditions, or the UPDATE/DELETE filters.
	Where     []LogicTree
	Returning []string
	// PKCols are the primary key of a POST's relation (for Location).
	PKCols        []string
	ApplyDefaults bool // Prefer: missing=default
}

// IsInsert is POST or PUT.
func (m *MutatePlan) IsInsert() bool {
	return m.Mutation == apirequest.MutationCreate || m.Mutation == apirequest.MutationSingleUpsert
}

// IsPut is PUT (an INSERT with key conditions).
func (m *MutatePlan) IsPut() bool { return m.Mutation == apirequest.MutationSingleUpsert }

// mutatePlan plans the write (Plan.hs mutatePlan): the payload columns
// must exist (PGRST204), PUT must filter on exactly the primary key with
// eq (PGRST105).
func mutatePlan(qi QI, a *apirequest.ApiRequest, sc *schemacache.Cache, rp *ReadPlan) (*MutatePlan, *apierr.Error) {
	t, _ := sc.Table(qi.Schema, qi.Name)
	ctx := resolver{sc: sc, qi: qi}
	pk := t.PKColumns()
	m := &MutatePlan{Mutation: a.Mutation, Table: qi, ApplyDefaults: a.Prefs.Missing == "default"}
	if a.Payload != nil {
		m.Body, m.BodyIsObject = a.Payload.Raw, a.Payload.IsJSONObject()
	}
	if r := a.Prefs.Return; r == "representation" || r == "headers-only" {
		m.Returning = inferColsEmbedNeeds(rp, pk)
	}
	// The root filters and logic trees, filters first (Plan.hs
	// combinedLogic).
	var where []LogicTree
	for _, f := range a.Query.Filters {
		if len(f.Path) == 0 {
			where = append(where, LogicTree{Filter: ptr(ctx.filter(f))})
		}
	}
	for _, l := range a.Query.Logic {
		if len(l.Path) == 0 {
			where = append(where, ctx.logic(l.Tree))
		}
	}
	switch a.Mutation {
	case apirequest.MutationDelete:
		m.Where = where
		return m, nil
	case apirequest.MutationSingleUpsert:
		if !putMatchesPK(a, pk) {
			return nil, apierr.PutMatchingPK()
		}
		m.Where, m.OnConflict, m.Resolution, m.ConflictCols = where, true, "merge-duplicates", pk
	case apirequest.MutationUpdate:
		m.Where = where
	default:
		m.PKCols = pk
		if r := a.Prefs.Resolution; r != "" {
			m.OnConflict, m.Resolution, m.ConflictCols = true, r, pk
			if a.Query.OnConflict != nil {
				m.ConflictCols = a.Query.OnConflict
			}
		}
	}
	for _, name := range a.Columns {
		c, ok := t.Column(name)
		if !ok {
			return nil, apierr.ColumnNotFound(name, t.Name)
		}
		m.Cols = append(m.Cols, CoercibleField{Name: c.Name, IRType: c.Type, BaseType: c.BaseType, Default: c.Default})
	}
	if a.Mutation == apirequest.MutationSingleUpsert {
		m.ApplyDefaults = false
	}
	return m, nil
}

// putMatchesPK: no logic trees, the filter names are exactly the primary
// key, all root filters plain eq (Plan.hs MutationSingleUpsert).
func putMatchesPK(a *apirequest.ApiRequest, pk []string) bool {
	if len(a.Query.Logic) > 0 || len(pk) == 0 {
		return false
	}
	keys := map[string]bool{}
	for _, k := range a.Query.FilterKeys {
		keys[k] = true
	}
	if len(keys) != len(pk) {
		return false
	}
	for _, c := range pk {
		if !keys[c] {
			return false
		}
	}
	for _, f := range a.Query.Filters {
		o := f.Operation
		if len(f.Path) == 0 && (o.Op != "eq" || o.Negated || o.Quantifier != "") {
			return false
		}
	}
	return true
}

// inferColsEmbedNeeds are the columns a mutation or call returns so that
// the read plan can shape and embed them (Plan.hs inferColsEmbedNeeds):
// "*" when selected, else the selected columns, the join columns of the
// embeds and the primary key; "*" with a computed relationship.
func inferColsEmbedNeeds(rp *ReadPlan, pk []string) []string {
	set := map[string]bool{}
	for _, s := range rp.Select {
		set[s.Field.Name] = true
	}
	if set["*"] {
		return []string{"*"}
	}
	for _, c := range rp.Children {
		r := c.RelToParent
		switch {
		case r == nil:
		case r.Computed:
			return []string{"*"}
		case r.Cardinality == schemacache.M2M:
			for _, p := range r.Junction.ColsSource {
				set[p.Col] = true
			}
		default:
			for _, p := range r.Columns {
				set[p.Col] = true
			}
		}
	}
	for _, k := range pk {
		set[k] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
