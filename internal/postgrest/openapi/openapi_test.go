package openapi

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/go-openapi/loads"
	"github.com/go-openapi/strfmt"
	"github.com/go-openapi/validate"
)

func intp(n int) *int { return &n }

// A schema shaped like PostgREST's test fixtures (T:OpenApi/OpenApiSpec.hs).
func sample() Document {
	return Document{
		Schema:           "test",
		SchemaComment:    "My API title\nMy API description\nthat spans\nmultiple lines",
		SchemaHasComment: true,
		Host:             HostPort("!4", 3000),
		Tables: []Table{
			{Name: "child_entities", Description: "child_entities comment", Insertable: true, Updatable: true, Deletable: true,
				Columns: []Column{
					{Name: "id", Type: "integer", Description: "child_entities id comment", PrimaryKey: true},
					{Name: "name", Type: "text", Description: "child_entities name comment. Can be longer than sixty-three characters long", Nullable: true},
					{Name: "parent_id", Type: "integer", Nullable: true, ForeignKey: &FK{Table: "entities", Column: "id"}},
				}},
			{Name: "grandchild_entities", Description: "grandchild_entities summary\n\ngrandchild_entities description\nthat spans\nmultiple lines",
				Columns: []Column{{Name: "id", Type: "bigint"}}},
			{Name: "openapi_defaults", Columns: []Column{
				{Name: "text", Type: "text", Nullable: true, HasDefault: true, Default: "'default'::text"},
				{Name: "boolean", Type: "boolean", Nullable: true, HasDefault: true, Default: "false"},
				{Name: "integer", Type: "integer", Nullable: true, HasDefault: true, Default: "42"},
				{Name: "numeric", Type: "numeric", Nullable: true, HasDefault: true, Default: "42.2"},
				{Name: "date", Type: "date", Nullable: true, HasDefault: true, Default: "'1900-01-01'::date"},
				{Name: "serial", Type: "integer", HasDefault: true, Default: "nextval('openapi_defaults_serial_seq'::regclass)"},
				{Name: "enum", Type: "test.enum_menagerie_type", Nullable: true, Enum: []string{"foo", "bar"}},
				{Name: "a_character", Type: "character", Nullable: true, MaxLen: intp(1)},
			}},
		},
		Functions: []Function{
			{Name: "varied_arguments_openapi", Description: "An RPC function\n\nJust a test for RPC function arguments", Volatility: "i",
				Params: []Param{
					{Name: "double", Type: "double precision", Required: true},
					{Name: "text_arr", Type: "text[]", Required: true},
					{Name: "json_arr", Type: "json[]", Required: true},
					{Name: "integer", Type: "integer"},
					{Name: "jsonb", Type: "jsonb"},
				}},
			{Name: "variadic_param", Volatility: "i", Params: []Param{{Name: "v", Type: "text[]", Variadic: true}}},
			{Name: "reset_table", Volatility: "v"},
			{Name: "getallusers", Volatility: "s", ReturnsSet: true},
		},
	}
}

