package query

import "sort"

// CheckUnsupported reports the PostgREST error for features this engine does
// not implement, in the order PostgREST's planner (Plan.hs readPlan) would
// raise them, so that no such request is silently answered:
//
//  1. a filter, order, limit/offset or logic tree on an embed path, or an
//     order on a related column rel(col), whose resource is not embedded in
//     select → 400 PGRST108;
//  2. resource embedding or spread (rel(…), ...rel(…)) → 400 PGRST200
//     "Could not find a relationship between '<parent>' and '<rel>' in the
//     schema cache" (embedding is never resolved here);
//  3. an order on a related column rel(col) of a non-embedded rel → PGRST108;
//  4. aggregates (count(), col.sum(), …) → 400 PGRST123 (db-aggregates-enabled
//     defaults to false).
//
// parent is the name PostgREST uses as the origin of the relationship: the
// table or view name, or for RPC the name of the function's return table
// (else the function name). schema is the request schema.
func (p *Params) CheckUnsupported(parent, schema string) *Error {
	embedded := map[string]bool{}
	for _, s := range p.Select {
		if s.Kind == SelectField {
			continue
		}
		name := s.Relation
		if s.Alias != "" {
			name = s.Alias
		}
		embedded[name] = true
	}
	check := func(path []string) *Error {
		if len(path) > 0 && !embedded[path[0]] {
			return ErrNotEmbedded(path[0])
		}
		return nil
	}
	for _, f := range p.Filters {
		if e := check(f.Path); e != nil {
			return e
		}
	}
	for _, o := range p.Order {
		if e := check(o.Path); e != nil {
			return e
		}
	}
	keys := make([]string, 0, len(p.Ranges))
	for k := range p.Ranges {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "limit" {
			continue
		}
		tp, err := runParser(theGrammar().treePath, "", "", k)
		if err != nil {
			continue
		}
		t := tp.(treePathResult)
		// "rel.limit": the path is everything but the last word.
		if e := check(append(t.path, t.field.Name)[:len(t.path)]); e != nil {
			return e
		}
	}
	for _, l := range p.Logic {
		if e := check(l.Path); e != nil {
			return e
		}
	}
	for _, s := range p.Select {
		if s.Kind != SelectField {
			return ErrNoRelationship(parent, s.Relation, s.Hint, schema)
		}
	}
	for _, o := range p.Order {
		if len(o.Path) > 0 {
			continue
		}
		for _, t := range o.Terms {
			if t.Relation != "" && !embedded[t.Relation] {
				return ErrNotEmbedded(t.Relation)
			}
		}
	}
	for _, s := range p.Select {
		if s.Aggregate != "" {
			return ErrAggregatesNotAllowed()
		}
	}
	return nil
}
