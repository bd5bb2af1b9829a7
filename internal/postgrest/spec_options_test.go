package postgrest

import "testing"

// TestSpecOptions replays PostgREST v16.2's OptionsSpec
// (test/spec/Feature/OptionsSpec.hs): the Allow header of tables,
// functions by volatility, and views by the keys and triggers they have
// (SchemaCache.hs allViewsKeyDependencies@v16.2). OPTIONS runs no
// transaction.
func TestSpecOptions(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, func(t *testing.T, e *engine) []tc {
		return []tc{
			{name: "options", cite: "T:OptionsSpec.hs:15@v16.2", method: "OPTIONS", path: "/items", status: 200,
				wantHdr: map[string]string{"Allow": "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE", "Content-Length": "0"}},
			{name: "options volatile rpc", cite: "T:OptionsSpec.hs:83@v16.2, Response.hs:225@v16.2", method: "OPTIONS", path: "/rpc/writer", status: 200,
				wantHdr: map[string]string{"Allow": "OPTIONS,POST"}},
			{name: "options stable rpc", cite: "T:OptionsSpec.hs:89@v16.2, Response.hs:226@v16.2", method: "OPTIONS", path: "/rpc/hello", status: 200,
				wantHdr: map[string]string{"Allow": "OPTIONS,GET,HEAD,POST"}},
		}
	})
	t.Run("views", func(t *testing.T) {
		t.Parallel()
		e := newEngine(t, viewKeysSQL, nil)
		allow := func(name, path, want, cite string) tc {
			return tc{name: name, cite: cite, method: "OPTIONS", path: path, status: 200, wantHdr: map[string]string{"Allow": want}}
		}
		const rw, rwNoPut, ro = "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE", "OPTIONS,GET,HEAD,POST,PATCH,DELETE", "OPTIONS,GET,HEAD"
		runCases(t, e, []tc{
			allow("table", "/proj", rw, "T:OptionsSpec.hs:14@v16.2"),
			allow("view with pk", "/proj_v", rw, "T:OptionsSpec.hs:31@v16.2"),
			allow("renamed pk", "/proj_renamed", rw, "SchemaCache.hs allViewsKeyDependencies@v16.2"),
			allow("view on view", "/proj_vv", rw, "SchemaCache.hs allViewsKeyDependencies@v16.2 (recursion)"),
			allow("composite key, escaped name", "/pair_full", rw, "SchemaCache.hs allViewsKeyDependencies@v16.2"),
			allow("partial key", "/pair_half", rwNoPut, "SchemaCache.hs allViewsKeyDependencies@v16.2 (no partial PKs)"),
			allow("computed key column", "/proj_computed", rwNoPut, "SchemaCache.hs allViewsKeyDependencies@v16.2 (no origin, no key)"),
			allow("distinct keeps origins", "/proj_distinct", ro, "T:OptionsSpec.hs:50@v16.2 (no triggers: read only)"),
			allow("subquery", "/proj_sub", ro, "only the top-level target list counts"),
			// PUT on a view uses the detected key (Location/upsert need it).
			{name: "put via view key", cite: "T:Query/UpsertSpec.hs@v16.2 (PUT needs a pk)", method: "PUT", path: "/proj_v?id=eq.7",
				body: `{"id":7,"name":"seven"}`, hdr: map[string]string{"Prefer": "return=representation"}, status: 201,
				wantBody: `[{"id":7,"name":"seven"}]`},
		})
	})
}

// viewKeysSQL: views whose columns reach a table's primary key (directly,
// renamed, through other views) get that key; partial keys and computed
// columns do not (SchemaCache.hs allViewsKeyDependencies@v16.2).
const viewKeysSQL = `
grant usage on schema public to anon;
create table public.proj (id int primary key, name text);
create table public.pair (a int, "b {x}" int, v text, primary key (a, "b {x}"));
grant select, insert, update, delete on public.proj, public.pair to anon;
create view public.proj_v as select id, name from public.proj;
create view public.proj_renamed as select name, id as "my id" from public.proj;
create view public.proj_vv as select * from public.proj_renamed;
create view public.proj_distinct as select distinct id, name from public.proj;
create view public.proj_computed as select id + 0 as id, name from public.proj;
create view public.pair_full as select "b {x}", a, v from public.pair;
create view public.pair_half as select a, v from public.pair;
create view public.proj_sub as select * from (select id, name from public.proj) s order by name;
grant select, insert, update, delete on public.proj_v, public.proj_renamed, public.proj_vv, public.proj_distinct,
  public.proj_computed, public.pair_full, public.pair_half, public.proj_sub to anon;
`
