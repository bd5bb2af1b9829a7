package postgrest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-openapi/loads"
	"github.com/go-openapi/strfmt"
	"github.com/go-openapi/validate"
)

// PostgREST v16.2's OpenAPI specs (test/spec/Feature/OpenApi/*.hs): the
// document of GET / (Response/OpenAPI.hs@v16.2). TestOpenAPIValid is the
// only test that runs go-openapi's validator on it.

// TestSpecOpenAPIRoot replays RootSpec.hs and OpenApiSpec.hs on the
// project's fixture: the root's media types (Plan.hs inspectPlan@v16.2),
// paths by the role's privileges, the schema by Accept-Profile, column
// formats and defaults.
func TestSpecOpenAPIRoot(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, openAPIRootCases)
}

func openAPIRootCases(t *testing.T, e *engine) []tc {
	const openapiCT = "application/openapi+json; charset=utf-8"
	paths := func(t *testing.T, r result) map[string]any {
		t.Helper()
		var doc map[string]any
		if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
			t.Fatalf("body: %v", err)
		}
		return doc["paths"].(map[string]any)
	}
	// (validity under go-openapi is checked in TestOpenAPIValid: its
	// validator mistakes a definition named "items" for the keyword.)
	cases := []tc{
		{name: "anon document", cite: "T:OpenApi/RootSpec.hs:27@v16.2, T:OpenApi/OpenApiSpec.hs@v16.2", method: "GET", path: "/",
			hdr: map[string]string{"Accept": "application/json"}, status: 200,
			wantHdr: map[string]string{"Content-Type": openapiCT, "Content-Profile": "public"},
			check: func(t *testing.T, r result) {
				p := paths(t, r)
				if _, ok := p["/items"]; !ok {
					t.Error("anon document lacks /items")
				}
				if _, ok := p["/task"]; ok {
					t.Error("anon document lists /task although anon has no privilege on it")
				}
				if _, ok := p["/rpc/secret_fn"]; ok {
					t.Error("anon document lists a function anon may not execute")
				}
				if w, ok := p["/rpc/writer"].(map[string]any); !ok || w["get"] != nil || w["post"] == nil {
					t.Errorf("volatile function: %v", p["/rpc/writer"])
				}
			}},
		{name: "a role's document follows its privileges", cite: "T:OpenApi/OpenApiSpec.hs@v16.2 (openapi-mode follow-privileges)", method: "GET", path: "/",
			hdr: bearer(t, map[string]any{"role": "basic_subscriber"}), status: 200,
			check: func(t *testing.T, r result) {
				if _, ok := paths(t, r)["/task"]; !ok {
					t.Error("basic_subscriber document lacks /task")
				}
			}},
		{name: "csv root", cite: "Plan.hs inspectPlan@v16.2", method: "GET", path: "/", hdr: accept("text/csv"), status: 406,
			contains: []string{"PGRST107"}},
		{name: "auth document", cite: "T:Query/MultipleSchemaSpec.hs:270-399@v16.2", method: "GET", path: "/",
			hdr: map[string]string{"Accept-Profile": "auth"}, status: 200, wantHdr: map[string]string{"Content-Profile": "auth"},
			check: func(t *testing.T, r result) {
				if _, ok := paths(t, r)["/rpc/login"]; !ok {
					t.Error("auth document lacks /rpc/login")
				}
			}},
		{name: "column formats and defaults", cite: "T:OpenApi/OpenApiSpec.hs:379,543,653-707@v16.2", method: "GET", path: "/", status: 200,
			check: checkColumnFormats},
	}
	// Plan.hs inspectPlan@v16.2: the root accepts openapi+json, JSON or */*
	// anywhere in Accept; singular and nulls=stripped are 406.
	for _, c := range []struct {
		name, accept string
		status       int
	}{
		{"accept array nulls=stripped", "application/vnd.pgrst.array+json;nulls=stripped", 406},
		{"accept array nulls=stripped or openapi", "application/vnd.pgrst.array+json;nulls=stripped, application/openapi+json", 200},
		{"accept object", "application/vnd.pgrst.object+json", 406},
		{"accept array", "application/vnd.pgrst.array+json", 200},
		{"accept csv or json", "text/csv;q=0.9, application/json;q=0.1", 200},
	} {
		cases = append(cases, tc{name: c.name, cite: "Plan.hs inspectPlan@v16.2", method: "HEAD", path: "/", hdr: accept(c.accept), status: c.status})
	}
	return cases
}

