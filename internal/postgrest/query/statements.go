package query

import (
	"strconv"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/mediatype"
	"github.com/authstack/authstack/internal/postgrest/plan"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// The main statements (Query/Statements.hs@v16.2). Each selects, in this
// order: the total count (NULL when not counted), the page count, the
// Location of an insert (text[], writes only, as PostgREST's: an EXPLAIN
// VERBOSE shows the same output columns), the body, response.headers,
// response.status and the number of upserted rows (NULL when not
// counted).

const (
	responseHeaders = "nullif(current_setting('response.headers', true), '')"
	responseStatus  = "nullif(current_setting('response.status', true), '')"
	noLocation      = "array[]::text[]"
)

// MainQuery is what the transaction runs for a plan (Query.hs MainQuery).
type MainQuery struct {
	TxVars Stmt
	PreReq *Stmt
	Main   Stmt
	// Explain is the planner's row estimate of the count query, run after
	// the main statement (Prefer: count=planned|estimated).
	Explain *Stmt
	// HasLocation: Main selects the Location column (writes, the root).
	HasLocation bool
}

// Options are the configuration values the statements need.
type Options struct {
	MaxRows int // db-max-rows, 0 = unlimited
}

// Build renders the statements of a plan that uses the database.
func Build(p *plan.Plan, a Request, o Options) MainQuery {
	mq := MainQuery{TxVars: txVars(p, a).Stmt()}
	if a.PreRequest != "" {
		st := PreRequest(a.PreRequest)
		mq.PreReq = &st
	}
	var main Snippet
	switch p.Kind {
	case plan.WrappedRead:
		count := ReadPlanToCountQuery(p.Read)
		main = mainRead(p, count, a.Count, o.MaxRows)
		if a.Count == "planned" || a.Count == "estimated" {
			st := explain(plan.QI{}, "json", nil, count).Stmt()
			mq.Explain = &st
		}
	case plan.MutateRead:
		main = mainWrite(p, a.Return)
		mq.HasLocation = true
	case plan.CallRead:
		main = mainCall(p, a.Count, o.MaxRows)
	case plan.Inspect:
		// $1 is written in the text: bind it by hand.
		main = SQL(strings.ReplaceAll(privilegesSQL, "$1", string(paramMark)))
		main.args = []any{p.Schema, p.Schema, p.Schema, p.Schema}
		mq.HasLocation = true
	}
	if p.Explain {
		main = explainMedia(p.Media, main)
	}
	mq.Main = main.Stmt()
	return mq
}

// PreRequest calls db-pre-request, "schema.function" (Query.hs preReqQuery).
func PreRequest(fn string) Stmt { return SQL("select ", FromQI(parseQI(fn)), "()").Stmt() }

// parseQI splits "schema.name" at the first dot (Config.hs toQi).
func parseQI(s string) plan.QI {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return plan.QI{Schema: s[:i], Name: s[i+1:]}
	}
	return plan.QI{Name: s}
}

func shouldCount(c string) bool { return c == "exact" || c == "estimated" }

// countCTE is the count of the root when it can differ from the page
// (countF): with db-max-rows or a range a separate count, else the page's.
func countCTE(count Snippet, page string, pref string, maxRows int, r *plan.ReadPlan) (Snippet, string) {
	if !shouldCount(pref) {
		return Snippet{}, "null::bigint"
	}
	if maxRows == 0 && r.Range.IsAll() {
		return Snippet{}, page
	}
	var s Snippet
	return *s.S(", pgrst_source_count AS (").A(count).S(")"), "(SELECT pg_catalog.count(*) FROM pgrst_source_count)"
}

func mainRead(p *plan.Plan, count Snippet, pref string, maxRows int) Snippet {
	page := "pg_catalog.count(_postgrest_t)"
	if pref == "estimated" && maxRows > 0 {
		// LIMIT max-rows + 1 tells whether the table has more rows
		// (Statements.hs mainRead limitedQuery).
		count = count.Clone()
		count.S(" LIMIT ", strconv.Itoa(maxRows+1))
	}
	cte, total := countCTE(count, page, pref, maxRows, p.Read)
	var s Snippet
	s.S("WITH ", sourceCTE, " AS ( ").A(ReadPlanToQuery(p.Read)).S(" ) ").A(cte).S(" SELECT ", total, " AS total_result_set, ",
		page, " AS page_total, ", handler(nil, p.Handler), " AS body, ", responseHeaders,
		" AS response_headers, ", responseStatus, " AS response_status, NULL::bigint AS response_inserted FROM ( SELECT * FROM ",
		sourceCTE, " ) _postgrest_t")
	return s
}

