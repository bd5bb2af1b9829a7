package schemacache

import (
	"context"
	"regexp"
	"strconv"
	"strings"
)

// Views have no keys of their own. PostgREST gives a view column the
// primary-key and foreign-key roles of the table column it comes from
// (SchemaCache.hs viewKeyDependencies / addViewPrimaryKeys@v16.2), so that
// Location, PUT and the OpenAPI notes work on views like on tables
// (T:Query/InsertSpec.hs:770, T:OpenApi/OpenApiSpec.hs:180@v16.2). The
// origin of each view column is read from the view's stored query
// (pg_rewrite.ev_action, TARGETENTRY :resorigtbl/:resorigcol), following
// views over views.

const viewRulesSQL = `
select c.oid::int8, n.nspname, c.relname, r.ev_action::text
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_rewrite r on r.ev_class = c.oid and r.rulename = '_RETURN'
where c.relkind in ('v', 'm') and n.nspname = any($1::text[])`

const keyColumnsSQL = `
select c.oid::int8, a.attnum::int,
  exists (select from pg_constraint k where k.conrelid = c.oid and k.contype = 'p' and a.attnum = any(k.conkey)),
  coalesce((select fc.relname || '|' || fa.attname from pg_constraint k
            join pg_class fc on fc.oid = k.confrelid
            join pg_attribute fa on fa.attrelid = k.confrelid and fa.attnum = k.confkey[1]
            where k.contype = 'f' and k.conrelid = c.oid and array_length(k.conkey, 1) = 1
              and k.conkey[1] = a.attnum limit 1), '')
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
  and exists (select from pg_constraint k where k.conrelid = c.oid and k.contype in ('p', 'f') and a.attnum = any(k.conkey))`

type colRef struct {
	rel int64
	col int
}

type keyInfo struct {
	pk           bool
	fkTab, fkCol string
}

// viewOrigins maps (view oid, view column number) to the column it comes
// from, for the columns of the view's top-level select list that have one.
type viewOrigins map[colRef]colRef

var targetFieldRE = regexp.MustCompile(`:(resno|resorigtbl|resorigcol|resjunk) (\S+)`)

// topLevelTargets parses the top-level target list of a stored rule action
// (nodeToString output, "({QUERY ... :targetList ({TARGETENTRY ...} ...) ...})")
// and returns resno -> origin for entries with a known origin.
func topLevelTargets(action string) map[int]colRef {
	out := map[int]colRef{}
	depth := 0
	var item strings.Builder // the current TARGETENTRY's own fields (depth 2 only)
	inList := false
	listDepthParen := 0
	paren := 0
	for i := 0; i < len(action); i++ {
		ch := action[i]
		if ch == '\\' && i+1 < len(action) { // escaped character in a token
			if inList && depth == 2 {
				item.WriteByte(action[i+1])
			}
			i++
			continue
		}
		switch ch {
		case '{':
			depth++
			if inList && depth == 2 {
				item.Reset()
			}
			continue
		case '}':
			if inList && depth == 2 {
				addTarget(out, item.String())
			}
			depth--
			continue
		case '(':
			paren++
		case ')':
			paren--
			if inList && depth == 1 && paren < listDepthParen {
				return out
			}
		}
		if depth == 1 && !inList && strings.HasPrefix(action[i:], ":targetList ") {
			inList = true
			listDepthParen = paren + 1
			i += len(":targetList ") - 1
			continue
		}
		if inList && depth == 2 {
			item.WriteByte(ch)
		}
	}
	return out
}

func addTarget(out map[int]colRef, fields string) {
	var resno, col int
	var tbl int64
	junk := false
	for _, m := range targetFieldRE.FindAllStringSubmatch(fields, -1) {
		switch m[1] {
		case "resno":
			resno, _ = strconv.Atoi(m[2])
		case "resorigtbl":
			tbl, _ = strconv.ParseInt(m[2], 10, 64)
		case "resorigcol":
			col, _ = strconv.Atoi(m[2])
		case "resjunk":
			junk = m[2] == "true"
		}
	}
	if !junk && resno > 0 && tbl != 0 && col > 0 {
		out[resno] = colRef{tbl, col}
	}
}

