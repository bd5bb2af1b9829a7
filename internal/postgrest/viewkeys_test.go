package postgrest

import (
	"encoding/json"
	"testing"
)

// viewChainSQL puts one keyed table behind chains of views whose middle
// link lives in a schema that is exposed, in db-extra-search-path, or in
// neither.
const viewChainSQL = `
create schema api;
create schema helpers;
create schema hidden;
grant usage on schema api to anon;
create table hidden.gadget (id int primary key, label text);
create view helpers.gadget_v as select id, label from hidden.gadget;
create view hidden.gadget_v as select id, label from hidden.gadget;
create view api.gadget_direct as select id, label from hidden.gadget;
create view api.gadget_via_helpers as select id, label from helpers.gadget_v;
create view api.gadget_via_hidden as select id, label from hidden.gadget_v;
create view api.gadget_base as select id, label from hidden.gadget;
create view api.gadget_via_api as select id, label from api.gadget_base;
grant select, insert, update on api.gadget_direct, api.gadget_via_helpers, api.gadget_via_hidden, api.gadget_via_api to anon;
grant usage on schema helpers, hidden to anon;
grant select, insert, update on helpers.gadget_v, hidden.gadget_v, api.gadget_base, hidden.gadget to anon;
`

// TestViewKeysFollowOnlySearchedSchemas: PostgREST's view key dependency
// query (SchemaCache.hs:855 views CTE, relnamespace = ANY(db-schemas ||
// db-extra-search-path), and :943 recursion anchored on db-schemas @v16.2)
// follows a view column only through views of the exposed schemas and of
// db-extra-search-path; a view anywhere else ends the chain without a key.
// Base tables give their keys from any schema.
func TestViewKeysFollowOnlySearchedSchemas(t *testing.T) {
	t.Parallel()
	e := newEngine(t, viewChainSQL, func(env map[string]string) {
		env["PGRST_DB_SCHEMAS"] = "api"
		env["PGRST_DB_EXTRA_SEARCH_PATH"] = "helpers"
	})
	headersOnly := map[string]string{"Prefer": "return=headers-only"}
	runCases(t, e, []tc{
		{name: "table in an unlisted schema still gives its key", cite: "SchemaCache.hs:1006-1009@v16.2 (pks_fks of any table)",
			method: "POST", path: "/gadget_direct", hdr: headersOnly, body: `{"id":1,"label":"a"}`, status: 201,
			wantHdr: map[string]string{"Location": "/gadget_direct?id=eq.1"}},
		{name: "through a view of db-extra-search-path", cite: "SchemaCache.hs:855@v16.2",
			method: "POST", path: "/gadget_via_helpers", hdr: headersOnly, body: `{"id":2,"label":"b"}`, status: 201,
			wantHdr: map[string]string{"Location": "/gadget_via_helpers?id=eq.2"}},
		{name: "through a view of the exposed schema", cite: "SchemaCache.hs:855@v16.2",
			method: "POST", path: "/gadget_via_api", hdr: headersOnly, body: `{"id":3,"label":"c"}`, status: 201,
			wantHdr: map[string]string{"Location": "/gadget_via_api?id=eq.3"}},
	})
	r := e.do("GET", "/", nil, "")
	var doc struct {
		Definitions map[string]struct {
			Properties map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatalf("openapi: %v: %s", err, r.body)
	}
	pk := "Note:\nThis is a Primary Key.<pk/>"
	for _, c := range []struct {
		def  string
		want any
	}{
		{"gadget_direct", pk}, {"gadget_via_helpers", pk}, {"gadget_via_api", pk}, {"gadget_base", pk},
		// hidden.gadget_v is neither exposed nor in db-extra-search-path
		{"gadget_via_hidden", nil},
	} {
		if got := doc.Definitions[c.def].Properties["id"]["description"]; got != c.want {
			t.Errorf("[T:OpenApi/OpenApiSpec.hs:180@v16.2, SchemaCache.hs:855@v16.2] %s.id description %q, want %v", c.def, got, c.want)
		}
	}
	// PUT needs a primary key: the view whose chain leaves the searched
	// schemas has none (Plan.hs PUT pk check@v16.2).
	runCases(t, e, []tc{
		{name: "PUT without a view key", cite: "SchemaCache.hs:855@v16.2", method: "PUT", path: "/gadget_via_hidden?id=eq.4",
			body: `{"id":4,"label":"d"}`, status: 405},
		{name: "PUT with a view key", cite: "SchemaCache.hs:855@v16.2", method: "PUT", path: "/gadget_via_helpers?id=eq.4",
			body: `{"id":4,"label":"d"}`, status: 204},
	})
}

// Views take the keys of the table columns they expose (SchemaCache.hs view
// key dependencies@v16.2): Location (T:Query/InsertSpec.hs:756-795@v16.2),
// PUT and the OpenAPI notes (T:OpenApi/OpenApiSpec.hs:180,331@v16.2).
const viewKeySQL = `
grant usage on schema public to anon;
create schema hidden;
create table hidden.owner (id int primary key);
create table hidden.pets (id int primary key, name text, owner_id int references hidden.owner(id));
create table hidden.pair (a int, "b {x}" text, v text, primary key (a, "b {x}"));
create view public.pets as select * from hidden.pets;
create view public.pets_renamed as select name, id as "pet id", owner_id from hidden.pets;
create view public.pets_vv as select * from public.pets_renamed;
create view public.pets_computed as select id + 0 as id, name from hidden.pets;
create view public.pair_full as select "b {x}", a, v from hidden.pair;
create view public.pair_half as select a, v from hidden.pair;
create view public.pets_twice as select id, name, id as again from hidden.pets;
create view public.pets_sub as select * from (select id, name from hidden.pets) s order by name;
grant select, insert, update, delete on public.pets, public.pets_renamed, public.pets_vv, public.pets_computed,
  public.pair_full, public.pair_half, public.pets_sub, public.pets_twice to anon;
grant usage on schema hidden to anon;
grant select, insert, update, delete on all tables in schema hidden to anon;
insert into hidden.owner values (1);
`

func TestViewKeys(t *testing.T) {
	t.Parallel()
	e := newEngine(t, viewKeySQL, func(env map[string]string) { env["PGRST_DB_SCHEMAS"] = "public" })
	headersOnly := map[string]string{"Prefer": "return=headers-only"}
	runCases(t, e, []tc{
		{name: "Location through a view", cite: "T:Query/InsertSpec.hs:770@v16.2",
			method: "POST", path: "/pets", hdr: headersOnly, body: `{"id":1,"name":"rex","owner_id":1}`, status: 201,
			wantHdr: map[string]string{"Location": "/pets?id=eq.1"}},
		{name: "Location with a renamed key column", cite: "T:Query/InsertSpec.hs:783@v16.2",
			method: "POST", path: "/pets_renamed", hdr: headersOnly, body: `{"pet id":2,"name":"tom"}`, status: 201,
			wantHdr: map[string]string{"Location": "/pets_renamed?pet%20id=eq.2"}},
		{name: "Location through a view over a view", cite: "SchemaCache.hs view key dependencies@v16.2 (recursive)",
			method: "POST", path: "/pets_vv", hdr: headersOnly, body: `{"pet id":3,"name":"kit"}`, status: 201,
			wantHdr: map[string]string{"Location": "/pets_vv?pet%20id=eq.3"}},
		{name: "composite key with an odd name", cite: "T:Query/InsertSpec.hs:756@v16.2",
			method: "POST", path: "/pair_full", hdr: headersOnly, body: `{"a":1,"b {x}":"q","v":"z"}`, status: 201,
			wantHdr: map[string]string{"Location": "/pair_full?b%20%7Bx%7D=eq.q&a=eq.1"}},
		{name: "partial key is no key", cite: "SchemaCache.hs view key dependencies@v16.2",
			method: "POST", path: "/pair_half", hdr: headersOnly, body: `{"a":2,"v":"z"}`, status: 400},
		{name: "PUT needs the view key", cite: "T:Query/UpsertSpec.hs@v16.2 (PUT on a view with a key)",
			method: "PUT", path: "/pets?id=eq.7", hdr: map[string]string{"Prefer": "return=representation"},
			body: `{"id":7,"name":"seven","owner_id":null}`, status: 201, wantBody: `[{"id":7,"name":"seven","owner_id":null}]`},
		{name: "PUT on a computed column is refused", cite: "Plan.hs PUT pk check@v16.2",
			method: "PUT", path: "/pets_computed?id=eq.8", body: `{"id":8,"name":"x"}`, status: 405},
	})
	r := e.do("GET", "/", nil, "")
	var doc struct {
		Definitions map[string]struct {
			Properties map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatal(err)
	}
	desc := func(def, col string) any { return doc.Definitions[def].Properties[col]["description"] }
	pk := "Note:\nThis is a Primary Key.<pk/>"
	// The foreign key note comes from the view's relationships in its own
	// schema (OpenAPI.hs makeProperty@v16.2): owner is in the hidden schema,
	// so PostgREST gives no note (spec_openapi_test.go has notes on views).
	for _, c := range []struct {
		def, col string
		want     any
	}{
		{"pets", "id", pk}, {"pets", "owner_id", nil}, {"pets_renamed", "pet id", pk}, {"pets_vv", "pet id", pk},
		{"pets_vv", "owner_id", nil}, {"pets_computed", "id", nil}, {"pair_half", "a", nil}, {"pair_full", "a", pk},
		{"pets_sub", "name", nil}, {"pets_twice", "id", pk}, {"pets_twice", "again", nil},
	} {
		if got := desc(c.def, c.col); got != c.want {
			t.Errorf("[T:OpenApi/OpenApiSpec.hs:179@v16.2] %s.%s description %q, want %v", c.def, c.col, got, c.want)
		}
	}
}
