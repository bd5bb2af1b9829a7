package query

import (
	"strings"

	"github.com/authstack/authstack/internal/postgrest/plan"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// Statements of QueryBuilder.hs@v16.2.

// nodeQI is how a node's columns are qualified: its alias, or for a
// computed relationship the function's name (getQualifiedIdentifier).
func nodeQI(n *plan.ReadPlan) plan.QI {
	if r := n.RelToParent; r != nil && r.Computed {
		if n.FromAlias != "" {
			return plan.QI{Name: n.FromAlias}
		}
		return plan.QI{Name: r.Function.Name}
	}
	if n.FromAlias != "" {
		return plan.QI{Name: n.FromAlias}
	}
	return n.From
}

// from renders FROM with the alias and a junction's implicit join (fromF).
func from(n *plan.ReadPlan) string {
	var sb strings.Builder
	sb.WriteString(" FROM ")
	if r := n.RelToParent; r != nil && r.Computed {
		// The CTE of a call needs the row cast to the table type when the
		// function is overloaded (PostgREST issue #2963).
		sb.WriteString(FromQI(r.Function) + "(" + Ident(r.TableAlias.Name) + "::" + FromQI(r.Table) + ")")
	} else {
		sb.WriteString(FromQI(n.From))
	}
	if n.FromAlias != "" {
		sb.WriteString(" AS " + Ident(n.FromAlias))
	}
	if r := n.RelToParent; r != nil && !r.Computed && r.Cardinality == schemacache.M2M {
		sb.WriteString(", " + FromQI(r.Junction.Table))
	}
	return sb.String()
}

// ReadPlanToQuery renders a read plan tree: the node's select list, the
// columns of its spreads and embeds, lateral joins, filters, grouping,
// order and range (readPlanToQuery).
func ReadPlanToQuery(n *plan.ReadPlan) Snippet {
	qi := nodeQI(n)
	var sels []Snippet
	if len(n.Select) == 0 && len(n.Children) == 0 {
		sels = append(sels, selectItem(qi, plan.SelectField{Field: plan.CoercibleField{Name: "*"}}))
	}
	for _, f := range n.Select {
		sels = append(sels, selectItem(qi, f))
	}
	if n.RelSpread != nil && n.RelSpread.ToMany {
		for _, x := range n.RelSpread.ExtraSelect {
			q := qi
			if x.Rel != "" {
				q = plan.QI{Name: x.Rel}
			}
			sels = append(sels, selectItem(q, x.Field))
		}
	}
	sels = append(sels, joinSelects(n)...)
	var s Snippet
	s.S("SELECT ").Join(", ", sels).S(from(n))
	for _, j := range joins(n) {
		s.A(j)
	}
	if len(n.Where) > 0 || len(n.RelJoinConds) > 0 {
		var conds []Snippet
		for _, w := range n.Where {
			conds = append(conds, logicTree(qi, w))
		}
		for _, j := range n.RelJoinConds {
			conds = append(conds, SQL(joinCondition(j)))
		}
		s.S(" WHERE ").Join(" AND ", conds)
	}
	s.S(" ").A(groupBy(qi, n)).S(" ").A(orderBy(qi, n.Order)).S(" ").A(limitOffset(n.Range))
	return s
}

// joinSelects are the columns a node takes from its children
// (getJoinSelects).
func joinSelects(n *plan.ReadPlan) []Snippet {
	var out []Snippet
	for _, r := range n.RelSelect {
		agg := Ident(r.AggAlias)
		switch {
		case r.Spread:
			for _, f := range r.SpreadSel {
				out = append(out, spreadSelectItem(r.AggAlias, f))
			}
		case r.EmptyEmbed:
		case r.ToOne:
			out = append(out, SQL("row_to_json(", agg, ".*)::jsonb AS ", Ident(r.SelName)))
		default:
			out = append(out, SQL("COALESCE( ", agg, ".", agg, ", '[]') AS ", Ident(r.SelName)))
		}
	}
	return out
}

// joins are the lateral subqueries of the children (getJoins, getJoin).
func joins(n *plan.ReadPlan) []Snippet {
	var out []Snippet
	for _, r := range n.RelSelect {
		for _, c := range n.Children {
			if c.RelAggAlias == r.AggAlias {
				out = append(out, join(r, c))
				break
			}
		}
	}
	return out
}

func join(r plan.RelSelectField, c *plan.ReadPlan) Snippet {
	agg := Ident(r.AggAlias)
	kind, cond := "LEFT", "TRUE"
	if c.RelJoinType == "inner" {
		kind, cond = "INNER", agg+" IS NOT NULL"
	}
	lateral := func(sub Snippet, cond string) Snippet {
		var s Snippet
		return *s.S(" ", kind, " JOIN LATERAL ( ").A(sub).S(" ) AS ", agg, " ON ", cond)
	}
	aggregated := func(extra []Snippet) Snippet {
		var s Snippet
		s.S("SELECT json_agg(", agg, ")::jsonb AS ", agg)
		if len(extra) > 0 {
			s.S(", ").Join(", ", extra)
		}
		return *s.S(" FROM (").A(ReadPlanToQuery(c)).S(" ) AS ", agg)
	}
	switch {
	case r.Spread && c.RelSpread != nil && c.RelSpread.ToMany:
		var extra []Snippet
		for _, f := range r.SpreadSel {
			extra = append(extra, spreadJoinSelectItem(r.AggAlias, c.RelSpread.Order, f))
		}
		return lateral(aggregated(extra), cond)
	case r.Spread || r.ToOne:
		return lateral(ReadPlanToQuery(c), "TRUE")
	}
	return lateral(aggregated(nil), cond)
}

// groupBy groups by the non-aggregated columns when something is
// aggregated (groupF).
func groupBy(qi plan.QI, n *plan.ReadPlan) Snippet {
	var s Snippet
	aggregated := false
	for _, f := range n.Select {
		if f.Aggregate != "" {
			aggregated = true
		}
	}
	for _, r := range n.RelSelect {
		for _, f := range r.SpreadSel {
			if r.Spread && f.Aggregate != "" {
				aggregated = true
			}
		}
	}
	if !aggregated {
		return s
	}
	var terms []Snippet
	for _, f := range n.Select {
		switch {
		case f.Aggregate != "":
		case f.Alias != "":
			terms = append(terms, SQL(Ident(f.Alias)))
		default:
			terms = append(terms, field(qi, f.Field))
		}
	}
	for _, r := range n.RelSelect {
		if !r.Spread {
			terms = append(terms, SQL(Ident(r.SelName)))
			continue
		}
		var parts []string
		for _, f := range r.SpreadSel {
			if f.Aggregate != "" {
				continue
			}
			name := f.SelName
			if f.Alias != "" {
				name = f.Alias
			}
			parts = append(parts, Ident(r.AggAlias)+"."+Ident(name))
		}
		if len(parts) > 0 {
			terms = append(terms, SQL(strings.Join(parts, ", ")))
		}
	}
	if len(terms) == 0 {
		return s
	}
	return *s.S(" GROUP BY ").Join(", ", terms)
}

// ReadPlanToCountQuery counts the root's rows: its filters and join
// conditions without range, EXISTS for inner-joined embeds
// (readPlanToCountQuery).
func ReadPlanToCountQuery(n *plan.ReadPlan) Snippet {
	qi := nodeQI(n)
	var conds []Snippet
	for _, w := range n.Where {
		conds = append(conds, countLogic(qi, n, w))
	}
	for _, j := range n.RelJoinConds {
		conds = append(conds, SQL(joinCondition(j)))
	}
	for _, c := range n.Children {
		if c.RelJoinType == "inner" {
			var e Snippet
			conds = append(conds, *e.S("EXISTS (").A(ReadPlanToCountQuery(c)).S(" )"))
		}
	}
	var s Snippet
	s.S("SELECT 1 ", from(n))
	if len(conds) > 0 {
		s.S(" WHERE ").Join(" AND ", conds)
	}
	return s
}

func countLogic(qi plan.QI, n *plan.ReadPlan, t plan.LogicTree) Snippet {
	return logicTreeWith(t, func(f *plan.Filter) Snippet {
		if !f.NullEmbed {
			return filter(qi, *f)
		}
		var s Snippet
		for _, c := range n.Children {
			if c.RelAggAlias == f.Field.Name {
				if !f.Operation.Negated {
					s.S("NOT ")
				}
				return *s.S("EXISTS (").A(ReadPlanToCountQuery(c)).S(")")
			}
		}
		return s
	})
}
