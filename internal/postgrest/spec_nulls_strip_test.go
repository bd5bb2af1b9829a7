package postgrest

import "testing"

// TestSpecNullsStrip replays PostgREST v16.2's NullsStripSpec
// (test/spec/Feature/Query/NullsStripSpec.hs): nulls=stripped on the
// array and object media types, on reads, representations and function
// results (MediaType.hs decodeMediaType, SqlFragment.hs asJsonF@v16.2).
func TestSpecNullsStrip(t *testing.T) {
	t.Parallel()
	e := newEngine(t, `
grant usage on schema public to anon;
create table public.orgs (id int primary key, name text, referee int);
insert into public.orgs values (1, 'a', null), (2, 'b', 1);
grant select, insert, update on public.orgs to anon;
create function public.with_nulls() returns table (a int, b text) language sql as $$ values (1, null), (2, 'x') $$;
`, nil)
	arr := map[string]string{"Accept": "application/vnd.pgrst.array+json;nulls=stripped"}
	obj := map[string]string{"Accept": "application/vnd.pgrst.object+json;nulls=stripped"}
	arrCT := map[string]string{"Content-Type": "application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8"}
	runCases(t, e, []tc{
		{name: "array", cite: "T:Query/NullsStripSpec.hs:18@v16.2", method: "GET", path: "/orgs?order=id", hdr: arr, status: 200,
			wantBody: `[{"id":1,"name":"a"},{"id":2,"name":"b","referee":1}]`, wantHdr: arrCT},
		{name: "array short form", cite: "T:Query/NullsStripSpec.hs:46@v16.2", method: "GET", path: "/orgs?order=id",
			hdr: map[string]string{"Accept": "application/vnd.pgrst.array;nulls=stripped"}, status: 200,
			wantBody: `[{"id":1,"name":"a"},{"id":2,"name":"b","referee":1}]`, wantHdr: arrCT},
		{name: "object", cite: "T:Query/NullsStripSpec.hs:56@v16.2", method: "GET", path: "/orgs?id=eq.1", hdr: obj, status: 200,
			wantBody: `{"id":1,"name":"a"}`,
			wantHdr:  map[string]string{"Content-Type": "application/vnd.pgrst.object+json;nulls=stripped; charset=utf-8"}},
		{name: "object many", cite: "T:Query/NullsStripSpec.hs:66@v16.2", method: "GET", path: "/orgs", hdr: obj, status: 406,
			wantBody: errBody("PGRST116", "Cannot coerce the result to a single JSON object", "The result contains 2 rows", nil)},
		{name: "insert representation", cite: "T:Query/NullsStripSpec.hs:18@v16.2 (POST)", method: "POST", path: "/orgs?select=*",
			hdr: merge(arr, map[string]string{"Prefer": "return=representation"}), body: `{"id":3,"name":"c","referee":null}`,
			status: 201, wantBody: `[{"id":3,"name":"c"}]`, wantHdr: arrCT},
		{name: "patch representation", cite: "T:Query/NullsStripSpec.hs:18@v16.2 (PATCH)", method: "PATCH", path: "/orgs?id=eq.2&select=id,referee",
			hdr: merge(arr, map[string]string{"Prefer": "return=representation"}), body: `{"referee":null}`,
			status: 200, wantBody: `[{"id":2}]`, wantHdr: arrCT},
		{name: "array without strip", cite: "T:Query/NullsStripSpec.hs:116@v16.2", method: "GET", path: "/orgs?id=eq.1",
			hdr: map[string]string{"Accept": "application/vnd.pgrst.array+json"}, status: 200,
			wantBody: `[{"id":1,"name":"a","referee":null}]`, wantHdr: map[string]string{"Content-Type": "application/json; charset=utf-8"}},
		// functions returning rows
		{name: "array nulls stripped", cite: "T:Query/NullsStripSpec.hs:18@v16.2", method: "GET", path: "/rpc/with_nulls",
			hdr: map[string]string{"Accept": "application/vnd.pgrst.array+json;nulls=stripped"}, status: 200,
			wantBody: `[{"a":1},{"a":2,"b":"x"}]`,
			wantHdr:  map[string]string{"Content-Type": "application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8"}},
		{name: "object nulls stripped", cite: "T:Query/NullsStripSpec.hs:56@v16.2", method: "GET", path: "/rpc/with_nulls?a=eq.1",
			hdr: map[string]string{"Accept": "application/vnd.pgrst.object+json;nulls=stripped"}, status: 200,
			wantBody: `{"a":1}`,
			wantHdr:  map[string]string{"Content-Type": "application/vnd.pgrst.object+json;nulls=stripped; charset=utf-8"}},
		{name: "array without strip is json", cite: "T:Query/NullsStripSpec.hs:116@v16.2", method: "GET", path: "/rpc/with_nulls?a=eq.1",
			hdr: map[string]string{"Accept": "application/vnd.pgrst.array+json"}, status: 200,
			wantBody: `[{"a":1,"b":null}]`, wantHdr: map[string]string{"Content-Type": "application/json; charset=utf-8"}},
	})
}
