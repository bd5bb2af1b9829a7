package schemacache

import (
	"cmp"
	"maps"
	"slices"
)

// keyDepType is the role of a view's key dependency (SchemaCache.hs KeyDep).
type keyDepType int

const (
	pkDep    keyDepType = iota // the view exposes a primary key
	fkDep                      // the view exposes a foreign key's columns
	fkDepRef                   // the view exposes the columns a foreign key references
)

// keyDepCol maps one column of the key to every view column that exposes
// it: a view may select a key column several times.
type keyDepCol struct {
	tableCol string
	viewCols []string
}

// viewKeyDep is a key of table that view exposes in full
// (SchemaCache.hs ViewKeyDependency@v16.2).
type viewKeyDep struct {
	table, view QI
	cons        string
	typ         keyDepType
	cols        []keyDepCol // in the constraint's column order
}

// keyColumn is one column of a primary or foreign key, or of the columns
// a foreign key references (allViewsKeyDependencies' pks_fks rows).
type keyColumn struct {
	typ  keyDepType
	name string
	ncol int
	ref  colRef
	ord  int
}

// viewKeyDeps finds, for every view of the exposed schemas, the primary
// keys, foreign keys and referenced keys whose every column the view
// exposes (through views over views of the followed schemas), as
// allViewsKeyDependencies@v16.2 does. Constraints with the same name, role
// and column on one table count once, as its UNION does.
func viewKeyDeps(c *Cache, vc *viewColumns, cons []constraint) []viewKeyDep {
	idx := indexKeyColumns(cons)
	byCol, colName, relName := idx.byCol, idx.colName, idx.relName

	// the view columns exposing each table column, per view
	type viewRef struct {
		view int64
		ref  colRef
	}
	exposing := map[viewRef][]string{}
	var order []viewRef
	cols := slices.SortedFunc(maps.Keys(vc.final), func(a, b colRef) int {
		return cmp.Or(cmp.Compare(a.rel, b.rel), cmp.Compare(a.col, b.col))
	})
	for _, vcol := range cols {
		n := vc.names[vcol.rel]
		t, ok := c.Tables[n.Schema][n.Name]
		if !ok || len(byCol[vc.final[vcol]]) == 0 {
			continue // not an exposed view, or no key there
		}
		name, ok := t.columnAt(vcol.col)
		if !ok {
			continue
		}
		vr := viewRef{vcol.rel, vc.final[vcol]}
		if _, ok := exposing[vr]; !ok {
			order = append(order, vr)
		}
		exposing[vr] = append(exposing[vr], name)
	}

	type groupKey struct {
		view int64
		rel  int64
		name string
		typ  keyDepType
		ncol int
	}
	type entry struct {
		ord int
		col keyDepCol
	}
	groups := map[groupKey][]entry{}
	var keys []groupKey
	for _, vr := range order {
		for _, k := range byCol[vr.ref] {
			g := groupKey{vr.view, vr.ref.rel, k.name, k.typ, k.ncol}
			if _, ok := groups[g]; !ok {
				keys = append(keys, g)
			}
			groups[g] = append(groups[g], entry{k.ord, keyDepCol{colName[vr.ref], exposing[vr]}})
		}
	}
	var out []viewKeyDep
	for _, g := range keys {
		es := groups[g]
		if len(es) != g.ncol {
			continue // a partial key is no key
		}
		slices.SortStableFunc(es, func(a, b entry) int { return cmp.Compare(a.ord, b.ord) })
		d := viewKeyDep{table: relName[g.rel], view: vc.names[g.view], cons: g.name, typ: g.typ}
		for _, e := range es {
			d.cols = append(d.cols, e.col)
		}
		out = append(out, d)
	}
	return out
}

type keyColumnIndex struct {
	byCol   map[colRef][]keyColumn
	colName map[colRef]string
	relName map[int64]QI
}

// indexKeyColumns lists the key columns of every primary and foreign key,
// and the referenced columns of every foreign key, by table column.
func indexKeyColumns(cons []constraint) keyColumnIndex {
	idx := keyColumnIndex{byCol: map[colRef][]keyColumn{}, colName: map[colRef]string{}, relName: map[int64]QI{}}
	seen := map[keyColumn]bool{}
	add := func(k keyColumn, table QI, col string) {
		if seen[k] {
			return
		}
		seen[k] = true
		idx.byCol[k.ref] = append(idx.byCol[k.ref], k)
		idx.colName[k.ref], idx.relName[k.ref.rel] = col, table
	}
	for _, k := range cons {
		if k.typ != "p" && k.typ != "f" {
			continue
		}
		typ := pkDep
		if k.typ == "f" {
			typ = fkDep
		}
		for i, n := range k.keys {
			add(keyColumn{typ, k.name, len(k.keys), colRef{k.rel, n}, i + 1}, k.table, k.cols[i])
		}
		if k.typ == "f" {
			for i, n := range k.fkeys {
				add(keyColumn{fkDepRef, k.name, len(k.fkeys), colRef{k.frel, n}, i + 1}, k.ftable, k.fcols[i])
			}
		}
	}
	return idx
}

// columnAt is the name of the column at attribute number pos.
func (t *Table) columnAt(pos int) (string, bool) {
	for i := range t.Columns {
		if t.Columns[i].Position == pos {
			return t.Columns[i].Name, true
		}
	}
	return "", false
}
