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
