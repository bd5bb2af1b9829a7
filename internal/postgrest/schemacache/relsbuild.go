package schemacache

import (
	"cmp"
	"slices"
)

// maxViewRelCombos bounds the relationships one foreign key gives a view
// that selects its columns several times (one per combination of the
// repeated columns); PostgREST has no bound, real views stay far below it.
const maxViewRelCombos = 4096

// addViewM2OAndO2ORels adds the many-to-one and one-to-one relationships
// of views (SchemaCache.hs addViewM2OAndO2ORels@v16.2): view to table when
// a view exposes a foreign key's columns, table to view when it exposes
// the referenced columns, and view to view for both.
func addViewM2OAndO2ORels(deps []viewKeyDep, rels []*Relationship) []*Relationship {
	type depKey struct {
		table QI
		cons  string
		typ   keyDepType
	}
	idx := map[depKey][]viewKeyDep{}
	for _, d := range deps {
		k := depKey{d.table, d.cons, d.typ}
		idx[k] = append(idx[k], d)
	}
	out := slices.Clone(rels)
	for _, r := range rels {
		if r.Cardinality != M2O && (r.Cardinality != O2O || r.IsParent) {
			continue
		}
		rel := func(t, ft QI, cols []ColPair, tView, ftView bool) *Relationship {
			return &Relationship{Table: t, ForeignTable: ft, IsSelf: tView && ftView && t == ft,
				Cardinality: r.Cardinality, Constraint: r.Constraint, Columns: cols,
				TableIsView: tView, FTableIsView: ftView}
		}
		viewTable := idx[depKey{r.Table, r.Constraint, fkDep}]
		tableView := idx[depKey{r.ForeignTable, r.Constraint, fkDepRef}]
		for _, d := range viewTable {
			for _, vcols := range expandKeyDepCols(d.cols) {
				out = append(out, rel(d.view, r.ForeignTable, zipCols(vcols, fcols(r.Columns)), true, false))
			}
		}
		for _, d := range tableView {
			for _, vcols := range expandKeyDepCols(d.cols) {
				out = append(out, rel(r.Table, d.view, zipCols(cols(r.Columns), vcols), false, true))
			}
		}
		for _, d1 := range viewTable {
			for _, vcols1 := range expandKeyDepCols(d1.cols) {
				for _, d2 := range tableView {
					for _, vcols2 := range expandKeyDepCols(d2.cols) {
						out = append(out, rel(d1.view, d2.view, zipCols(vcols1, vcols2), true, true))
					}
				}
			}
		}
	}
	return out
}

// expandKeyDepCols lists every choice of one view column per key column,
// the first key column varying slowest (Haskell's traverse in the list
// monad).
func expandKeyDepCols(kdc []keyDepCol) [][]string {
	out := [][]string{nil}
	for _, c := range kdc {
		var next [][]string
		for _, prefix := range out {
			for _, v := range c.viewCols {
				if len(next) >= maxViewRelCombos {
					break
				}
				next = append(next, append(slices.Clone(prefix), v))
			}
		}
		out = next
	}
	return out
}

func cols(cs []ColPair) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Col
	}
	return out
}

func fcols(cs []ColPair) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.FCol
	}
	return out
}

// zipCols pairs columns positionally, as far as the shorter list goes.
func zipCols(a, b []string) []ColPair {
	n := min(len(a), len(b))
	out := make([]ColPair, n)
	for i := range n {
		out[i] = ColPair{Col: a[i], FCol: b[i]}
	}
	return out
}

func swapCols(cs []ColPair) []ColPair {
	out := make([]ColPair, len(cs))
	for i, c := range cs {
		out[i] = ColPair{Col: c.FCol, FCol: c.Col}
	}
	return out
}

// addM2MRels adds a many-to-many relationship between the tables two
// foreign keys of a junction reference, when the columns of both keys are
// all in the junction's primary key (SchemaCache.hs addM2MRels@v16.2).
// The keys of junctions outside the exposed schemas come from their
// primary key constraints: such relationships are dropped later
// (removeInternal), but their origin stays known, which changes PGRST200's
// hint.
func addM2MRels(c *Cache, cons []constraint, rels []*Relationship) []*Relationship {
	pks := map[QI][]string{}
	for _, k := range cons {
		if k.typ == "p" {
			pks[k.table] = k.cols
		}
	}
	bySource := map[QI][]*Relationship{}
	for _, r := range rels {
		bySource[r.Table] = append(bySource[r.Table], r)
	}
	out := slices.Clone(rels)
	for _, r1 := range rels {
		if r1.Cardinality != M2O {
			continue
		}
		jt := r1.Table
		pk := pks[jt]
		if t, ok := c.Table(jt.Schema, jt.Name); ok {
			pk = t.PKColumns() // views get theirs from their origin tables
		}
		for _, r2 := range bySource[jt] {
			if r2.Cardinality != M2O || r1.Constraint == r2.Constraint {
				continue
			}
			if !allIn(cols(r1.Columns), pk) || !allIn(cols(r2.Columns), pk) {
				continue
			}
			out = append(out, &Relationship{Table: r1.ForeignTable, ForeignTable: r2.ForeignTable,
				IsSelf: r1.ForeignTable == r2.ForeignTable, Cardinality: M2M,
				Junction: &Junction{Table: jt, Constraint1: r1.Constraint, Constraint2: r2.Constraint,
					ColsSource: swapCols(r1.Columns), ColsTarget: swapCols(r2.Columns)},
				TableIsView: r1.FTableIsView, FTableIsView: r2.FTableIsView})
		}
	}
	return out
}

