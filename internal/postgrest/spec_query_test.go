package postgrest

import "testing"

// TestSpecQuery replays PostgREST v16.2's QuerySpec and AndOrParamsSpec
// (test/spec/Feature/Query/QuerySpec.hs, AndOrParamsSpec.hs) on the
// project's fixture: select, filters, full text search, csv and
// Content-Location of reads. Embedding is in spec_embed_query_test.go,
// json paths in spec_json_operator_test.go, ranges in spec_range_test.go.
func TestSpecQuery(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, querySpecCases)
}

func querySpecCases(t *testing.T, e *engine) []tc {
	user := aliceToken(t)
	return []tc{
		// select
		{name: "alias and cast", cite: "T:Query/QuerySpec.hs:594-599@v16.2", method: "GET", path: "/task?select=task_id:id,prio:priority::text&order=id&limit=1", hdr: user, status: 200,
			wantBody: `[{"task_id":1,"prio":"1"}]`},
		{name: "unknown column 42703", cite: "T:Query/QuerySpec.hs:1556@v16.2", method: "GET", path: "/items?select=banana", status: 400,
			contains: []string{`"code":"42703"`, "banana"}},
		{name: "unknown select column is named with its table", cite: "T:Query/QuerySpec.hs:1557@v16.2",
			method: "GET", path: "/docs?select=id,zzqx", status: 400,
			wantBody: errBody("42703", "column docs.zzqx does not exist", nil, nil)},
		{name: "unknown filter column is named with its table", cite: "T:Query/QuerySpec.hs:1557@v16.2 (QueryBuilder.hs readPlanToQuery)",
			method: "GET", path: "/docs?zzqx=eq.1", status: 400,
			wantBody: errBody("42703", "column docs.zzqx does not exist", nil, nil)},
		{name: "unknown order column is named with its table", cite: "T:Query/QuerySpec.hs:1557@v16.2",
			method: "GET", path: "/docs?order=zzqx", status: 400,
			wantBody: errBody("42703", "column docs.zzqx does not exist", nil, nil)},
		{name: "empty root select gives all columns", cite: "T:Query/QuerySpec.hs:1486@v16.2",
			method: "GET", path: "/docs?select=&id=eq.1", status: 200, wantHdr: map[string]string{"Content-Type": jsonCT},
			wantBody: `[{"id":1,"data":[{"a": "A"}, {"b": "B"}],"bdata":{"k":"v"},"body":"the fat cat","tsv":"'cat':3 'fat':2 'the':1"}]`},
		// filters
		{name: "filters in", cite: "T:Query/QuerySpec.hs:64@v16.2", method: "GET", path: "/items?id=in.(1,3)&order=id", status: 200,
			wantBody: `[{"id":1,"name":"one"},{"id":3,"name":"three"}]`},
		{name: "not eq", cite: "T:Query/QuerySpec.hs:48@v16.2", method: "GET", path: "/items?id=not.eq.1&order=id.desc", status: 200,
			wantBody: `[{"id":3,"name":"three"},{"id":2,"name":"two"}]`},
		{name: "like wildcard", cite: "T:Query/QuerySpec.hs:136@v16.2", method: "GET", path: "/items?name=like.t*&id=lt.10&order=id&select=id", status: 200,
			wantBody: `[{"id":2},{"id":3}]`},
		{name: "is null", cite: "T:Query/QuerySpec.hs:84@v16.2", method: "GET", path: "/task?priority=is.null&select=title", hdr: bearer(t, map[string]any{"role": "basic_subscriber", "username": "bob"}), status: 200,
			wantBody: `[{"title":"c"}]`},
		{name: "bad operator PGRST100", cite: "T:Query/QuerySpec.hs:1269@v16.2", method: "GET", path: "/items?id=noop.1", status: 400,
			wantBody: errBody("PGRST100", `"failed to parse filter (noop.1)" (line 1, column 1)`, `unexpected "o" expecting "not" or operator (eq, gt, ...)`, nil)},
		{name: "or logic tree", cite: "T:Query/AndOrParamsSpec.hs:16@v16.2", method: "GET", path: "/items?or=(id.eq.1,name.eq.three)&order=id&select=id", status: 200,
			wantBody: `[{"id":1},{"id":3}]`},
		{name: "fts on a text column applies to_tsvector", cite: "T:Query/QuerySpec.hs:407@v16.2",
			method: "GET", path: "/docs?select=id&body=fts(simple).lean", status: 200,
			wantBody: `[{"id":2}]`},
		{name: "fts on a tsvector column", cite: "T:Query/QuerySpec.hs:296@v16.2",
			method: "GET", path: "/docs?select=id&tsv=fts(simple).fat", status: 200,
			wantBody: `[{"id":1}]`},
		{name: "fts on a domain over a domain over tsvector", cite: "T:Query/QuerySpec.hs:310@v16.2",
			method: "GET", path: "/fts_dom?select=id&v=fts(simple).mice", status: 200, wantBody: `[{"id":1}]`},
		// responses
		{name: "single schema profile header", cite: "T:Query/QuerySpec.hs:1434@v16.2", method: "HEAD", path: "/items", status: 200},
		{name: "content-location", cite: "T:Query/QuerySpec.hs:1246@v16.2", method: "GET", path: "/items?select=id&id=eq.1", status: 200,
			wantHdr: map[string]string{"Content-Location": "/items?id=eq.1&select=id"}},
		// text/csv is a builtin handler of every relation (SchemaCache.hs
		// initialMediaHandlers@v16.2): a header row, then one line per row.
		{name: "csv", cite: "T:Query/QuerySpec.hs:1234@v16.2", method: "GET", path: "/items?id=lte.3&order=id", hdr: map[string]string{"Accept": "text/csv"},
			status: 200, wantHdr: map[string]string{"Content-Type": "text/csv; charset=utf-8", "Content-Length": "27"},
			check: raw("id,name\n1,one\n2,two\n3,three")},
	}
}