// checkColumnFormats checks the definitions of the fixture's big and
// fts_dom tables.
func checkColumnFormats(t *testing.T, r result) {
	var doc struct {
		Definitions map[string]struct {
			Properties map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(doc.Definitions["fts_dom"].Properties["s"]); !jsonEq(string(got), `{"format":"character varying","maxLength":5,"type":"string"}`) {
		t.Errorf("[SchemaCache.hs data_type@v16.2] domain over varchar(5): %s", got)
	}
	props := doc.Definitions["big"].Properties
	// T:OpenApi/OpenApiSpec.hs:379,543,653-707@v16.2: pg_catalog types
	// without their modifier, defaults parsed like OpenAPI.hs parseDefault
	// (which strips only "::<data_type>", so character keeps ::bpchar).
	want := map[string]string{
		"label": `{"default":"x","format":"character varying","maxLength":10,"type":"string"}`,
		"c":     `{"default":"'y'::bpchar","format":"character","maxLength":1,"type":"string"}`,
		"n":     `{"default":4.2,"format":"numeric","type":"number"}`,
		"flag":  `{"default":false,"format":"boolean","type":"boolean"}`,
		"d":     `{"default":"1900-01-01","format":"date","type":"string"}`,
	}
	for k, w := range want {
		got, _ := json.Marshal(props[k])
		if !jsonEq(string(got), w) {
			t.Errorf("[T:OpenApi/OpenApiSpec.hs@v16.2] %s: %s, want %s", k, got, w)
		}
	}
}

// The foreign key notes of the OpenAPI document come from the
// relationships of the schema cache, as in PostgREST v16.2 (OpenAPI.hs
// makeProperty: the first single-column many-to-one or one-to-one
// relationship of the table in its own schema, tables before views), so
// they follow views, computed overrides and schema boundaries like
// embedding does. Our own film database.
func TestSpecOpenAPIForeignKeyNotes(t *testing.T) {
	t.Parallel()
	e := embedEngine(t, nil)
	r := e.do("GET", "/", nil, "")
	var doc struct {
		Definitions map[string]struct {
			Properties map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatalf("openapi: %v: %s", err, r.body)
	}
	fk := func(tbl, col string) string {
		return "Note:\nThis is a Foreign Key to `" + tbl + "." + col + "`.<fk table='" + tbl + "' column='" + col + "'/>"
	}
	for _, c := range []struct {
		cite, def, col string
		want           any
	}{
		{"T:OpenApi/OpenApiSpec.hs:144@v16.2", "films", "director_id", fk("directors", "id")},
		{"T:OpenApi/OpenApiSpec.hs:179@v16.2 (a view's renamed key column)", "film_listing", "dir_id", fk("directors", "id")},
		{"T:OpenApi/OpenApiSpec.hs:179@v16.2 (a view over a view)", "recent_listing", "dir_id", fk("directors", "id")},
		{"T:OpenApi/OpenApiSpec.hs:225@v16.2 (one-to-one)", "technical_specs", "film_id", "Note:\nThis is a Primary Key.<pk/>\nThis is a Foreign Key to `films.id`.<fk table='films' column='id'/>"},
		{"OpenAPI.hs makeProperty@v16.2 (self reference)", "employees", "supervisor_id", fk("employees", "id")},
		{"OpenAPI.hs makeProperty@v16.2 (composite keys give none)", "screenings", "cinema_id", nil},
		// the computed films(posters) replaces posters -> films; the view
		// exposing films.id is the next candidate
		{"OpenAPI.hs makeProperty@v16.2 (computed override, views after tables)", "posters", "film_id", fk("film_listing", "id")},
	} {
		if got := doc.Definitions[c.def].Properties[c.col]["description"]; got != c.want {
			t.Errorf("[%s] %s.%s description %q, want %q", c.cite, c.def, c.col, got, c.want)
		}
	}
}

// TestSpecSecurityOpenApi replays SecurityOpenApiSpec
// (T:OpenApi/SecurityOpenApiSpec.hs@v16.2): openapi-security-active adds
// the JWT security definition; it is off by default.
func TestSpecSecurityOpenApi(t *testing.T) {
	t.Parallel()
	const cite = "T:OpenApi/SecurityOpenApiSpec.hs:21"
	on := newReadOnlyEngine(t, func(env map[string]string) { env["PGRST_OPENAPI_SECURITY_ACTIVE"] = "true" })
	runCases(t, on, []tc{{name: "active", cite: cite, method: "GET", path: "/", status: 200,
		check: func(t *testing.T, r result) {
			var doc map[string]any
			if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
				t.Fatal(err)
			}
			if got := mustJSON(doc["security"]); got != `[{"JWT":[]}]` {
				t.Errorf("security %s", got)
			}
			want := `{"JWT":{"description":"Add the token prepending \"Bearer \" (without quotes) to it","in":"header","name":"Authorization","type":"apiKey"}}`
			if !jsonEq(mustJSON(doc["securityDefinitions"]), want) {
				t.Errorf("securityDefinitions %s", mustJSON(doc["securityDefinitions"]))
			}
		}}})
	def := newReadOnlyEngine(t, nil)
	runCases(t, def, []tc{{name: "default off", cite: "Config.hs@v16.2", method: "GET", path: "/", status: 200,
		check: func(t *testing.T, r result) {
			if strings.Contains(r.body, `"securityDefinitions"`) || strings.Contains(r.body, `"security"`) {
				t.Errorf("security keys without openapi-security-active")
			}
		}}})
}

// TestOpenAPIValid: GET / on the stack's own schema is a valid OpenAPI 2.0
// document under go-openapi's validator for anon and for a logged-in role
// (T:OpenApi/OpenApiSpec.hs@v16.2, Response/OpenAPI.hs@v16.2). The only
// test that validates: the validator takes seconds per document.
func TestOpenAPIValid(t *testing.T) {
	t.Parallel()
	e := newStackEngine(t)
	for _, c := range []struct {
		name  string
		hdr   map[string]string
		paths []string
	}{
		{"anon public", nil, nil},
		{"anon auth", map[string]string{"Accept-Profile": "auth"}, []string{"/rpc/login", "/rpc/logout", "/rpc/refresh_token"}},
		{"user public", map[string]string{"Authorization": "Bearer " + sign(t, flowKey(), nil, map[string]any{"role": "basic_subscriber", "sub": "alice"})}, []string{"/task"}},
	} {
		r := e.do("GET", "/", c.hdr, "")
		if r.status != 200 || r.header.Get("Content-Type") != "application/openapi+json; charset=utf-8" {
			t.Fatalf("%s: %d %s", c.name, r.status, r.body)
		}
		if err := validateSwagger(r.body); err != nil {
			t.Fatalf("%s: invalid document: %v", c.name, err)
		}
		var doc struct {
			Swagger string         `json:"swagger"`
			Paths   map[string]any `json:"paths"`
		}
		if err := json.Unmarshal([]byte(r.body), &doc); err != nil || doc.Swagger != "2.0" {
			t.Fatalf("%s: %v %q", c.name, err, doc.Swagger)
		}
		for _, p := range c.paths {
			if _, ok := doc.Paths[p]; !ok {
				t.Errorf("%s: no %s in %v", c.name, p, doc.Paths)
			}
		}
		if c.hdr == nil {
			if _, ok := doc.Paths["/task"]; ok {
				t.Errorf("anon document lists /task")
			}
		}
	}
}

func validateSwagger(body string) error {
	d, err := loads.Analyzed(json.RawMessage(body), "")
	if err != nil {
		return err
	}
	return validate.Spec(d, strfmt.Default)
}

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

// TestSpecOpenAPIFunctionArgTypeNames: PostgREST prints the OpenAPI function
// arguments with a query run in the request transaction (Query.hs:56 ->
// SqlFragment.hs:616 accessibleFuncs, type::regtype::text at
// SchemaCache.hs:408 @v16.2), so under search_path = exposed schema, then
// db-extra-search-path: types of those schemas print bare, others stay
// qualified. Table columns come from the schema cache and keep the schema
// (T:OpenApi/OpenApiSpec.hs:718 vs :782 and :931 @v16.2).
func TestSpecOpenAPIFunctionArgTypeNames(t *testing.T) {
	t.Parallel()
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
