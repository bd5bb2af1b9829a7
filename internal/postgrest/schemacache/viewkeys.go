package schemacache

import (
	"context"
	"regexp"
	"strconv"
	"strings"
)

// Views have no keys of their own. PostgREST gives a view column the
// primary-key and foreign-key roles of the table column it comes from
// (SchemaCache.hs allViewsKeyDependencies@v16.2; viewdeps.go). The origin
// of each view column is read from the view's stored query
// (pg_rewrite.ev_action, TARGETENTRY :resorigtbl/:resorigcol), following
// views over views of the exposed schemas and db-extra-search-path only: a
// view in any other schema ends the chain, while base tables count in
// every schema.

const viewRulesSQL = `
select c.oid::int8, n.nspname, c.relname, r.ev_action::text
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_rewrite r on r.ev_class = c.oid and r.rulename = '_RETURN'
where c.relkind in ('v', 'm') and n.nspname = any($1::text[])`

type colRef struct {
	rel int64
	col int
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

// addViewPrimaryKeys gives a view the primary key columns of the tables
// whose whole primary key it exposes (SchemaCache.hs addViewPrimaryKeys
// @v16.2): Location, PUT and the OpenAPI notes then work on views
// (T:Query/InsertSpec.hs:770, T:OpenApi/OpenApiSpec.hs:180@v16.2). A key
// column exposed twice counts once, the first time (takeFirstPK).
func (c *Cache) addViewPrimaryKeys(deps []viewKeyDep) {
	for _, d := range deps {
		if d.typ != pkDep {
			continue
		}
		t, ok := c.Table(d.view.Schema, d.view.Name)
		if !ok {
			continue
		}
		for _, kc := range d.cols {
			if len(kc.viewCols) == 0 {
				continue
			}
			if col, ok := t.Column(kc.viewCols[0]); ok {
				col.PrimaryKey = true
			}
		}
	}
}