// viewColumns are the views of the exposed schemas and of
// db-extra-search-path and where their columns come from.
type viewColumns struct {
	names map[int64]QI
	// final is the base-table column each view column ends at, through
	// views over views (of the followed schemas only).
	final map[colRef]colRef
}

// readViewColumns reads the stored query of every view of the followed
// schemas and follows each top-level column to its table column.
func readViewColumns(ctx context.Context, q Querier, followed []string) (*viewColumns, error) {
	origins := viewOrigins{}
	vc := &viewColumns{names: map[int64]QI{}, final: map[colRef]colRef{}}
	rows, err := q.Query(ctx, viewRulesSQL, followed)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var oid int64
		var n QI
		var action string
		if err := rows.Scan(&oid, &n.Schema, &n.Name, &action); err != nil {
			return nil, err
		}
		vc.names[oid] = n
		for resno, ref := range topLevelTargets(action) {
			origins[colRef{oid, resno}] = ref
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for c := range origins {
		ref, ok := c, true
		for hops := 0; ok && vc.isView(ref.rel) && hops < 64; hops++ {
			ref, ok = origins[ref]
		}
		if ok && !vc.isView(ref.rel) {
			vc.final[c] = ref
		}
	}
	return vc, nil
}

func (vc *viewColumns) isView(oid int64) bool { _, ok := vc.names[oid]; return ok }

// AddViewKeys gives the columns of the cached views the primary-key and
// foreign-key roles of their origin columns. A view gets a table's primary
// key only when every column of that key is exposed (no partial keys); a
// computed column has no origin. Like PostgREST's allViewsKeyDependencies
// (SchemaCache.hs:814-1012@v16.2), it follows a column only through views
// of the exposed schemas (c.Schemas) and of extraSearchPath
// (db-extra-search-path): a view in any other schema ends the chain with no
// key, while base tables count in every schema. Load calls it; it is
// idempotent.
func (c *Cache) AddViewKeys(ctx context.Context, q Querier, extraSearchPath []string) error {
	followed := append(append([]string{}, c.Schemas...), extraSearchPath...)
	vc, err := readViewColumns(ctx, q, followed)
	if err != nil {
		return err
	}
	return c.addViewKeys(ctx, q, vc)
}

func (c *Cache) addViewKeys(ctx context.Context, q Querier, vc *viewColumns) error {
	final := vc.final
	keys := map[colRef]keyInfo{}
	pkSize := map[int64]int{} // base table -> number of primary key columns
	rows, err := q.Query(ctx, keyColumnsSQL)
	if err != nil {
		return err
	}
	for rows.Next() {
		var ref colRef
		var k keyInfo
		var fk string
		if err := rows.Scan(&ref.rel, &ref.col, &k.pk, &fk); err != nil {
			return err
		}
		if fk != "" {
			k.fkTab, k.fkCol, _ = strings.Cut(fk, "|")
		}
		keys[ref] = k
		if k.pk {
			pkSize[ref.rel]++
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for oid, n := range vc.names {
		t, ok := c.Tables[n.Schema][n.Name]
		if !ok {
			continue
		}
		// which primary key columns of each base table the view exposes
		exposed := map[int64]map[int]bool{}
		for i := range t.Columns {
			ref, ok := final[colRef{oid, t.Columns[i].Position}]
			if !ok || !keys[ref].pk {
				continue
			}
			if exposed[ref.rel] == nil {
				exposed[ref.rel] = map[int]bool{}
			}
			exposed[ref.rel][ref.col] = true
		}
		taken := map[colRef]bool{}
		for i := range t.Columns {
			col := &t.Columns[i]
			ref, ok := final[colRef{oid, col.Position}]
			if !ok {
				continue
			}
			k := keys[ref]
			// a key column exposed twice counts once, the first time
			// (SchemaCache.hs takeFirstPK@v16.2)
			if k.pk && len(exposed[ref.rel]) == pkSize[ref.rel] && !taken[ref] {
				col.PrimaryKey = true
				taken[ref] = true
			}
			if k.fkTab != "" && col.FKTable == "" {
				col.FKTable, col.FKColumn = k.fkTab, k.fkCol
			}
		}
	}
	return nil
}
