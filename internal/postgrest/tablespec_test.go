package postgrest

import (
	"encoding/json"
	"testing"
)

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
create table public.nopk (a text, b text);
grant select, insert, update, delete on public.nopk to anon;
insert into public.nopk values ('1', '0'), ('2', '0'), (null, '0');
create table public.big (id bigint primary key, label character varying(10) default 'x'::character varying,
  c character(1) default 'y', n numeric(5,2) default 4.2, flag boolean default false, d date default '1900-01-01'::date);
grant select, insert, update, delete on public.big to anon;
create domain public.devil_int as int default 666;
create table public.defs (id devil_int, name text default 'Default', n int default 1 not null, tags int[]);
grant select, insert, update, delete on public.defs to anon;
insert into public.defs values (3, 'three', 3, '{1,2}');
create domain public.tsv_d as tsvector;
create domain public.tsv_dd as public.tsv_d;
create domain public.varchar_d as character varying(5);
create table public.fts_dom (id int, v tsv_dd, s varchar_d);
grant select on public.fts_dom to anon;
insert into public.fts_dom values (1, to_tsvector('simple', 'of mice'), 'ab'), (2, to_tsvector('simple', 'and men'), 'cd');
create table public.stars (id serial primary key, a int, b int, secret text default 's');
grant insert (a, b), select (id, a, b), delete on public.stars to anon;
grant usage on sequence public.stars_id_seq to anon;
insert into public.stars (a, b) values (1, 1), (2, 2);
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
		{name: "PATCH accepts an array body and applies its first object", cite: "T:Query/UpdateSpec.hs:245@v16.2 (fromJsonBodyF LIMIT 1)",
			method: "PATCH", path: "/docs?id=eq.1", hdr: map[string]string{"Prefer": "return=representation"},
			body: `[{"body":"patched"},{"body":"ignored"}]`, status: 200, wantBody: `[{"id":1,"data":[{"a": "A"}, {"b": "B"}],"bdata":{"k":"v"},"body":"patched","tsv":"'cat':3 'fat':2 'the':1"}]`},
		{name: "PATCH with [] changes nothing", cite: "T:Query/UpdateSpec.hs:245@v16.2",
			method: "PATCH", path: "/docs", body: `[]`, status: 204, wantHdr: map[string]string{"Content-Range": "*/*", "Content-Type": ""}},
		{name: "PATCH with [{}] changes nothing", cite: "T:Query/UpdateSpec.hs:256@v16.2",
			method: "PATCH", path: "/docs?select=id", body: `[{}]`, status: 204, wantHdr: map[string]string{"Content-Range": "*/*", "Content-Type": ""}},
		{name: "PATCH representation follows order=", cite: "T:Query/UpdateSpec.hs:443@v16.2",
			method: "PATCH", path: "/nopk?order=a.desc", hdr: map[string]string{"Prefer": "return=representation"},
			body: `{"b":"1"}`, status: 200, wantBody: `[{"a":null,"b":"1"},{"a":"2","b":"1"},{"a":"1","b":"1"}]`},
		{name: "DELETE representation follows order=", cite: "T:Query/DeleteSpec.hs:160@v16.2 (read plan over pgrst_source)",
			method: "DELETE", path: "/nopk?order=a.asc.nullsfirst", hdr: map[string]string{"Prefer": "return=representation"},
			status: 200, wantBody: `[{"a":null,"b":"1"},{"a":"1","b":"1"},{"a":"2","b":"1"}]`},
		{name: "minimal PATCH with order= still works", cite: "Query/Statements.hs mainWrite selectF@v16.2",
			method: "PATCH", path: "/docs?order=body", hdr: map[string]string{"Prefer": "return=minimal"},
			body: `{"body":"x"}`, status: 204, wantHdr: map[string]string{"Content-Range": "0-1/*"}},
		{name: "merge-duplicates with an empty array is 200, resolution applied", cite: "T:Query/UpsertSpec.hs:76@v16.2",
			method: "POST", path: "/docs", hdr: map[string]string{"Prefer": "return=representation, resolution=merge-duplicates"},
			body: `[]`, status: 200, wantBody: `[]`,
			wantHdr: map[string]string{"Preference-Applied": "resolution=merge-duplicates, return=representation"}},
		{name: "missing=default fills column and domain defaults", cite: "T:Query/InsertSpec.hs:497,562@v16.2",
			method: "POST", path: "/defs?columns=id,name,n,tags", hdr: map[string]string{"Prefer": "return=representation, missing=default"},
			body: `[{"tags":[1]},{"id":5,"name":null,"n":6}]`, status: 201,
			wantBody: `[{"id":666,"name":"Default","n":1,"tags":[1]},{"id":5,"name":null,"n":6,"tags":null}]`,
			wantHdr:  map[string]string{"Preference-Applied": "missing=default, return=representation"}},
		{name: "without missing=default absent keys are null", cite: "T:Query/InsertSpec.hs:490@v16.2",
			method: "POST", path: "/defs?columns=id,name", hdr: map[string]string{"Prefer": "return=representation"},
			body: `{"id":7}`, status: 201, wantBody: `[{"id":7,"name":null,"n":1,"tags":null}]`},
		{name: "PATCH missing=default", cite: "T:Query/UpdateSpec.hs:372@v16.2",
			method: "PATCH", path: "/defs?id=eq.3&columns=name,n", hdr: map[string]string{"Prefer": "return=representation, missing=default"},
			body: `{"name":"x"}`, status: 200, wantBody: `[{"id":3,"name":"x","n":1,"tags":[1,2]}]`,
			wantHdr: map[string]string{"Preference-Applied": "missing=default, return=representation"}},
		{name: "merge-duplicates without a key is a plain insert", cite: "T:Query/UpsertSpec.hs:156@v16.2",
			method: "POST", path: "/nopk", hdr: map[string]string{"Prefer": "return=representation, resolution=merge-duplicates"},
			body: `[{"a":"9","b":"9"}]`, status: 201, wantBody: `[{"a":"9","b":"9"}]`,
			wantHdr: map[string]string{"Preference-Applied": "return=representation"}},
		{name: "fts on a domain over a domain over tsvector", cite: "T:Query/QuerySpec.hs:310@v16.2",
			method: "GET", path: "/fts_dom?select=id&v=fts(simple).mice", status: 200, wantBody: `[{"id":1}]`},
		{name: "insert returns only the selected and key columns", cite: "T:Query/InsertSpec.hs:707@v16.2 (Plan.hs inferColsEmbedNeeds)",
			method: "POST", path: "/stars?select=a,b", hdr: map[string]string{"Prefer": "return=representation"},
			body: `{"a":5,"b":6}`, status: 201, wantBody: `[{"a":5,"b":6}]`},
		{name: "insert with select=* needs every column", cite: "T:Query/InsertSpec.hs:723@v16.2",
			method: "POST", path: "/stars", hdr: map[string]string{"Prefer": "return=representation"},
			body: `{"a":7,"b":8}`, status: 401,
			wantBody: errBody("42501", "permission denied for table stars", nil, nil)},
		{name: "delete returns only the selected and key columns", cite: "T:Query/DeleteSpec.hs:122@v16.2",
			method: "DELETE", path: "/stars?a=eq.1&select=id,a", hdr: map[string]string{"Prefer": "return=representation"},
			status: 200, wantBody: `[{"id":1,"a":1}]`},
		{name: "headers-only keeps the key for Location", cite: "T:Query/InsertSpec.hs:127@v16.2",
			method: "POST", path: "/stars?select=a", hdr: map[string]string{"Prefer": "return=headers-only"},
			body: `{"a":9,"b":9}`, status: 201, wantHdr: map[string]string{"Location": "/stars?id=eq.4"}},
		{name: "Location keeps bigint digits", cite: "SqlFragment.hs locationF@v16.2 (json_each_text)",
			method: "POST", path: "/big", hdr: map[string]string{"Prefer": "return=headers-only"},
			body: `{"id":9007199254740993}`, status: 201,
			wantHdr: map[string]string{"Location": "/big?id=eq.9007199254740993"}},
	})

	t.Run("openapi column formats and defaults", func(t *testing.T) {
		r := e.do("GET", "/", nil, "")
		if r.status != 200 {
			t.Fatalf("GET / %d %s", r.status, r.body)
		}
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