func allIn(xs, set []string) bool {
	for _, x := range xs {
		if !slices.Contains(set, x) {
			return false
		}
	}
	return true
}

// addInverseRels adds the one-to-many inverse of every many-to-one and the
// other side of every one-to-one (SchemaCache.hs addInverseRels@v16.2).
func addInverseRels(rels []*Relationship) []*Relationship {
	out := slices.Clone(rels)
	for _, r := range rels {
		if r.Cardinality != M2O && r.Cardinality != O2O {
			continue
		}
		inv := &Relationship{Table: r.ForeignTable, ForeignTable: r.Table, IsSelf: r.IsSelf,
			Cardinality: O2M, Constraint: r.Constraint, Columns: swapCols(r.Columns),
			TableIsView: r.FTableIsView, FTableIsView: r.TableIsView}
		if r.Cardinality == O2O {
			inv.Cardinality, inv.IsParent = O2O, !r.IsParent
		}
		out = append(out, inv)
	}
	return out
}

// relationshipsMap indexes the relationships by origin and schema
// (SchemaCache.hs getOverrideRelationshipsMap and removeInternal@v16.2).
// A computed relationship named like a foreign table replaces the foreign
// key relationships to that table; it is indexed under the function's
// schema. Origins of the exposed schemas are kept (also with no
// relationship left), relationships to other schemas and through their
// junctions are dropped, and each list is in PostgREST's order.
func relationshipsMap(schemas []string, rels, computed []*Relationship) map[RelKey][]*Relationship {
	type pairKey struct{ table, target QI }
	patched := map[pairKey][]*Relationship{}
	var order []pairKey
	put := func(k pairKey) {
		if _, ok := patched[k]; !ok {
			order = append(order, k)
		}
	}
	for _, r := range rels {
		k := pairKey{r.Table, r.ForeignTable}
		put(k)
		patched[k] = append(patched[k], r)
	}
	for _, r := range computed {
		k := pairKey{r.Table, r.Function}
		put(k)
		patched[k] = []*Relationship{r}
	}
	exposed := func(s string) bool { return slices.Contains(schemas, s) }
	out := map[RelKey][]*Relationship{}
	for _, k := range order {
		if !exposed(k.table.Schema) {
			continue
		}
		rk := RelKey{Origin: k.table, Schema: k.target.Schema}
		list := out[rk]
		for _, r := range patched[k] {
			if !exposed(r.ForeignTable.Schema) || r.Junction != nil && !exposed(r.Junction.Table.Schema) {
				continue
			}
			list = append(list, r)
		}
		out[rk] = list
	}
	for _, list := range out {
		slices.SortStableFunc(list, compareRel)
	}
	return out
}

// compareRel is Haskell's derived Ord of Relationship@v16.2: foreign key
// relationships before computed ones, then field by field in declaration
// order; cardinalities in the order O2M, M2O, O2O, M2M.
func compareRel(a, b *Relationship) int {
	if a.Computed != b.Computed {
		if b.Computed {
			return -1
		}
		return 1
	}
	if a.Computed {
		return cmp.Or(compareQI(a.Function, b.Function), compareQI(a.Table, b.Table),
			compareQI(a.ForeignTable, b.ForeignTable), compareQI(a.TableAlias, b.TableAlias),
			compareBool(a.ToOne, b.ToOne), compareBool(a.IsSelf, b.IsSelf))
	}
	return cmp.Or(compareQI(a.Table, b.Table), compareQI(a.ForeignTable, b.ForeignTable),
		compareBool(a.IsSelf, b.IsSelf), compareCard(a, b),
		compareBool(a.TableIsView, b.TableIsView), compareBool(a.FTableIsView, b.FTableIsView))
}

func compareCard(a, b *Relationship) int {
	if c := cmp.Compare(a.Cardinality, b.Cardinality); c != 0 {
		return c
	}
	if a.Cardinality == M2M {
		ja, jb := a.Junction, b.Junction
		return cmp.Or(compareQI(ja.Table, jb.Table), cmp.Compare(ja.Constraint1, jb.Constraint1),
			cmp.Compare(ja.Constraint2, jb.Constraint2), compareCols(ja.ColsSource, jb.ColsSource),
			compareCols(ja.ColsTarget, jb.ColsTarget))
	}
	return cmp.Or(cmp.Compare(a.Constraint, b.Constraint), compareCols(a.Columns, b.Columns),
		compareBool(a.IsParent, b.IsParent))
}

func compareQI(a, b QI) int {
	return cmp.Or(cmp.Compare(a.Schema, b.Schema), cmp.Compare(a.Name, b.Name))
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

func compareCols(a, b []ColPair) int {
	return slices.CompareFunc(a, b, func(x, y ColPair) int {
		return cmp.Or(cmp.Compare(x.Col, y.Col), cmp.Compare(x.FCol, y.FCol))
	})
}
