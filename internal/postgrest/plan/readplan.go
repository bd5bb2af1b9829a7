package plan

import (
	"sort"
	"strconv"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/queryparams"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// sourceCTE is the CTE a mutation or a call is read back from
// (SqlFragment.hs sourceCTEName).
const sourceCTE = "pgrst_source"

// resolver finds the type information of fields (Plan.hs ResolverContext):
// qi is the relation currently looked at.
type resolver struct {
	sc *schemacache.Cache
	qi QI
}

func (r resolver) at(qi QI) resolver { r.qi = qi; return r }

func (r resolver) column(name string) *schemacache.Column {
	t, ok := r.sc.Table(r.qi.Schema, r.qi.Name)
	if !ok {
		return nil
	}
	c, _ := t.Column(name)
	return c
}

// field resolves a field (Plan.hs resolveTypeOrUnknown): JSON paths on
// json/jsonb columns apply directly, on anything else to to_jsonb(field);
// tsvector columns get no to_tsvector.
func (r resolver) field(f queryparams.Field, tsv bool, lang string) CoercibleField {
	cf := CoercibleField{Name: f.Name}
	if c := r.column(f.Name); c != nil {
		cf.IRType, cf.BaseType, cf.Default = c.Type, c.BaseType, c.Default
		cf.ToTsVector, cf.TsLang = tsv, lang
	}
	cf.JSONPath = f.JSONPath
	switch {
	case cf.IRType == "json" || cf.IRType == "jsonb":
		cf.ToJSON = false
	case cf.BaseType == "tsvector":
		cf.ToJSON, cf.ToTsVector, cf.TsLang = true, false, ""
	default:
		cf.ToJSON = true
	}
	return cf
}

func isFts(op string) bool {
	switch op {
	case "fts", "plfts", "phfts", "wfts":
		return true
	}
	return false
}

func (r resolver) filter(f queryparams.Filter) Filter {
	o := f.Operation
	return Filter{Field: r.field(f.Field, isFts(o.Op), o.Lang), Operation: o}
}

func (r resolver) logic(t queryparams.LogicTree) LogicTree {
	if t.Filter != nil {
		f := r.filter(*t.Filter)
		return LogicTree{Filter: &f}
	}
	out := LogicTree{Negated: t.Negated, Op: t.Op, Children: make([]LogicTree, len(t.Children))}
	for i, c := range t.Children {
		out.Children[i] = r.logic(c)
	}
	return out
}

// readPlan builds the read plan tree in Plan.hs readPlan's order: the
// select tree, filters, orders, ranges, logic trees, relationships,
// expanded stars, aliases, related orders, null embed filters, the
// relation selects, aggregate checks and hoisting, to-many spread orders,
// and db-max-rows.
func readPlan(qi QI, a *apirequest.ApiRequest, sc *schemacache.Cache, o Options) (*ReadPlan, *apierr.Error) {
	ctx := resolver{sc: sc, qi: qi}
	root := initReadRequest(ctx, a.Query.Select)
	steps := []func(*ReadPlan) *apierr.Error{
		func(n *ReadPlan) *apierr.Error { return addFilters(ctx, a, o, n) },
		func(n *ReadPlan) *apierr.Error { return addOrders(ctx, a, o, n) },
		func(n *ReadPlan) *apierr.Error { return addRanges(a, o, n) },
		func(n *ReadPlan) *apierr.Error { return addLogicTrees(ctx, a, o, n) },
		func(n *ReadPlan) *apierr.Error { return addRels(a, sc, nil, n) },
		func(n *ReadPlan) *apierr.Error { expandStars(ctx, false, n); return nil },
		func(n *ReadPlan) *apierr.Error { addAliases(n); return nil },
		addRelatedOrders,
		func(n *ReadPlan) *apierr.Error { addNullEmbedFilters(n); return nil },
		func(n *ReadPlan) *apierr.Error { addRelSelects(n); return nil },
		func(n *ReadPlan) *apierr.Error { return validateAggFunctions(o.AggregatesEnabled, n) },
		func(n *ReadPlan) *apierr.Error { hoistSpreadAggFunctions(n); return nil },
		addToManyOrderSelects,
	}
	for _, step := range steps {
		if e := step(root); e != nil {
			return nil, e
		}
	}
	if a.Action != apirequest.RelationMut {
		root.Walk(func(n *ReadPlan) { n.Range = restrictRange(o.MaxRows, n.Range) })
	}
	return root, nil
}

// restrictRange applies db-max-rows and keeps limit=0 as the empty range
// (Plan.hs treeRestrictRange, RangeQuery.hs convertToLimitZeroRange).
func restrictRange(maxRows int, r queryparams.Range) queryparams.Range {
	if maxRows <= 0 {
		return r
	}
	return queryparams.ConvertToLimitZeroRange(r, r.RestrictLimit(int64(maxRows)))
}

// initReadRequest builds the tree of the select parameter (Plan.hs
// initReadRequest): fields go to the node's select list, embeds and
// spreads become children one level deeper.
func initReadRequest(ctx resolver, items []queryparams.SelectItem) *ReadPlan {
	root := &ReadPlan{From: ctx.qi, RelName: ctx.qi.Name, Range: queryparams.AllRange()}
	addSelectItems(ctx, root, items)
	return root
}

func addSelectItems(ctx resolver, n *ReadPlan, items []queryparams.SelectItem) {
	for _, it := range items {
		switch it.Kind {
		case queryparams.SelectField:
			n.Select = append(n.Select, SelectField{Field: ctx.at(n.From).field(it.Field, false, ""),
				Aggregate: it.Aggregate, AggregateCast: it.AggregateCast, Cast: it.Cast, Alias: it.Alias})
		default:
			c := &ReadPlan{From: QI{Schema: ctx.qi.Schema, Name: it.Relation}, RelName: it.Relation, RelHint: it.Hint,
				RelJoinType: it.JoinType, Depth: n.Depth + 1, Range: queryparams.AllRange()}
			if it.Kind == queryparams.SelectSpread {
				c.RelSpread = &SpreadType{}
			} else {
				c.RelAlias = it.Alias
			}
			addSelectItems(ctx, c, it.Children)
			n.Children = append(n.Children, c)
		}
	}
}

// updateNode finds the node at path and applies f to it. As Plan.hs
// updateNode, every node on the way is moved to the front of its parent's
// children, and without url-use-legacy-target-names an aliased embed must
// be named by its alias.
func updateNode(root *ReadPlan, path []string, legacy bool, f func(*ReadPlan)) *apierr.Error {
	n := root
	for _, name := range path {
		i := findChild(n, name, legacy)
		if i < 0 {
			if !legacy {
				if j := findChild(n, name, true); j >= 0 {
					c := n.Children[j]
					return apierr.NotEmbeddedLegacy(name, c.RelName, c.RelAlias)
				}
			}
			return apierr.NotEmbedded(name)
		}
		c := n.Children[i]
		if c.RelName == name && c.RelAlias != "" && c.RelAlias != name {
			c.RelIsLegacyTargetNameMatch = true
		}
		copy(n.Children[1:i+1], n.Children[:i])
		n.Children[0] = c
		n = c
	}
	f(n)
	return nil
}

func findChild(n *ReadPlan, name string, legacy bool) int {
	for i, c := range n.Children {
		if legacy && (c.RelName == name || c.RelAlias == name) || !legacy && c.Name() == name {
			return i
		}
	}
	return -1
}

// addFilters: reads and calls take every filter, mutations only those on
// embeds (the root ones go to the mutation). Filters are applied last
// first, as Haskell's foldr, so the last failing one is reported.
func addFilters(ctx resolver, a *apirequest.ApiRequest, o Options, root *ReadPlan) *apierr.Error {
	flts := a.Query.Filters
	for i := len(flts) - 1; i >= 0; i-- {
		f := flts[i]
		if a.Action == apirequest.RelationMut && len(f.Path) == 0 {
			continue
		}
		if e := updateNode(root, f.Path, o.LegacyTargetNames, func(n *ReadPlan) {
			n.Where = append([]LogicTree{{Filter: ptr(ctx.at(n.From).filter(f))}}, n.Where...)
		}); e != nil {
			return e
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// addOrders sets each node's order; terms are resolved against the
// request's relation, as Plan.hs addOrders does.
func addOrders(ctx resolver, a *apirequest.ApiRequest, o Options, root *ReadPlan) *apierr.Error {
	ords := a.Query.Order
	for i := len(ords) - 1; i >= 0; i-- {
		od := ords[i]
		terms := make([]OrderTerm, len(od.Terms))
		for j, t := range od.Terms {
			terms[j] = OrderTerm{Relation: t.Relation, Direction: t.Direction, Nulls: t.Nulls}
			if t.Relation == "" {
				terms[j].Field = ctx.field(t.Field, false, "")
			} else {
				terms[j].Field = CoercibleField{Name: t.Field.Name, JSONPath: t.Field.JSONPath}
			}
		}
		if e := updateNode(root, od.Path, o.LegacyTargetNames, func(n *ReadPlan) { n.Order = terms }); e != nil {
			return e
		}
	}
	return nil
}

// addRanges sets each node's limit/offset (not for mutations).
func addRanges(a *apirequest.ApiRequest, o Options, root *ReadPlan) *apierr.Error {
	if a.Action == apirequest.RelationMut {
		return nil
	}
	keys := make([]string, 0, len(a.Query.Ranges))
	for k := range a.Query.Ranges {
		keys = append(keys, k)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(keys)))
	for _, k := range keys {
		r := a.Query.Ranges[k]
		path, e := queryparams.RangePath(k)
		if e != nil {
			return e
		}
		if e := updateNode(root, path, o.LegacyTargetNames, func(n *ReadPlan) { n.Range = r }); e != nil {
			return e
		}
	}
	return nil
}

// addLogicTrees: and=/or= trees go before the node's filters.
func addLogicTrees(ctx resolver, a *apirequest.ApiRequest, o Options, root *ReadPlan) *apierr.Error {
	lg := a.Query.Logic
	for i := len(lg) - 1; i >= 0; i-- {
		l := lg[i]
		if a.Action == apirequest.RelationMut && len(l.Path) == 0 {
			continue
		}
		if e := updateNode(root, l.Path, o.LegacyTargetNames, func(n *ReadPlan) {
			n.Where = append([]LogicTree{ctx.at(n.From).logic(l.Tree)}, n.Where...)
		}); e != nil {
			return e
		}
	}
	return nil
}

// addRels resolves each embed's relationship to its parent and sets its
// relation, aliases and join conditions (Plan.hs addRels). The root of a
// mutation or a call reads from the pgrst_source CTE under the relation's
// name.
func addRels(a *apirequest.ApiRequest, sc *schemacache.Cache, parent, n *ReadPlan) *apierr.Error {
	if parent == nil {
		if a.Action == apirequest.RelationMut || a.Action == apirequest.Routine {
			n.FromAlias = n.From.Name
			n.From = QI{Name: sourceCTE}
		}
	} else {
		origin := parent.From.Name
		if n.Depth == 1 && parent.FromAlias != "" {
			origin = parent.FromAlias
		}
		rel, e := findRel(a.Schema, sc, origin, n.RelName, n.RelHint)
		if e != nil {
			return e
		}
		attachRel(n, parent, rel)
	}
	for _, c := range n.Children {
		if e := addRels(a, sc, n, c); e != nil {
			return e
		}
	}
	return nil
}

func attachRel(n, parent *ReadPlan, rel *schemacache.Relationship) {
	d := strconv.Itoa(n.Depth)
	newAlias := rel.ForeignTable.Name + "_" + d
	n.RelAggAlias = rel.Table.Name + "_" + n.Name() + "_" + d
	if n.RelSpread != nil && !rel.IsToOne() {
		n.RelSpread = &SpreadType{ToMany: true}
	}
	n.From = rel.ForeignTable
	switch {
	case rel.Computed:
		r := *rel
		if parent.FromAlias != "" {
			r.TableAlias = QI{Name: parent.FromAlias}
		} else {
			r.TableAlias = rel.Table
		}
		n.RelToParent, n.FromAlias = &r, newAlias
	case rel.Cardinality == schemacache.M2M:
		n.RelToParent = rel
		n.RelJoinConds = joinConditions("", parent.FromAlias, rel)
	default:
		n.RelToParent, n.FromAlias = rel, newAlias
		n.RelJoinConds = joinConditions(newAlias, parent.FromAlias, rel)
	}
}

// joinConditions relates a child to its parent (Plan.hs
// getJoinConditions); an alias, when given, replaces the qualified name.
func joinConditions(tblAlias, parentAlias string, rel *schemacache.Relationship) []JoinCondition {
	schema := rel.Table.Schema
	cond := func(prAl, newAl, tb, ftb string, c schemacache.ColPair) JoinCondition {
		l, r := QI{Schema: schema, Name: ftb}, QI{Schema: schema, Name: tb}
		if newAl != "" {
			l = QI{Name: newAl}
		}
		if prAl != "" {
			r = QI{Name: prAl}
		}
		return JoinCondition{Left: l, LCol: c.FCol, Right: r, RCol: c.Col}
	}
	var out []JoinCondition
	if rel.Cardinality == schemacache.M2M {
		jt := rel.Junction.Table.Name
		for _, c := range rel.Junction.ColsTarget {
			out = append(out, cond("", "", rel.ForeignTable.Name, jt, c))
		}
		for _, c := range rel.Junction.ColsSource {
			out = append(out, cond(parentAlias, tblAlias, rel.Table.Name, jt, c))
		}
		return out
	}
	for _, c := range rel.Columns {
		out = append(out, cond(parentAlias, tblAlias, rel.Table.Name, rel.ForeignTable.Name, c))
	}
	return out
}
