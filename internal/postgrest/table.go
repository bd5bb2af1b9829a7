package postgrest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/fuzzy"
	"github.com/authstack/authstack/internal/postgrest/query"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

func (s *Server) tableNotFound(req *request) *apierr.Error {
	hint := ""
	if best, ok := fuzzy.New(req.cache.TableNames(req.schema)).Best(req.name, 0.75); ok {
		hint = "Perhaps you meant the table '" + req.schema + "." + best + "'"
	}
	return apierr.New(404, "PGRST205", "Could not find the table '"+req.schema+"."+req.name+"' in the schema cache", "", hint)
}

func (s *Server) handleTable(w http.ResponseWriter, req *request) *apierr.Error {
	t, ok := req.cache.Table(req.schema, req.name)
	if !ok {
		return s.tableNotFound(req)
	}
	if req.method == "POST" || req.method == "PATCH" || req.method == "PUT" {
		for _, k := range req.payload.keys {
			if _, ok := t.Column(k); !ok {
				return apierr.New(400, "PGRST204", "Could not find the '"+k+"' column of '"+t.Name+"' in the schema cache", "", "")
			}
		}
	}
	if e := req.q.unsupported(t.Name, req.schema); e != nil {
		return e
	}
	// Plan.hs@v16.2: wrappedReadPlan negotiates Accept before it rejects
	// invalid preferences under handling=strict; mutateReadPlan does the
	// opposite (strict first, then negotiateContent).
	read := req.method == "GET" || req.method == "HEAD"
	if !read {
		if e := req.prefs.StrictError(); e != nil {
			return fromQueryErr(e)
		}
	}
	m, ne := pickMedia(req.r, true)
	if ne != nil {
		return ne
	}
	if read {
		if e := req.prefs.StrictError(); e != nil {
			return fromQueryErr(e)
		}
	}
	req.singular, req.strip = m.singular, m.strip
	switch req.method {
	case "GET", "HEAD":
		return s.tableRead(w, req, t)
	case "POST":
		return s.tableInsert(w, req, t)
	case "PUT":
		return s.tablePut(w, req, t)
	default:
		return s.tableMutate(w, req, t)
	}
}

func contentLocation(req *request) string {
	loc := "/" + req.name
	if c := req.q.canonical(); c != "" {
		return loc + "?" + c
	}
	return loc
}

func (s *Server) tableRead(w http.ResponseWriter, req *request, t *schemacache.Table) *apierr.Error {
	// Columns are qualified with the relation, as PostgREST's read query,
	// so PostgreSQL names it in errors: `column items.x does not exist`
	// (T:Query/QuerySpec.hs:1557@v16.2).
	from := qualified(t.Schema, t.Name)
	b := tableBuilder(t, from)
	sel := req.q.selectSQL(b)
	where := ""
	if wh := req.q.whereSQL(b); wh != "" {
		where = " WHERE " + wh
	}
	order := ""
	if o := req.q.orderSQL(b); o != "" {
		order = " ORDER BY " + o
	}
	off, lim := req.q.window(s.conf().DBMaxRows)
	count := "NULL::bigint"
	if req.prefs.count == "exact" {
		count = "(SELECT pg_catalog.count(*) FROM " + from + where + ")"
	}
	sql := "WITH pgrst_source AS (SELECT " + sel + " FROM " + from + where + order + limitSQL(off, lim) + ") SELECT " + count +
		", pg_catalog.count(_postgrest_t), " + aggBody(req) + ", " + gucCols +
		" FROM (SELECT * FROM pgrst_source) _postgrest_t"
	res, e := s.run(req.r.Context(), req, true, "", sql, b.Args)
	if e != nil {
		return e
	}
	resp := &response{status: 200, hasBody: true}
	if res.total != nil {
		if off > *res.total { // RangeQuery.hs rangeStatus: lower > total
			return offsetErr(off, *res.total)
		}
		if res.pageTotal < *res.total {
			resp.status = 206
		}
	}
	resp.add("Content-Type", req.contentType())
	resp.add("Content-Range", contentRange(off, res.pageTotal, res.total))
	resp.add("Content-Location", contentLocation(req))
	if pa := req.prefs.applied(false, res.total != nil, req.timezone() != ""); pa != "" {
		resp.add("Preference-Applied", pa)
	}
	if res.body != nil {
		resp.body = []byte(*res.body)
	}
	return s.finish(w, req, resp, res)
}

