package postgrest

import "testing"

// Regression cases found by replaying PostgREST v16.2's own table specs
// (test/spec/Feature/Query/*) against the engine; the fixtures here are our
// own, shaped like the features those specs exercise.
const tableSpecSQL = `
grant usage on schema public to anon;
create table public.docs (
  id int primary key,
  data json,
  bdata jsonb,
  body text,
  tsv tsvector);
grant select, insert, update, delete on public.docs to anon;
insert into public.docs values
  (1, '[{"a": "A"}, {"b": "B"}]', '{"k": "v"}', 'the fat cat', to_tsvector('simple', 'the fat cat')),
  (2, '[{"a": [1,2,3]}, {"b": [4,5]}]', '{"k": [1,2]}', 'a lean dog', to_tsvector('simple', 'a lean dog'));
-- a "computed column" only reachable through public, which is on the
-- search_path only by db-extra-search-path
create function public.docs_flag(public.docs) returns boolean language sql as 'select true';
`

func TestTableSpecs(t *testing.T) {
	e := newEngine(t, tableSpecSQL, func(env map[string]string) {
		env["PGRST_DB_SCHEMAS"] = "public"
	})
	jsonCT := map[string]string{"Content-Type": "application/json; charset=utf-8"}
	runCases(t, e, []tc{
		{name: "unknown select column is named with its table", cite: "T:Query/QuerySpec.hs:1557@v16.2",
			method: "GET", path: "/docs?select=id,zzqx", status: 400,
			wantBody: errBody("42703", "column docs.zzqx does not exist", nil, nil)},
		{name: "unknown filter column is named with its table", cite: "T:Query/QuerySpec.hs:1557@v16.2 (QueryBuilder.hs readPlanToQuery)",
			method: "GET", path: "/docs?zzqx=eq.1", status: 400,
			wantBody: errBody("42703", "column docs.zzqx does not exist", nil, nil)},
		{name: "unknown order column is named with its table", cite: "T:Query/QuerySpec.hs:1557@v16.2",
			method: "GET", path: "/docs?order=zzqx", status: 400,
			wantBody: errBody("42703", "column docs.zzqx does not exist", nil, nil)},
		{name: "unknown PATCH filter column is named with its table", cite: "QueryBuilder.hs mutatePlanToQuery@v16.2",
			method: "PATCH", path: "/docs?zzqx=eq.1", body: `{"body":"x"}`, status: 400,
			wantBody: errBody("42703", "column docs.zzqx does not exist", nil, nil)},
		{name: "empty root select gives all columns", cite: "T:Query/QuerySpec.hs:1486@v16.2",
			method: "GET", path: "/docs?select=&id=eq.1", status: 200, wantHdr: jsonCT,
			wantBody: `[{"id":1,"data":[{"a": "A"}, {"b": "B"}],"bdata":{"k":"v"},"body":"the fat cat","tsv":"'cat':3 'fat':2 'the':1"}]`},
		{name: "->> on a json column keeps json's own text", cite: "T:Query/JsonOperatorSpec.hs:113@v16.2",
			method: "GET", path: "/docs?select=data->0->>a&order=id", status: 200,
			wantBody: `[{"a":"A"},{"a":"[1,2,3]"}]`},
		{name: "-> on a json column keeps json's own text", cite: "T:Query/JsonOperatorSpec.hs:290@v16.2",
			method: "GET", path: "/docs?select=data->-2->>a&id=eq.2", status: 200,
			wantBody: `[{"a":"[1,2,3]"}]`},
		{name: "json path on a non-json column goes through to_jsonb", cite: "Plan.hs resolveTypeOrUnknown@v16.2",
			method: "GET", path: "/docs?select=id->>x&id=eq.1", status: 200,
			wantBody: `[{"x":null}]`},
		{name: "fts on a text column applies to_tsvector", cite: "T:Query/QuerySpec.hs:407@v16.2",
			method: "GET", path: "/docs?select=id&body=fts(simple).lean", status: 200,
			wantBody: `[{"id":2}]`},
		{name: "fts on a tsvector column", cite: "T:Query/QuerySpec.hs:296@v16.2",
			method: "GET", path: "/docs?select=id&tsv=fts(simple).fat", status: 200,
			wantBody: `[{"id":1}]`},
	})

	// db-extra-search-path set to empty: public is not searched, so the
	// computed column function there is not found.
	// T:Query/QuerySpec.hs:521@v16.2 ("cannot access a computed column that
	// is outside of the config schema") and :1422 (ltree operators).
	t.Run("empty extra search path", func(t *testing.T) {
		fixture := tableSpecSQL + `
create schema api;
grant usage on schema api to anon;
create table api.docs (id int primary key);
grant select on api.docs to anon;
insert into api.docs values (1);
create function public.docs_flag(api.docs) returns boolean language sql as 'select true';
`
		e2 := newEngine(t, fixture, func(env map[string]string) {
			env["PGRST_DB_SCHEMAS"] = "api"
			env["PGRST_DB_EXTRA_SEARCH_PATH"] = ""
		})
		runCases(t, e2, []tc{
			{name: "function in public not found", cite: "T:Query/QuerySpec.hs:521@v16.2",
				method: "GET", path: "/docs?docs_flag=is.true", status: 400,
				wantBody: errBody("42703", "column docs.docs_flag does not exist", nil, nil)},
		})
		e3 := newEngine(t, fixture, func(env map[string]string) {
			env["PGRST_DB_SCHEMAS"] = "api"
		})
		runCases(t, e3, []tc{
			{name: "default extra search path is public", cite: "Config.hs db-extra-search-path default@v16.2",
				method: "GET", path: "/docs?docs_flag=is.true", status: 200, wantBody: `[{"id":1}]`},
		})
	})
}
