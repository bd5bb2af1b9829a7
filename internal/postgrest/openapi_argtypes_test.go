package postgrest

import (
	"encoding/json"
	"testing"
)

const argTypesSQL = `
create schema api;
create schema helpers;
create schema kinds;
grant usage on schema api, helpers, kinds to anon;
create type api.mood as enum ('calm', 'cross');
create type helpers.level as enum ('low', 'high');
create type kinds.shade as enum ('dark', 'light');
create type public.hue as enum ('red', 'blue');
create table api.diary (id int primary key, m api.mood, h public.hue);
grant select on api.diary to anon;
create function api.feel(m api.mood, l helpers.level, s kinds.shade, ms api.mood[]) returns text
  language sql stable as $$ select m::text $$;
`

// TestOpenAPIFunctionArgTypeNames: PostgREST prints the OpenAPI function
// arguments with a query run in the request transaction (Query.hs:56 ->
// SqlFragment.hs:616 accessibleFuncs, type::regtype::text at
// SchemaCache.hs:408 @v16.2), so under search_path = exposed schema, then
// db-extra-search-path: types of those schemas print bare, others stay
// qualified. Table columns come from the schema cache and keep the schema
// (T:OpenApi/OpenApiSpec.hs:718 vs :782 and :931 @v16.2).
func TestOpenAPIFunctionArgTypeNames(t *testing.T) {
	e := newEngine(t, argTypesSQL, func(env map[string]string) {
		env["PGRST_DB_SCHEMAS"] = "api"
		env["PGRST_DB_EXTRA_SEARCH_PATH"] = "helpers"
	})
	r := e.do("GET", "/", nil, "")
	if r.status != 200 {
		t.Fatalf("GET / status %d: %s", r.status, r.body)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []map[string]any
		}
		Definitions map[string]struct {
			Properties map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatalf("openapi: %v: %s", err, r.body)
	}
	got := map[string]any{}
	for _, p := range doc.Paths["/rpc/feel"]["get"].Parameters {
		if name, ok := p["name"].(string); ok {
			got[name] = p["format"]
		}
	}
	var post map[string]any
	for _, p := range doc.Paths["/rpc/feel"]["post"].Parameters {
		if s, ok := p["schema"].(map[string]any); ok {
			post, _ = s["properties"].(map[string]any)
		}
	}
	for _, c := range []struct{ arg, want string }{
		{"m", "mood"},        // exposed schema: on the request search_path
		{"l", "level"},       // db-extra-search-path
		{"s", "kinds.shade"}, // neither
		{"ms", "mood[]"},     // arrays follow their element
	} {
		if got[c.arg] != c.want {
			t.Errorf("[T:OpenApi/OpenApiSpec.hs:782@v16.2] GET /rpc/feel parameter %s format %v, want %q", c.arg, got[c.arg], c.want)
		}
		prop, _ := post[c.arg].(map[string]any)
		if prop["format"] != c.want {
			t.Errorf("[T:OpenApi/OpenApiSpec.hs:931@v16.2] POST /rpc/feel property %s format %v, want %q", c.arg, prop["format"], c.want)
		}
	}
	// The schema cache is read with the search_path voided (SchemaCache.hs:144
	// `set local schema ''` @v16.2): even a type of public, which is on the
	// authenticator's default search_path, keeps its schema.
	for col, want := range map[string]string{"m": "api.mood", "h": "public.hue"} {
		if f := doc.Definitions["diary"].Properties[col]["format"]; f != want {
			t.Errorf("[T:OpenApi/OpenApiSpec.hs:718@v16.2] diary.%s format %v, want %s (schema cache)", col, f, want)
		}
	}
}
