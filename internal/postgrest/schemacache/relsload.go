package schemacache

import (
	"context"
	"fmt"
	"slices"
)

// Relationships are read from pg_catalog in three queries: every key
// constraint (for the foreign-key relationships and the view key
// dependencies), the functions that make computed relationships, and the
// view origins (readViewColumns). The derivation follows
// SchemaCache.hs querySchemaCache@v16.2: allM2OandO2ORels, then
// addViewM2OAndO2ORels, addM2MRels, addInverseRels, the computed
// relationships overriding (getOverrideRelationshipsMap) and removeInternal.

// constraintsSQL lists primary key, unique and foreign key constraints of
// every schema with their column names in key order. pg_catalog's own keys
// count for views over catalogs (allViewsKeyDependencies reads every
// constraint) but not for one-to-one detection (allM2OandO2ORels skips them).
const constraintsSQL = `
select k.conname::text, k.contype::text, k.conparentid <> 0, k.connamespace = 'pg_catalog'::regnamespace,
  k.conrelid::int8, rn.nspname::text, r.relname::text, k.conkey::int[],
  (select array_agg(a.attname::text order by u.o) from unnest(k.conkey) with ordinality u(n, o)
     join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n),
  k.confrelid::int8, coalesce(fn.nspname::text, ''), coalesce(f.relname::text, ''), coalesce(k.confkey::int[], '{}'),
  coalesce((select array_agg(a.attname::text order by u.o) from unnest(k.confkey) with ordinality u(n, o)
     join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n), '{}')
from pg_constraint k
join pg_class r on r.oid = k.conrelid
join pg_namespace rn on rn.oid = r.relnamespace
left join pg_class f on f.oid = k.confrelid
left join pg_namespace fn on fn.oid = f.relnamespace
where k.contype in ('p', 'u', 'f')
order by k.conrelid, k.conname`

// constraint is one row of constraintsSQL.
type constraint struct {
	name, typ          string // typ: p, u, f
	partition, catalog bool   // inherited from a partitioned table's; in pg_catalog
	rel                int64
	table              QI
	keys               []int
	cols               []string
	frel               int64
	ftable             QI
	fkeys              []int
	fcols              []string
}

func loadConstraints(ctx context.Context, q Querier) ([]constraint, error) {
	rows, err := q.Query(ctx, constraintsSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []constraint
	for rows.Next() {
		var k constraint
		if err := rows.Scan(&k.name, &k.typ, &k.partition, &k.catalog, &k.rel, &k.table.Schema, &k.table.Name,
			&k.keys, &k.cols, &k.frel, &k.ftable.Schema, &k.ftable.Name, &k.fkeys, &k.fcols); err != nil {
			return nil, err
		}
		if len(k.cols) != len(k.keys) || len(k.fcols) != len(k.fkeys) {
			continue // a column dropped under us; the next reload sees it right
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// computedRelsSQL finds the functions of one argument whose argument and
// result are row types of relations (SchemaCache.hs allComputedRels@v16.2):
// a function returning one row, or a set with ROWS 1, is a to-one
// relationship.
const computedRelsSQL = `
with rel_types as (
  select reltype from pg_class where relkind in ('v', 'r', 'm', 'f', 'p')
)
select pn.nspname::text, p.proname::text,
  an.nspname::text, at.typname::text,
  rn.nspname::text, rt.typname::text,
  not p.proretset or p.prorows = 1
from pg_proc p
join pg_namespace pn on pn.oid = p.pronamespace
join pg_type at on at.oid = p.proargtypes[0]
join pg_namespace an on an.oid = at.typnamespace
join pg_type rt on rt.oid = p.prorettype
join pg_namespace rn on rn.oid = rt.typnamespace
where p.pronargs = 1
  and p.proargtypes[0] in (select reltype from rel_types)
  and p.prorettype in (select reltype from rel_types)`

func loadComputedRels(ctx context.Context, q Querier) ([]*Relationship, error) {
	rows, err := q.Query(ctx, computedRelsSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Relationship
	for rows.Next() {
		r := &Relationship{Computed: true}
		if err := rows.Scan(&r.Function.Schema, &r.Function.Name, &r.Table.Schema, &r.Table.Name,
			&r.ForeignTable.Schema, &r.ForeignTable.Name, &r.ToOne); err != nil {
			return nil, err
		}
		r.IsSelf = r.Table == r.ForeignTable
		out = append(out, r)
	}
	return out, rows.Err()
}

// fkRels are the many-to-one and one-to-one relationships of the foreign
// keys (SchemaCache.hs allM2OandO2ORels@v16.2): a foreign key whose columns
// are exactly those of a primary key or unique constraint of its table is
// one-to-one. Foreign keys a partition inherits are left out.
func fkRels(cons []constraint) []*Relationship {
	type relKeys struct {
		rel  int64
		keys string
	}
	unique := map[relKeys]bool{}
	for _, k := range cons {
		if (k.typ == "p" || k.typ == "u") && !k.catalog {
			unique[relKeys{k.rel, sortedKeys(k.keys)}] = true
		}
	}
	var out []*Relationship
	for _, k := range cons {
		if k.typ != "f" || k.partition {
			continue
		}
		r := &Relationship{Table: k.table, ForeignTable: k.ftable, IsSelf: k.rel == k.frel,
			Cardinality: M2O, Constraint: k.name}
		for i := range k.cols {
			r.Columns = append(r.Columns, ColPair{Col: k.cols[i], FCol: k.fcols[i]})
		}
		if unique[relKeys{k.rel, sortedKeys(k.keys)}] {
			r.Cardinality = O2O
		}
		out = append(out, r)
	}
	return out
}

// sortedKeys is a set of column numbers as a comparable string.
func sortedKeys(keys []int) string {
	s := slices.Clone(keys)
	slices.Sort(s)
	return fmt.Sprint(s)
}

// addRelationships derives the relationships of the exposed schemas
// (c.Schemas) from the key constraints and the views' key dependencies,
// and reads the computed ones; Load calls it after the view keys.
func (c *Cache) addRelationships(ctx context.Context, q Querier, cons []constraint, deps []viewKeyDep) error {
	comp, err := loadComputedRels(ctx, q)
	if err != nil {
		return err
	}
	rels := fkRels(cons)
	rels = addViewM2OAndO2ORels(deps, rels)
	rels = addM2MRels(c, cons, rels)
	rels = addInverseRels(rels)
	c.Relationships = relationshipsMap(c.Schemas, rels, comp)
	return nil
}

// ForeignKey is the table and column a column of t references, for the
// OpenAPI note (OpenAPI.hs makeProperty@v16.2): the first many-to-one or
// one-to-one relationship of t in its schema whose foreign key is that
// single column, tables before views. Keys to other schemas, and those a
// computed relationship overrides, give none.
func (c *Cache) ForeignKey(t *Table, col string) (table, column string, ok bool) {
	var tables, views []*Relationship
	for _, r := range c.Relationships[RelKey{Origin: QI{Schema: t.Schema, Name: t.Name}, Schema: t.Schema}] {
		switch {
		case r.Computed:
		case r.FTableIsView:
			views = append(views, r)
		default:
			tables = append(tables, r)
		}
	}
	for _, r := range append(tables, views...) {
		toOne := r.Cardinality == M2O || r.Cardinality == O2O && !r.IsParent
		if toOne && len(r.Columns) == 1 && r.Columns[0].Col == col {
			return r.ForeignTable.Name, r.Columns[0].FCol, true
		}
	}
	return "", "", false
}
