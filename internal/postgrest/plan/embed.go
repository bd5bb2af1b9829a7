package plan

import (
	"strconv"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// findRel finds the relationship of /origin?select=target!hint(…)
// (Plan.hs findRel): target is a table or view, or (deprecated) a foreign
// key constraint or column; hint is a constraint, a column of either side
// or a junction table. None is PGRST200, several are 300 PGRST201.
func findRel(schema string, sc *schemacache.Cache, origin, target, hint string) (*schemacache.Relationship, *apierr.Error) {
	all := sc.Relationships[schemacache.RelKey{Origin: QI{Schema: schema, Name: origin}, Schema: schema}]
	var rels []*schemacache.Relationship
	for _, r := range all {
		if relMatches(r, target, hint) {
			rels = append(rels, r)
		}
	}
	switch len(rels) {
	case 1:
		return rels[0], nil
	case 0:
		return nil, apierr.NoRelationship(origin, target, hint, schema, noRelHint(sc, schema, origin, target))
	}
	hints := make([]string, len(rels))
	for i, r := range rels {
		name := r.Constraint
		if r.Cardinality == schemacache.M2M {
			name = r.Junction.Table.Name
		}
		hints[i] = "'" + r.ForeignTable.Name + "!" + name + "'"
	}
	return nil, apierr.AmbiguousRelationship(origin, target, compressedRels(rels), hints)
}

func relMatches(r *schemacache.Relationship, target, hint string) bool {
	if r.Computed {
		return target == r.Function.Name
	}
	single := func(f func(schemacache.ColPair) string) string {
		if r.Cardinality == schemacache.M2M || len(r.Columns) != 1 {
			return "\x00"
		}
		return f(r.Columns[0])
	}
	col := single(func(c schemacache.ColPair) string { return c.Col })
	fcol := single(func(c schemacache.ColPair) string { return c.FCol })
	cons := "\x00"
	if r.Cardinality != schemacache.M2M {
		cons = r.Constraint
	}
	toTable := target == r.ForeignTable.Name
	if r.IsSelf {
		if hint == "" {
			return toTable && r.Cardinality == schemacache.O2M || target == col && r.Cardinality == schemacache.M2O
		}
		return toTable && r.Cardinality == schemacache.O2M && hint == fcol
	}
	if hint == "" {
		return toTable || (target == cons || target == col) && !r.FTableIsView
	}
	junction := r.Cardinality == schemacache.M2M && hint == r.Junction.Table.Name
	return toTable && (hint == cons || hint == col || hint == fcol || junction)
}

// noRelHint suggests a close parent, or a close child when the parent has
// relationships (Error.hs noRelBetweenHint).
func noRelHint(sc *schemacache.Cache, schema, parent, child string) string {
	rels, found := sc.Relationships[schemacache.RelKey{Origin: QI{Schema: schema, Name: parent}, Schema: schema}]
	if found {
		var names []string
		for _, r := range rels {
			if r.Computed {
				names = append(names, r.Function.Name)
			} else {
				names = append(names, r.ForeignTable.Name)
			}
		}
		if best, ok := fuzzyChild(names, child); ok {
			return "Perhaps you meant '" + best + "' instead of '" + child + "'."
		}
		return ""
	}
	var parents []string
	for k := range sc.Relationships {
		if k.Schema == schema {
			parents = append(parents, k.Origin.Name)
		}
	}
	if best, ok := fuzzyOne(parents, parent); ok {
		return "Perhaps you meant '" + best + "' instead of '" + parent + "'."
	}
	return ""
}

// compressedRels are the candidates of PGRST201's details (Error.hs
// compressedRel).
func compressedRels(rels []*schemacache.Relationship) []apierr.RelCandidate {
	out := make([]apierr.RelCandidate, 0, len(rels))
	fmtCols := func(cs []schemacache.ColPair, snd bool) string {
		parts := make([]string, len(cs))
		for i, c := range cs {
			parts[i] = c.Col
			if snd {
				parts[i] = c.FCol
			}
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	for _, r := range rels {
		c := apierr.RelCandidate{Embedding: r.Table.Name + " with " + r.ForeignTable.Name}
		switch r.Cardinality {
		case schemacache.M2M:
			j := r.Junction
			c.Cardinality = "many-to-many"
			c.Relationship = j.Table.Name + " using " + j.Constraint1 + fmtCols(j.ColsSource, true) + " and " + j.Constraint2 + fmtCols(j.ColsTarget, true)
		case schemacache.M2O:
			c.Cardinality = "many-to-one"
			c.Relationship = r.Constraint + " using " + r.Table.Name + fmtCols(r.Columns, false) + " and " + r.ForeignTable.Name + fmtCols(r.Columns, true)
		case schemacache.O2O:
			c.Cardinality = "one-to-one"
			c.Relationship = r.Constraint + " using " + r.Table.Name + fmtCols(r.Columns, false) + " and " + r.ForeignTable.Name + fmtCols(r.Columns, true)
		default:
			c.Cardinality = "one-to-many"
			c.Relationship = r.Constraint + " using " + r.Table.Name + fmtCols(r.Columns, false) + " and " + r.ForeignTable.Name + fmtCols(r.Columns, true)
		}
		out = append(out, c)
	}
	return out
}

// expandStars turns "*" into the node's columns when an aggregate is in
// the node or above it, or the node is a to-many spread (Plan.hs
// expandStars; data representations are not supported). count() in a
// spread counts the whole row.
func expandStars(ctx resolver, hasAgg bool, n *ReadPlan) {
	newHasAgg := hasAgg || n.RelSpread != nil && n.RelSpread.ToMany
	for _, s := range n.Select {
		if s.Aggregate != "" {
			newHasAgg = true
		}
	}
	if newHasAgg {
		qi := n.From
		if qi.Schema == "" && qi.Name == sourceCTE && n.FromAlias != "" {
			qi = QI{Schema: ctx.qi.Schema, Name: n.FromAlias}
		}
		expandStarsFor(ctx.at(qi), n)
	}
	for _, c := range n.Children {
		expandStars(ctx, newHasAgg, c)
	}
}

func expandStarsFor(ctx resolver, n *ReadPlan) {
	spread := n.RelSpread != nil
	hasStar := false
	for _, s := range n.Select {
		if s.Field.Name == "*" && (s.Aggregate == "" || spread && s.Aggregate == "count") {
			hasStar = true
		}
	}
	if !hasStar {
		return
	}
	t, _ := ctx.sc.Table(ctx.qi.Schema, ctx.qi.Name)
	var out []SelectField
	for _, s := range n.Select {
		switch {
		case s.Field.Name == "*" && len(s.Field.JSONPath) == 0 && s.Aggregate == "":
			if t == nil {
				continue
			}
			for _, c := range t.Columns {
				s2 := s
				s2.Field = CoercibleField{Name: c.Name, IRType: c.Type, BaseType: c.BaseType, Default: c.Default}
				out = append(out, s2)
			}
		case spread && s.Field.Name == "*" && len(s.Field.JSONPath) == 0 && s.Aggregate == "count":
			s.Field.FullRow = true
			out = append(out, s)
		default:
			out = append(out, s)
		}
	}
	n.Select = out
}

// addAliases names JSON path selects by their last key, and aggregates in
// spreads by the function (Plan.hs addAliases).
func addAliases(n *ReadPlan) {
	for i := range n.Select {
		s := &n.Select[i]
		switch {
		case s.Alias != "":
		case s.Aggregate != "":
			if n.RelSpread != nil {
				s.Alias = s.Aggregate
			}
		case len(s.Field.JSONPath) > 0:
			if k, ok := lastJSONKey(s.Field); ok {
				s.Alias = k
			}
		}
	}
	for _, c := range n.Children {
		addAliases(c)
	}
}

// lastJSONKey is the last key of a JSON path, or for a trailing index the
// last key before it (else the field name).
func lastJSONKey(f CoercibleField) (string, bool) {
	if len(f.JSONPath) == 0 {
		return "", false
	}
	last := f.JSONPath[len(f.JSONPath)-1]
	if !last.Index {
		return last.Value, true
	}
	for i := len(f.JSONPath) - 1; i >= 0; i-- {
		if !f.JSONPath[i].Index {
			return f.JSONPath[i].Value, true
		}
	}
	return f.Name, true
}

// addRelatedOrders checks order=rel(col) terms: rel must be an embedded
// to-one resource; the term then orders by its aggregate alias.
func addRelatedOrders(n *ReadPlan) *apierr.Error {
	for i := range n.Order {
		t := &n.Order[i]
		if t.Relation == "" {
			continue
		}
		var found *ReadPlan
		for _, c := range n.Children {
			if c.Name() == t.Relation {
				found = c
				break
			}
		}
		if found == nil {
			return apierr.NotEmbedded(t.Relation)
		}
		if found.RelToParent == nil || !found.RelToParent.IsToOne() {
			return apierr.RelatedOrderNotToOne(n.From.Name, found.Name())
		}
		t.Relation = found.RelAggAlias
	}
	for _, c := range n.Children {
		if e := addRelatedOrders(c); e != nil {
			return e
		}
	}
	return nil
}

// addNullEmbedFilters turns rel=is.null / rel=not.is.null on an embedded
// resource into a filter on its aggregate alias (anti and semi joins).
func addNullEmbedFilters(n *ReadPlan) {
	for i := range n.Where {
		nullEmbed(n, &n.Where[i])
	}
	for _, c := range n.Children {
		addNullEmbedFilters(c)
	}
}

func nullEmbed(n *ReadPlan, t *LogicTree) {
	if t.Filter == nil {
		for i := range t.Children {
			nullEmbed(n, &t.Children[i])
		}
		return
	}
	f := t.Filter
	if len(f.Field.JSONPath) > 0 || f.Operation.Op != "is" || f.Operation.Value != "null" {
		return
	}
	for _, c := range n.Children {
		if c.Name() == f.Field.Name {
			t.Filter = &Filter{NullEmbed: true, Field: CoercibleField{Name: c.RelAggAlias},
				Operation: f.Operation}
			return
		}
	}
}

// addRelSelects lists what each node selects from its children (Plan.hs
// addRelSelects).
func addRelSelects(n *ReadPlan) {
	for _, c := range n.Children {
		addRelSelects(c)
	}
	n.RelSelect = nil
	for _, c := range n.Children {
		if rs, ok := relSelectField(c); ok {
			n.RelSelect = append(n.RelSelect, rs)
		}
	}
}

func relSelectField(c *ReadPlan) (RelSelectField, bool) {
	if c.RelToParent == nil {
		return RelSelectField{}, false
	}
	if c.RelSpread != nil {
		return RelSelectField{Spread: true, AggAlias: c.RelAggAlias, SpreadSel: spreadSelects(c)}, true
	}
	return RelSelectField{SelName: c.Name(), AggAlias: c.RelAggAlias, ToOne: c.RelToParent.IsToOne(),
		EmptyEmbed: onlyNullEmbeds(c)}, true
}

// onlyNullEmbeds: the node and all its descendants select nothing.
func onlyNullEmbeds(c *ReadPlan) bool {
	if len(c.Select) > 0 {
		return false
	}
	for _, g := range c.Children {
		if !onlyNullEmbeds(g) {
			return false
		}
	}
	return true
}

func spreadSelects(c *ReadPlan) []SpreadSelectField {
	var out []SpreadSelectField
	for _, s := range c.Select {
		name := s.Field.Name
		if s.Alias != "" {
			name = s.Alias
		}
		out = append(out, SpreadSelectField{SelName: name})
	}
	for _, r := range c.RelSelect {
		if r.Spread {
			out = append(out, r.SpreadSel...)
		} else {
			out = append(out, SpreadSelectField{SelName: r.SelName})
		}
	}
	return out
}

// validateAggFunctions: aggregates need db-aggregates-enabled (PGRST123).
func validateAggFunctions(enabled bool, n *ReadPlan) *apierr.Error {
	if !enabled {
		for _, s := range n.Select {
			if s.Aggregate != "" {
				return apierr.AggregatesNotAllowed()
			}
		}
	}
	for _, c := range n.Children {
		if e := validateAggFunctions(enabled, c); e != nil {
			return e
		}
	}
	return nil
}

type hoistedAgg struct {
	relAggAlias, field       string
	agg, aggCast, fieldAlias string
}

// hoistSpreadAggFunctions moves aggregates of to-one spreads up to the
// nearest node embedded as JSON (or the root), where they group by the
// other selected columns (Plan.hs hoistSpreadAggFunctions).
func hoistSpreadAggFunctions(n *ReadPlan) { hoistNode(n) }

func hoistNode(n *ReadPlan) []hoistedAgg {
	var childAggs []hoistedAgg
	for _, c := range n.Children {
		childAggs = append(childAggs, hoistNode(c)...)
	}
	isToOneSpread := n.RelSpread != nil && !n.RelSpread.ToMany
	var aggs []hoistedAgg
	if !(n.Depth == 0 || n.RelToParent != nil && !isToOneSpread) {
		for i := range n.Select {
			s := &n.Select[i]
			if s.Aggregate == "" {
				continue
			}
			name := s.Field.Name
			if s.Alias != "" {
				name = s.Alias
			}
			aggs = append(aggs, hoistedAgg{relAggAlias: n.RelAggAlias, field: name, agg: s.Aggregate, aggCast: s.AggregateCast, fieldAlias: s.Alias})
			s.Aggregate, s.AggregateCast = "", ""
		}
	}
	if isToOneSpread {
		for _, h := range childAggs {
			h.relAggAlias = n.RelAggAlias
			aggs = append(aggs, h)
		}
		return aggs
	}
	if len(n.Children) > 0 {
		for i := range n.RelSelect {
			r := &n.RelSelect[i]
			if !r.Spread {
				continue
			}
			for j := range r.SpreadSel {
				s := &r.SpreadSel[j]
				for _, h := range childAggs {
					if h.relAggAlias == r.AggAlias && h.field == s.SelName {
						s.Aggregate, s.AggregateCast, s.Alias = h.agg, h.aggCast, h.fieldAlias
						break
					}
				}
			}
		}
	}
	return aggs
}

// addToManyOrderSelects moves a to-many spread's order into its
// aggregation, selecting the ordered columns under indexed aliases
// (Plan.hs addToManyOrderSelects). Aggregates there are not implemented.
func addToManyOrderSelects(n *ReadPlan) *apierr.Error {
	if n.RelSpread != nil && n.RelSpread.ToMany {
		for _, s := range n.Select {
			if s.Aggregate != "" {
				return apierr.NotImplemented("Aggregates are not implemented for one-to-many or many-to-many spreads.")
			}
		}
		for _, r := range n.RelSelect {
			for _, s := range r.SpreadSel {
				if r.Spread && s.Aggregate != "" {
					return apierr.NotImplemented("Aggregates are not implemented for one-to-many or many-to-many spreads.")
				}
			}
		}
		st := &SpreadType{ToMany: true}
		for i, o := range n.Order {
			name := o.Field.Name
			alias := n.RelAggAlias + "_" + name + "_" + strconv.Itoa(i+1)
			st.ExtraSelect = append(st.ExtraSelect, SpreadExtra{Rel: o.Relation, Field: SelectField{Field: func() CoercibleField {
				if o.Relation != "" {
					return CoercibleField{Name: o.Field.Name, JSONPath: o.Field.JSONPath}
				}
				return o.Field
			}(), Alias: alias}})
			st.Order = append(st.Order, OrderTerm{Field: CoercibleField{Name: alias}, Direction: o.Direction, Nulls: o.Nulls})
		}
		n.Order, n.RelSpread = nil, st
	}
	for _, c := range n.Children {
		if e := addToManyOrderSelects(c); e != nil {
			return e
		}
	}
	return nil
}
