package postgrest

import (
	"strings"
	"testing"
)

// TestSpecExtraSearchPath replays PostgREST v16.2's ExtraSearchPathSpec
// (test/spec/Feature/ExtraSearchPathSpec.hs) and QuerySpec's cases
// without it: db-extra-search-path follows the exposed schema in
// search_path (Query/PreQuery.hs:36-62@v16.2), so functions and operators
// of those schemas are found.
func TestSpecExtraSearchPath(t *testing.T) {
	t.Parallel()
	t.Run("public, extensions", func(t *testing.T) {
		t.Parallel()
		e := newReadOnlyEngine(t, func(env map[string]string) { env["PGRST_DB_EXTRA_SEARCH_PATH"] = "public, extensions" })
		r := e.do("POST", "/rpc/gucs", nil, "")
		if !strings.Contains(r.body, `"search_path" : "\"public\", \"public\", \"extensions\""`) {
			t.Fatalf("search_path: %s", r.body)
		}
	})
	// db-extra-search-path set to empty: public is not searched, so the
	// computed column function there is not found.
	// T:Query/QuerySpec.hs:521@v16.2 ("cannot access a computed column that
	// is outside of the config schema") and :1422 (ltree operators).
	t.Run("empty extra search path", func(t *testing.T) {
		t.Parallel()
		fixture := docsFixtureSQL + `
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