func build(t *testing.T, d Document) map[string]any {
	t.Helper()
	raw, err := Build(d)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func get(m any, path ...string) any {
	for _, k := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

func jsonEq(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad want: %v", what, err)
	}
	if !reflect.DeepEqual(got, w) {
		g, _ := json.Marshal(got)
		t.Errorf("%s:\n got %s\nwant %s", what, g, want)
	}
}

func TestTopLevel(t *testing.T) {
	m := build(t, sample())
	jsonEq(t, "info (T:OpenApiSpec.hs includes title and comments to schema)", m["info"],
		`{"title":"My API title","description":"My API description\nthat spans\nmultiple lines","version":"16.2"}`)
	jsonEq(t, "externalDocs (includes postgrest.org current version api docs)", m["externalDocs"],
		`{"description":"PostgREST Documentation","url":"https://postgrest.org/en/v16/references/api.html"}`)
	if m["swagger"] != "2.0" || m["host"] != "0.0.0.0:3000" || m["basePath"] != "/" {
		t.Errorf("swagger/host/basePath: %v %v %v", m["swagger"], m["host"], m["basePath"])
	}
	jsonEq(t, "schemes", m["schemes"], `["http"]`)
	mimes := `["application/json","application/vnd.pgrst.object+json;nulls=stripped","application/vnd.pgrst.object+json","text/csv"]`
	jsonEq(t, "consumes", m["consumes"], mimes)
	jsonEq(t, "produces", m["produces"], mimes)
	jsonEq(t, "root path (T:OpenApi/RootSpec.hs)", get(m, "paths", "/"),
		`{"get":{"tags":["Introspection"],"summary":"OpenAPI description (this document)","produces":["application/openapi+json","application/json"],"responses":{"200":{"description":"OK"}}}}`)
	if m["security"] != nil || m["securityDefinitions"] != nil {
		t.Error("no security by default (T:OpenApiSpec.hs Security)")
	}
	if get(m, "parameters", "preferParams", "enum") != nil {
		t.Error("preferParams has no enum")
	}
	jsonEq(t, "preferPost", get(m, "parameters", "preferPost"),
		`{"name":"Prefer","description":"Preference","required":false,"in":"header","type":"string","enum":["return=representation","return=minimal","return=none","resolution=ignore-duplicates","resolution=merge-duplicates"]}`)
	jsonEq(t, "rangeUnit", get(m, "parameters", "rangeUnit"),
		`{"name":"Range-Unit","description":"Limiting and Pagination","required":false,"in":"header","type":"string","default":"items"}`)
	jsonEq(t, "row filter", get(m, "parameters", "rowFilter.child_entities.id"),
		`{"name":"id","description":"child_entities id comment","required":false,"in":"query","type":"string"}`)
	jsonEq(t, "body param", get(m, "parameters", "body.child_entities"),
		`{"name":"child_entities","description":"child_entities","required":false,"in":"body","schema":{"$ref":"#/definitions/child_entities"}}`)
}

func TestDefaultsWithoutComment(t *testing.T) {
	d := sample()
	d.SchemaHasComment = false
	m := build(t, d)
	jsonEq(t, "info defaults", m["info"], `{"title":"PostgREST API","description":"This is a dynamic API generated by PostgREST","version":"16.2"}`)
	d.SchemaHasComment, d.SchemaComment = true, "standard public schema"
	m = build(t, d)
	jsonEq(t, "a one-line comment is the title, the description empty", m["info"], `{"title":"standard public schema","description":"","version":"16.2"}`)
}

func TestTables(t *testing.T) {
	m := build(t, sample())
	child := get(m, "paths", "/child_entities").(map[string]any)
	jsonEq(t, "GET parameters (includes paths to tables)", get(child, "get", "parameters"), `[
		{"$ref":"#/parameters/rowFilter.child_entities.id"},{"$ref":"#/parameters/rowFilter.child_entities.name"},
		{"$ref":"#/parameters/rowFilter.child_entities.parent_id"},{"$ref":"#/parameters/select"},{"$ref":"#/parameters/order"},
		{"$ref":"#/parameters/range"},{"$ref":"#/parameters/rangeUnit"},{"$ref":"#/parameters/offset"},{"$ref":"#/parameters/limit"},
		{"$ref":"#/parameters/preferCount"}]`)
	jsonEq(t, "POST parameters", get(child, "post", "parameters"),
		`[{"$ref":"#/parameters/body.child_entities"},{"$ref":"#/parameters/select"},{"$ref":"#/parameters/preferPost"}]`)
	jsonEq(t, "GET 200 schema (includes an array type for GET responses)", get(child, "get", "responses", "200", "schema"),
		`{"items":{"$ref":"#/definitions/child_entities"},"type":"array"}`)
	if get(child, "get", "summary") != "child_entities comment" || get(child, "get", "description") != nil {
		t.Errorf("summary/description: %v", child["get"])
	}
	for verb, code := range map[string]string{"post": "201", "patch": "204", "delete": "204"} {
		if get(child, verb, "responses", code, "description") == nil {
			t.Errorf("%s %s missing", verb, code)
		}
	}
	grand := get(m, "paths", "/grandchild_entities").(map[string]any)
	if get(grand, "get", "summary") != "grandchild_entities summary" ||
		get(grand, "get", "description") != "grandchild_entities description\nthat spans\nmultiple lines" {
		t.Errorf("grandchild summary: %v", grand["get"])
	}
	if grand["post"] != nil || grand["patch"] != nil || grand["delete"] != nil {
		t.Error("a read-only relation has only GET")
	}
	jsonEq(t, "definition (includes definitions to tables)", get(m, "definitions", "child_entities"), `{
		"type":"object","description":"child_entities comment",
		"properties":{
		  "id":{"description":"child_entities id comment\n\nNote:\nThis is a Primary Key.<pk/>","format":"int32","type":"integer"},
		  "name":{"description":"child_entities name comment. Can be longer than sixty-three characters long","format":"text","type":"string"},
		  "parent_id":{"description":"Note:\nThis is a Foreign Key to `+"`entities.id`"+`.<fk table='entities' column='id'/>","format":"int32","type":"integer"}},
		"required":["id"]}`)
}

func TestRawEncoding(t *testing.T) {
	raw, err := Build(sample())
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	if !strings.Contains(s, `This is a Primary Key.<pk/>`) || strings.Contains(s, `\u003c`) {
		t.Error("no HTML escaping, as aeson")
	}
	if strings.HasSuffix(s, "\n") || strings.Contains(s, "\n  ") {
		t.Error("compact encoding")
	}
}

// PostgreSQL → Swagger type mapping (T:OpenApiSpec.hs "PostgreSQL to Swagger Type Mapping").
func TestTypeMapping(t *testing.T) {
	cases := []struct{ pgType, want string }{
		{"character varying", `{"format":"character varying","type":"string"}`},
		{"text", `{"format":"text","type":"string"}`},
		{"boolean", `{"format":"boolean","type":"boolean"}`},
		{"smallint", `{"format":"int32","type":"integer"}`},
		{"integer", `{"format":"int32","type":"integer"}`},
		{"bigint", `{"format":"int64","type":"integer"}`},
		{"numeric", `{"format":"numeric","type":"number"}`},
		{"real", `{"format":"real","type":"number"}`},
		{"double precision", `{"format":"double precision","type":"number"}`},
		{"json", `{"format":"json"}`},
		{"jsonb", `{"format":"jsonb"}`},
		{"timestamp with time zone", `{"format":"timestamp with time zone","type":"string"}`},
		{"uuid", `{"format":"uuid","type":"string"}`},
		{"text[]", `{"format":"text[]","type":"array","items":{"type":"string"}}`},
		{"integer[]", `{"format":"integer[]","type":"array","items":{"type":"integer"}}`},
		{"boolean[]", `{"format":"boolean[]","type":"array","items":{"type":"boolean"}}`},
		{"character varying[]", `{"format":"character varying[]","type":"array","items":{"type":"string"}}`},
		{"bigint[]", `{"format":"bigint[]","type":"array","items":{"type":"integer"}}`},
		{"numeric[]", `{"format":"numeric[]","type":"array","items":{"type":"number"}}`},
		{"json[]", `{"format":"json[]","type":"array","items":{}}`},
		{"jsonb[]", `{"format":"jsonb[]","type":"array","items":{}}`},
	}
	m := build(t, typesDocument(cases))
	for i, c := range cases {
		jsonEq(t, c.pgType, get(m, "definitions", "types", "properties", "c"+strconv.Itoa(i)), c.want)
	}
}

// T:OpenApiSpec.hs "Detects default values", enum and maxLength.
func TestDefaultsEnumMaxLen(t *testing.T) {
	m := build(t, sample())
	props := get(m, "definitions", "openapi_defaults", "properties")
	want := map[string]any{"text": "default", "boolean": false, "integer": 42.0, "numeric": 42.2, "date": "1900-01-01", "serial": nil}
	for col, w := range want {
		if got := get(props, col, "default"); !reflect.DeepEqual(got, w) {
			t.Errorf("default of %s: got %#v want %#v", col, got, w)
		}
	}
	jsonEq(t, "enum", get(props, "enum"), `{"format":"test.enum_menagerie_type","type":"string","enum":["foo","bar"]}`)
	jsonEq(t, "character(1)", get(props, "a_character"), `{"maxLength":1,"format":"character","type":"string"}`)
	jsonEq(t, "required = NOT NULL columns", get(m, "definitions", "openapi_defaults", "required"), `["serial"]`)
}

func TestRPC(t *testing.T) {
	m := build(t, sample())
	fn := get(m, "paths", "/rpc/varied_arguments_openapi")
	if get(fn, "get", "summary") != "An RPC function" || get(fn, "get", "description") != "Just a test for RPC function arguments" {
		t.Errorf("summary: %v", get(fn, "get"))
	}
	jsonEq(t, "tags", get(fn, "post", "tags"), `["(rpc) varied_arguments_openapi"]`)
	jsonEq(t, "produces", get(fn, "post", "produces"),
		`["application/json","application/vnd.pgrst.object+json;nulls=stripped","application/vnd.pgrst.object+json"]`)
	jsonEq(t, "GET query parameters", get(fn, "get", "parameters"), `[
		{"format":"double precision","in":"query","name":"double","required":true,"type":"number"},
		{"format":"text[]","in":"query","name":"text_arr","required":true,"type":"string"},
		{"format":"json[]","in":"query","name":"json_arr","required":true,"type":"string"},
		{"format":"int32","in":"query","name":"integer","required":false,"type":"integer"},
		{"format":"jsonb","in":"query","name":"jsonb","required":false,"type":"string"}]`)
	post := get(fn, "post", "parameters").([]any)
	jsonEq(t, "POST body schema", get(post[0], "schema"), `{
		"required":["double","text_arr","json_arr"],
		"properties":{
		  "double":{"format":"double precision","type":"number"},
		  "text_arr":{"format":"text[]","type":"array","items":{"type":"string"}},
		  "json_arr":{"format":"json[]","type":"array","items":{}},
		  "integer":{"format":"int32","type":"integer"},
		  "jsonb":{"format":"jsonb"}},
		"type":"object","description":"An RPC function\n\nJust a test for RPC function arguments"}`)
	jsonEq(t, "preferParams ref", post[1], `{"$ref":"#/parameters/preferParams"}`)
	jsonEq(t, "VARIADIC uses a multi collection", get(get(m, "paths", "/rpc/variadic_param", "get", "parameters").([]any)[0]),
		`{"collectionFormat":"multi","in":"query","items":{"format":"text","type":"string"},"name":"v","required":false,"type":"array"}`)
	if get(m, "paths", "/rpc/reset_table", "get") != nil || get(m, "paths", "/rpc/reset_table", "post") == nil {
		t.Error("volatile functions: POST only (v13.0.5+)")
	}
	if get(m, "paths", "/rpc/getallusers", "get") == nil || get(m, "paths", "/rpc/getallusers", "post") == nil {
		t.Error("stable functions: GET and POST")
	}
}

func TestProxyAndSecurity(t *testing.T) {
	d := sample()
	d.ServerProxyURI = "https://api.example.test/v1"
	d.SecurityActive = true
	m := build(t, d)
	if m["host"] != "api.example.test:443" || m["basePath"] != "/v1" {
		t.Errorf("proxy: %v %v", m["host"], m["basePath"])
	}
	jsonEq(t, "schemes", m["schemes"], `["https"]`)
	jsonEq(t, "security (T:OpenApi/SecurityOpenApiSpec.hs)", m["security"], `[{"JWT":[]}]`)
	jsonEq(t, "securityDefinitions", m["securityDefinitions"],
		`{"JWT":{"type":"apiKey","name":"Authorization","in":"header","description":"Add the token prepending \"Bearer \" (without quotes) to it"}}`)
	d.ServerProxyURI = "ftp://x"
	if _, err := Build(d); err == nil {
		t.Error("a malformed proxy URI is an error")
	}
}

// typesDocument has one table with a column of each type.
func typesDocument(cases []struct{ pgType, want string }) Document {
	tbl := Table{Name: "types"}
	for i, c := range cases {
		tbl.Columns = append(tbl.Columns, Column{Name: "c" + strconv.Itoa(i), Type: c.pgType, Nullable: true})
	}
	return Document{Host: "localhost:3000", Tables: []Table{tbl}}
}

// The documents are valid Swagger 2.0 for go-openapi's validator: the
// sample (every feature the builder has), with a proxy URI and security,
// a table of every type, and the empty one — checked once here rather
// than in every case.
func TestValid(t *testing.T) {
	secured := sample()
	secured.ServerProxyURI, secured.SecurityActive = "https://api.example.test/v1", true
	types := typesDocument([]struct{ pgType, want string }{{"integer", ""}, {"text[]", ""}, {"jsonb[]", ""},
		{"timestamp with time zone", ""}, {"numeric", ""}, {"boolean", ""}, {"uuid", ""}})
	for _, d := range []Document{sample(), secured, types, {Host: "localhost:3000"}} {
		raw, err := Build(d)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := loads.Analyzed(json.RawMessage(raw), "")
		if err != nil {
			t.Fatalf("loads: %v", err)
		}
		if err := validate.Spec(doc, strfmt.Default); err != nil {
			t.Fatalf("invalid OpenAPI document: %v\n%s", err, raw)
		}
	}
}

func TestEmpty(t *testing.T) {
	m := build(t, Document{Host: "localhost:3000"})
	if m["definitions"] != nil || len(m["paths"].(map[string]any)) != 1 {
		t.Errorf("empty schema: %v", m)
	}
}

// The validator used above does reject a broken document (a dangling $ref),
// so the validity checks can fail.
func TestValidatorRejectsBrokenDocument(t *testing.T) {
	raw, err := Build(sample())
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(raw), `"#/definitions/child_entities"`, `"#/definitions/missing"`, 1)
	doc, err := loads.Analyzed(json.RawMessage(broken), "")
	if err == nil {
		err = validate.Spec(doc, strfmt.Default)
	}
	if err == nil {
		t.Fatal("a dangling $ref must be rejected")
	}
}