func (s *Server) recordsetDefs(t *schemacache.Table, keys []string) string {
	var defs []string
	for _, k := range keys {
		c, _ := t.Column(k)
		defs = append(defs, quoteIdent(k)+" "+c.Type)
	}
	return strings.Join(defs, ", ")
}

func quotedList(keys []string, prefix string) string {
	var out []string
	for _, k := range keys {
		out = append(out, prefix+quoteIdent(k))
	}
	return strings.Join(out, ", ")
}

func (s *Server) returning(req *request, t *schemacache.Table) (ret, sel, body string) {
	switch req.prefs.ret {
	case "representation":
		return returningCols(req, t), "", aggBody(req)
	case "headers-only":
		return returningCols(req, t), "", "coalesce(json_agg(_postgrest_t), '[]')::text"
	}
	return "1", "", "NULL::text"
}

// returningCols is the RETURNING list of a mutation with a representation
// or headers-only (Plan.hs inferColsEmbedNeeds@v16.2): "t".* when select=
// has *, else the selected columns and the primary key columns, sorted, so
// that a role with column privileges on just those columns can mutate
// (T:Query/InsertSpec.hs:707, T:Query/DeleteSpec.hs:122@v16.2).
func returningCols(req *request, t *schemacache.Table) string {
	tbl := qualified(t.Schema, t.Name)
	names := map[string]bool{}
	for _, it := range req.q.p.Select {
		if it.Kind != query.SelectField || it.Aggregate != "" {
			continue
		}
		if it.Field.Name == "*" {
			return tbl + ".*"
		}
		names[it.Field.Name] = true
	}
	for _, k := range t.PKColumns() {
		names[k] = true
	}
	if len(names) == 0 {
		return tbl + ".*"
	}
	cols := make([]string, 0, len(names))
	for k := range names {
		cols = append(cols, k)
	}
	sort.Strings(cols)
	return quotedList(cols, tbl+".")
}

func (s *Server) tableInsert(w http.ResponseWriter, req *request, t *schemacache.Table) *apierr.Error {
	b := tableBuilder(t, "")
	target := qualified(t.Schema, t.Name)
	ret, _, body := s.returning(req, t)
	keys := req.payload.keys
	// Prefer: resolution=merge-duplicates|ignore-duplicates upserts on
	// on_conflict= or the primary key (QueryBuilder.hs@v16.2).
	conflict := req.q.p.OnConflict
	if conflict == nil {
		conflict = t.PKColumns()
	}
	resolution := ""
	if len(conflict) > 0 && len(keys) > 0 {
		resolution = req.prefs.Resolution
	}
	var ins string
	switch {
	case req.payload.isArray && req.payload.empty && len(t.Columns) > 0:
		// nothing to insert; still a real INSERT (privileges, RLS) of zero rows
		k := []string{t.Columns[0].Name}
		ins = "INSERT INTO " + target + "(" + quotedList(k, "") + ") SELECT " + quotedList(k, "") + " FROM json_to_recordset(" +
			b.Arg("[]") + "::json) AS _(" + s.recordsetDefs(t, k) + ")"
	case len(keys) == 0:
		ins = "INSERT INTO " + target + " DEFAULT VALUES"
	default:
		cols := quotedList(keys, "")
		ins = "INSERT INTO " + target + "(" + cols + ") SELECT " + cols + " FROM json_to_recordset(" + bodySource(req, t, keys, b) +
			") AS pgrst_body(" + s.recordsetDefs(t, keys) + ")"
		ins += onConflictSQL(resolution, conflict, keys, "")
	}
	sql := mutationSQL(req, b, "", ins+" RETURNING "+ret, body)
	res, e := s.run(req.r.Context(), req, false, "", sql, b.Args)
	if e != nil {
		return e
	}
	resp := &response{status: 201}
	// Response.hs isInsertIfGTZero@v16.2: with merge-duplicates on a key,
	// no row counted as inserted (also an empty array) is 200
	// (T:Query/UpsertSpec.hs:76@v16.2); without a key or on_conflict the
	// preference does not apply and it stays 201 (T:Query/UpsertSpec.hs:156).
	if len(conflict) > 0 && req.prefs.Resolution == "merge-duplicates" && (res.inserted == nil || *res.inserted <= 0) {
		resp.status = 200
	}
	switch req.prefs.ret {
	case "representation":
		resp.add("Content-Type", req.contentType())
		resp.hasBody = true
		if res.body != nil {
			resp.body = []byte(*res.body)
		}
	case "headers-only":
		if res.body != nil && res.pageTotal == 1 {
			var rows []map[string]any
			dec := json.NewDecoder(strings.NewReader(*res.body))
			dec.UseNumber() // bigint and numeric keys keep their digits
			if dec.Decode(&rows) == nil && len(rows) == 1 {
				var qs []string
				for _, k := range t.PKColumns() {
					// SqlFragment.hs locationF@v16.2: coalesce('eq.' || value, 'is.null')
					// (T:Query/InsertSpec.hs:784@v16.2)
					v := "is.null"
					if x := rows[0][k]; x != nil {
						v = "eq." + pkValue(x)
					}
					qs = append(qs, queryEscape(k)+"="+v)
				}
				resp.add("Location", "/"+t.Name+"?"+strings.Join(qs, "&"))
			}
		}
		resp.hasBody = true
	default:
		resp.hasBody = true
	}
	resp.add("Content-Range", contentRange(0, 0, res.total))
	// Response.hs responsePreferences@v16.2: resolution is applied whenever
	// there is a primary key or on_conflict, also for an empty body.
	applied := ""
	if len(conflict) > 0 {
		applied = req.prefs.Resolution
	}
	if pa := req.prefs.appliedInsert(applied, res.total != nil, req.timezone() != ""); pa != "" {
		resp.add("Preference-Applied", pa)
	}
	return s.finish(w, req, resp, res)
}