func mainWrite(p *plan.Plan, ret string) Snippet {
	m := p.Mutate
	loc := noLocation
	if m.IsInsert() && ret == "headers-only" {
		loc = "CASE WHEN pg_catalog.count(_postgrest_t) = 1 THEN coalesce(" + location(m.PKCols) + ", " + noLocation + ") ELSE " +
			noLocation + " END"
	}
	inserted := "NULL::bigint"
	if m.IsInsert() && (m.IsPut() || m.Resolution == "merge-duplicates") {
		inserted = "nullif(current_setting('pgrst.inserted', true),'')::int"
	}
	sel := SQL("SELECT * FROM ", sourceCTE)
	if p.Handler.Kind != plan.NoAgg {
		sel = ReadPlanToQuery(p.Read)
	}
	var s Snippet
	s.S("WITH ", sourceCTE, " AS (").A(MutatePlanToQuery(m)).S(") SELECT NULL::bigint AS total_result_set, ",
		"pg_catalog.count(_postgrest_t) AS page_total, ", loc, " AS header, ", handler(nil, p.Handler), " AS body, ",
		responseHeaders, " AS response_headers, ", responseStatus, " AS response_status, ", inserted,
		" AS response_inserted FROM (").A(sel).S(") _postgrest_t")
	return s
}

func mainCall(p *plan.Plan, pref string, maxRows int) Snippet {
	page := "pg_catalog.count(_postgrest_t)"
	if p.Proc.ReturnsSingle() {
		page = "1"
	}
	cte, total := countCTE(ReadPlanToCountQuery(p.Read), page, pref, maxRows, p.Read)
	var s Snippet
	s.S("WITH ", sourceCTE, " AS (").A(CallPlanToQuery(p.Call)).S(") ").A(cte).S("SELECT ", total, " AS total_result_set, ",
		page, " AS page_total, ", handler(p.Proc, p.Handler), " AS body, ", responseHeaders,
		" AS response_headers, ", responseStatus, " AS response_status, NULL::bigint AS response_inserted FROM (").
		A(ReadPlanToQuery(p.Read)).S(") _postgrest_t")
	return s
}

// location lists pk=eq.value of the inserted row (locationF).
func location(pk []string) string {
	keys := make([]string, len(pk))
	for i, k := range pk {
		keys[i] = strings.ReplaceAll(k, "'", "''")
	}
	return "(WITH data AS (SELECT row_to_json(_) AS row FROM " + sourceCTE + " AS _ LIMIT 1) " +
		"SELECT array_agg(json_data.key || '=' || coalesce('eq.' || json_data.value, 'is.null')) " +
		"FROM data CROSS JOIN json_each_text(data.row) AS json_data WHERE json_data.key IN ('" + strings.Join(keys, "','") + "'))"
}

func strip(on bool, s string) string {
	if on {
		return "json_strip_nulls(" + s + ")"
	}
	return s
}

// handler renders the body of the result rows (handlerF).
func handler(f *schemacache.Function, h plan.Handler) string {
	scalar := f != nil && f.ReturnsScalar()
	switch h.Kind {
	case plan.AggArrayJSONStrip, plan.OvAggJSON:
		st := h.Kind == plan.AggArrayJSONStrip
		switch {
		case f != nil && f.ReturnsSingleComposite():
			return "coalesce(" + strip(st, "json_agg(_postgrest_t)->0") + ", 'null')"
		case scalar:
			return "coalesce(" + strip(st, "json_agg(_postgrest_t.pgrst_scalar)->0") + ", 'null')"
		case f != nil && f.ReturnsSetOfScalar():
			return "coalesce(" + strip(st, "json_agg(_postgrest_t.pgrst_scalar)") + ", '[]')"
		}
		return "coalesce(" + strip(st, "json_agg(_postgrest_t)") + ", '[]')"
	case plan.AggSingleJSON:
		if scalar {
			return "coalesce(" + strip(h.Strip, "json_agg(_postgrest_t.pgrst_scalar)->0") + ", 'null')"
		}
		return "coalesce(" + strip(h.Strip, "json_agg(_postgrest_t)->0") + ", 'null')"
	case plan.OvAggGeoJSON:
		return "json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(ST_AsGeoJSON(_postgrest_t)::json), '[]'))"
	case plan.OvAggCSV:
		return csvBody
	case plan.CustomFunc:
		switch {
		case scalar:
			return FromQI(h.Func) + "(_postgrest_t.pgrst_scalar)"
		case h.Target == nil:
			return FromQI(h.Func) + "(_postgrest_t)"
		}
		return FromQI(h.Func) + "(_postgrest_t::" + FromQI(*h.Target) + ")"
	}
	return "''::text"
}

// csvBody is the header row of the first result row's keys and one line
// per row (asCsvF).
const csvBody = "(SELECT coalesce(string_agg(a.k, ','), '')  FROM (    SELECT json_object_keys(r)::text as k    FROM ( " +
	"      SELECT row_to_json(hh) as r from " + sourceCTE + " as hh limit 1    ) s  ) a)" +
	" || '\n' || coalesce(string_agg(substring(_postgrest_t::text, 2, length(_postgrest_t::text) - 2), '\n'), '')"

// explain wraps a statement in EXPLAIN (explainF).
func explain(_ plan.QI, format string, opts []mediatype.PlanOption, s Snippet) Snippet {
	parts := []string{"FORMAT " + strings.ToUpper(format)}
	for _, o := range opts {
		parts = append(parts, strings.ToUpper(string(o)))
	}
	var out Snippet
	return *out.S("EXPLAIN (", strings.Join(parts, ", "), ") ").A(s)
}

func explainMedia(m mediatype.MediaType, s Snippet) Snippet {
	f := "text"
	if m.Format == mediatype.PlanJSON {
		f = "json"
	}
	return explain(plan.QI{}, f, m.Options, s)
}