// incInserted / decInserted count inserted rows in pgrst.inserted: every
// candidate row adds one, every conflict update takes one away
// (SqlFragment.hs addConfigPgrstInserted@v16.2).
const (
	incInserted = `set_config('pgrst.inserted', (coalesce(nullif(current_setting('pgrst.inserted', true), '')::int, 0) + 1)::text, true) <> '0'`
	decInserted = `set_config('pgrst.inserted', (coalesce(nullif(current_setting('pgrst.inserted', true), '')::int, 0) - 1)::text, true) <> '-1'`
)

// onConflictSQL renders the WHERE/ON CONFLICT tail of an upsert; extra is
// an additional condition on pgrst_body (PUT).
func onConflictSQL(resolution string, conflict, keys []string, extra string) string {
	where := ""
	if resolution == "merge-duplicates" {
		where = " WHERE " + incInserted
	}
	if extra != "" {
		if where == "" {
			where = " WHERE " + extra
		} else {
			where += " AND " + extra
		}
	}
	switch resolution {
	case "merge-duplicates":
		var sets []string
		for _, k := range keys {
			sets = append(sets, quoteIdent(k)+" = EXCLUDED."+quoteIdent(k))
		}
		return where + " ON CONFLICT(" + quotedList(conflict, "") + ") DO UPDATE SET " + strings.Join(sets, ", ") + " WHERE " + decInserted
	case "ignore-duplicates":
		return where + " ON CONFLICT(" + quotedList(conflict, "") + ") DO NOTHING"
	}
	return where
}

// tablePut is PUT /<table>?<pk>=eq.<v>: a single-row upsert on the primary
// key (Plan.hs MutationSingleUpsert, Response.hs@v16.2).
// bodySource is the json array the insert/update reads its rows from: the
// payload, or with Prefer: missing=default each object laid over the
// defaults of the target columns it lacks (SqlFragment.hs fromJsonBodyF
// includeDefaults@v16.2, T:Query/InsertSpec.hs:497-575@v16.2).
func bodySource(req *request, t *schemacache.Table, keys []string, b *argBuilder) string {
	body := b.Arg(string(req.payload.rows))
	if req.prefs.Missing != "default" {
		return body + "::json"
	}
	var defs []string
	for _, k := range keys {
		if c, ok := t.Column(k); ok && c.Default != "" {
			defs = append(defs, quoteLiteral(k)+", "+c.Default)
		}
	}
	if len(defs) == 0 {
		return body + "::json"
	}
	return "(SELECT jsonb_agg(jsonb_build_object(" + strings.Join(defs, ", ") + ") || pgrst_elem) FROM jsonb_array_elements(" +
		body + "::jsonb) pgrst_elem)::json"
}

// tableBuilder is a Builder that knows t's column types: JSON paths on
// json/jsonb columns need no to_jsonb, full-text filters on other columns
// get to_tsvector (Plan.hs resolveTypeOrUnknown@v16.2).
func tableBuilder(t *schemacache.Table, qualifier string) *argBuilder {
	return &argBuilder{Table: qualifier, JSONColumns: t.JSONCols, ColumnTypes: t.BaseTypes}
}

// orderBy is the order= of a mutation's representation, applied to the
// returned rows (the read plan over pgrst_source, Query/Statements.hs
// mainWrite@v16.2; T:Query/UpdateSpec.hs:443@v16.2): " ORDER BY …", or ""
// without order=.
// mutationSQL wraps a write (stmt, with its RETURNING) in the outer
// statement every mutation shares: the optional exact count, the number of
// affected rows, the body of the returned rows (shaped by select= and
// order= with return=representation) and the response GUCs. with is an
// optional list of CTEs ending in ", ".
func mutationSQL(req *request, b *argBuilder, with, stmt, body string) string {
	sel, order := "*", ""
	if req.prefs.ret == "representation" {
		sel, order = req.q.selectSQL(b), orderBy(req, b)
	}
	count := "NULL::bigint"
	if req.prefs.count == "exact" {
		count = "pg_catalog.count(_postgrest_t)"
	}
	return "WITH " + with + "pgrst_source AS (" + stmt + ") SELECT " + count + ", pg_catalog.count(_postgrest_t), " + body + ", " +
		gucCols + " FROM (SELECT " + sel + " FROM pgrst_source" + order + ") _postgrest_t"
}

func orderBy(req *request, b *argBuilder) string {
	if o := req.q.orderSQL(b); o != "" {
		return " ORDER BY " + o
	}
	return ""
}

func (s *Server) tablePut(w http.ResponseWriter, req *request, t *schemacache.Table) *apierr.Error {
	pk := t.PKColumns()
	fields := map[string]bool{}
	ok := len(req.q.p.Logic) == 0 && len(pk) > 0
	for _, f := range req.q.p.Filters {
		if len(f.Path) > 0 {
			continue
		}
		o := f.Operation
		if o.Op != "eq" || o.Negated || o.Quantifier != "" || len(f.Field.JSONPath) > 0 {
			ok = false
		}
		fields[f.Field.Name] = true
	}
	if len(fields) != len(pk) {
		ok = false
	}
	for _, c := range pk {
		if !fields[c] {
			ok = false
		}
	}
	if !ok {
		return apierr.New(405, "PGRST105", "Filters must include all and only primary key columns with 'eq' operators", "", "")
	}
	keys := req.payload.keys
	if len(keys) == 0 {
		return apierr.InvalidBody("Empty or invalid json")
	}
	b := tableBuilder(t, "")
	target := qualified(t.Schema, t.Name)
	ret, _, body := s.returning(req, t)
	if req.prefs.ret == "headers-only" {
		ret, body = "1", "NULL::text"
	}
	cols := quotedList(keys, "")
	ins := "INSERT INTO " + target + "(" + cols + ") SELECT " + cols + " FROM json_to_recordset(" + b.Arg(string(req.payload.rows)) +
		"::json) AS pgrst_body(" + s.recordsetDefs(t, keys) + ")"
	b.Table = "pgrst_body"
	cond := req.q.p.WhereSQL(b)
	b.Table = ""
	ins += onConflictSQL("merge-duplicates", pk, keys, cond)
	sel, order := "*", ""
	if req.prefs.ret == "representation" {
		sel, order = req.q.selectSQL(b), orderBy(req, b)
	}
	sql := "WITH pgrst_source AS (" + ins + " RETURNING " + ret + ") SELECT NULL::bigint, pg_catalog.count(_postgrest_t), " + body + ", " +
		gucCols + " FROM (SELECT " + sel + " FROM pgrst_source" + order + ") _postgrest_t"
	res, e := s.run(req.r.Context(), req, false, "", sql, b.Args)
	if e != nil {
		return e
	}
	resp := &response{status: 204}
	if req.prefs.ret == "representation" {
		resp.status = 200
		if res.inserted != nil && *res.inserted > 0 {
			resp.status = 201
		}
		resp.add("Content-Type", req.contentType())
		resp.hasBody = true
		if res.body != nil {
			resp.body = []byte(*res.body)
		}
	}
	if pa := req.prefs.applied(true, false, req.timezone() != ""); pa != "" {
		resp.add("Preference-Applied", pa)
	}
	return s.finish(w, req, resp, res)
}

func pkValue(v any) string {
	switch x := v.(type) {
	case string:
		return queryEscape(x)
	case nil:
		return "null"
	default:
		b, _ := json.Marshal(x)
		return queryEscape(string(b))
	}
}

// queryEscape is http-types' urlEncode True, used by renderSimpleQuery for
// Location: every byte but A-Z a-z 0-9 - _ . ~ is percent-encoded, a space
// too (%20, never '+').
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

func (s *Server) tableMutate(w http.ResponseWriter, req *request, t *schemacache.Table) *apierr.Error {
	b := tableBuilder(t, "")
	target := qualified(t.Schema, t.Name)
	ret, _, body := s.returning(req, t)
	if req.prefs.ret == "headers-only" {
		ret, body = "1", "NULL::text"
	}
	where := ""
	var stmt, with string
	if req.method == "PATCH" {
		// An array body is accepted; its first object is applied (LIMIT 1
		// below), and [] or [{}] change nothing (T:Query/UpdateSpec.hs:245-270@v16.2).
		keys := req.payload.keys
		if len(keys) == 0 {
			stmt = "SELECT " + target + ".* FROM " + target + " WHERE false"
			if ret == "1" {
				stmt = "SELECT 1 WHERE false"
			}
			ret = ""
		} else {
			with = "pgrst_body AS (SELECT * FROM json_to_recordset(" + bodySource(req, t, keys, b) + ") AS _(" +
				s.recordsetDefs(t, keys) + ") LIMIT 1), "
			var sets []string
			for _, k := range keys {
				sets = append(sets, quoteIdent(k)+" = (SELECT pgrst_body."+quoteIdent(k)+" FROM pgrst_body)")
			}
			stmt = "UPDATE " + target + " SET " + strings.Join(sets, ", ")
		}
	} else {
		stmt = "DELETE FROM " + target
	}
	b.Table = target // the WHERE names the table's columns (QueryBuilder.hs mutatePlanToQuery@v16.2)
	if wh := req.q.whereSQL(b); wh != "" {
		where = " WHERE " + wh
	}
	b.Table = ""
	if ret != "" {
		stmt += where + " RETURNING " + ret
	}
	sql := mutationSQL(req, b, with, stmt, body)
	res, e := s.run(req.r.Context(), req, false, "", sql, b.Args)
	if e != nil {
		return e
	}
	resp := &response{status: 204}
	if req.prefs.ret == "representation" {
		resp.status = 200
		resp.add("Content-Type", req.contentType())
		resp.hasBody = true
		if res.body != nil {
			resp.body = []byte(*res.body)
		}
	}
	if req.method == "PATCH" {
		resp.add("Content-Range", contentRange(0, res.pageTotal, res.total))
	} else {
		resp.add("Content-Range", contentRange(0, 0, res.total))
	}
	if pa := req.prefs.appliedMutation(res.total != nil, req.timezone() != "", req.method == "PATCH"); pa != "" {
		resp.add("Preference-Applied", pa)
	}
	return s.finish(w, req, resp, res)
}

// aggBody renders the rows as a JSON array, or as the single object for
// application/vnd.pgrst.object+json (the row count is checked in run).
func aggBody(req *request) string {
	agg := "json_agg(_postgrest_t)"
	if req.singular {
		agg += "->0"
	}
	if req.strip { // SqlFragment.hs addNullsToSnip (nulls=stripped)
		agg = "json_strip_nulls(" + agg + ")"
	}
	if req.singular {
		return "coalesce((" + agg + ")::text, 'null')"
	}
	return "coalesce(" + agg + ", '[]')::text"
}

// quoteLiteral renders a SQL string literal (standard_conforming_strings).
func quoteLiteral(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
