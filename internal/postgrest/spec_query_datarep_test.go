package postgrest

import "testing"

// datarepFixtureSQL: domains with implicit casts to/from json and text
// (PostgREST v16.2 data representations, SchemaCache.hs
// dataRepresentations): a hex color stored as an integer, a timestamp
// shown in ISO 8601 with Z.
const datarepFixtureSQL = `
-- the formatter's Z whatever the server's time zone
do $$ begin execute format('alter database %I set timezone = ''UTC''', current_database()); end $$;
grant usage on schema public to anon;
create domain color as integer check (value >= 0 and value <= 16777215);
create function color(text) returns color language sql immutable as $$
  select (('x' || lpad((case when substring($1, 1, 1) = '#' then substring($1, 2) else $1 end), 8, '0'))::bit(32)::int)::color $$;
create function color(json) returns color language sql immutable as $$ select color($1 #>> '{}') $$;
create function "json"(color) returns json language sql immutable as $$
  select case when $1 is null then to_json(''::text) else to_json('#' || lpad(upper(to_hex($1)), 6, '0')) end $$;
create cast (color as json) with function "json"(color) as implicit;
create cast (json as color) with function color(json) as implicit;
create cast (text as color) with function color(text) as implicit;
create domain isodate as timestamp with time zone;
create function "json"(isodate) returns json language sql immutable as $$
  select to_json(replace(to_json($1)#>>'{}', '+00:00', 'Z')) $$;
create cast (isodate as json) with function "json"(isodate) as implicit;
create table todos (id int primary key, name text, label_color color default 0, due_at isodate default '2018-01-01'::date);
insert into todos values (1, 'Report', 0, '2018-01-02'), (2, 'Essay', 256, '2018-01-03'), (3, 'Algebra', 123456, '2018-01-01 14:12:34.123456'),
  (4, 'Opus', null, null);
create table plain (id int primary key, n int);
insert into plain values (1, 1);
grant select, insert, update, delete on all tables in schema public to anon;
`

// TestSpecQueryDataRepresentations replays QuerySpec's "Data
// representations" cases (T:Query/QuerySpec.hs:1547-1669@v16.2) and the
// data representation cases of InsertSpec/UpdateSpec on the project's
// fixture: output through domain → json, filters through text → domain,
// payloads through json → domain.
func TestSpecQueryDataRepresentations(t *testing.T) {
	t.Parallel()
	e := newEngine(t, datarepFixtureSQL, func(env map[string]string) { env["PGRST_DB_TX_END"] = "rollback-allow-override" })
	const cite = "T:Query/QuerySpec.hs"
	rep := map[string]string{"Prefer": "return=representation"}
	runCases(t, e, []tc{
		{name: "formats a column", cite: cite + ":1548", method: "GET", path: "/todos?select=id,label_color&id=lt.4&order=id", status: 200,
			wantBody: `[{"id":1,"label_color":"#000000"},{"id":2,"label_color":"#000100"},{"id":3,"label_color":"#01E240"}]`},
		{name: "two formatters", cite: cite + ":1552", method: "GET", path: "/todos?select=id,label_color,due_at&id=lt.4&order=id", status: 200,
			wantBody: `[{"id":1,"label_color":"#000000","due_at":"2018-01-02T00:00:00Z"},{"id":2,"label_color":"#000100","due_at":"2018-01-03T00:00:00Z"},
				{"id":3,"label_color":"#01E240","due_at":"2018-01-01T14:12:34.123456Z"}]`},
		{name: "unknown column", cite: cite + ":1556", method: "GET", path: "/todos?select=id,label_color,banana", status: 400,
			wantBody: errBody("42703", "column todos.banana does not exist", nil, nil)},
		{name: "rename", cite: cite + ":1574", method: "GET", path: "/todos?select=id,clr:label_color&id=eq.2", status: 200,
			wantBody: `[{"id":2,"clr":"#000100"}]`},
		{name: "rename and cast on top", cite: cite + ":1578", method: "GET", path: "/todos?select=id,clr:label_color::text&id=eq.2", status: 200,
			wantBody: `[{"id":2,"clr":"\"#000100\""}]`},
		{name: "nulls are up to the formatter", cite: cite + ":1582", method: "GET", path: "/todos?select=id,label_color,due_at&id=eq.4", status: 200,
			wantBody: `[{"id":4,"label_color":"","due_at":null}]`},
		{name: "star", cite: cite + ":1587", method: "GET", path: "/todos?select=*&id=eq.2", status: 200,
			wantBody: `[{"id":2,"name":"Essay","label_color":"#000100","due_at":"2018-01-03T00:00:00Z"}]`},
		{name: "implicit star", cite: cite + ":1595", method: "GET", path: "/todos?id=eq.2", status: 200,
			wantBody: `[{"id":2,"name":"Essay","label_color":"#000100","due_at":"2018-01-03T00:00:00Z"}]`},
		{name: "star and explicit", cite: cite + ":1603", method: "GET", path: "/todos?select=due_at,*&id=eq.2", status: 200,
			check: raw(`[{"due_at":"2018-01-03T00:00:00Z","id":2,"name":"Essay","label_color":"#000100","due_at":"2018-01-03T00:00:00Z"}]`)},
		{name: "filter through the text parser", cite: cite + ":1622", method: "GET", path: "/todos?select=id&label_color=eq.000100", status: 200,
			wantBody: `[{"id":2}]`},
		{name: "no text parser, no json parser", cite: cite + ":1626", method: "GET", path: "/todos?select=id,due_at&due_at=eq.Z", status: 400,
			wantBody: errBody("22007", `invalid input syntax for type timestamp with time zone: "Z"`, nil, nil)},
		{name: "in", cite: cite + ":1636", method: "GET", path: "/todos?select=id&label_color=in.(000100,01E240)&order=id", status: 200,
			wantBody: `[{"id":2},{"id":3}]`},
		{name: "not in", cite: cite + ":1643", method: "GET", path: "/todos?select=id&label_color=not.in.(000000,01E240)", status: 200,
			wantBody: `[{"id":2}]`},
		{name: "ilike is not parsed", cite: cite + ":1655", method: "GET", path: "/todos?select=id,name&label_color=ilike.%23*100", status: 404,
			wantBody: errBody("42883", "operator does not exist: color ~~* unknown", nil,
				"No operator matches the given name and argument types. You might need to add explicit type casts.")},
		{name: "csv through the formatter", cite: "Query/SqlFragment.hs asCsvF, pgFmtTableCoerce@v16.2", method: "GET",
			path: "/todos?select=id,label_color&id=eq.3", hdr: accept("text/csv"), status: 200, check: raw("id,label_color\n3,\"\"\"#01E240\"\"\"")},
		{name: "a table without representations is not expanded", cite: "Plan.hs expandStarsForTable@v16.2", method: "GET", path: "/plain",
			status: 200, wantBody: `[{"id":1,"n":1}]`},
		// writes: the payload goes through json → domain (InsertSpec.hs:800-890, UpdateSpec)
		{name: "insert headers-only", cite: "T:Query/InsertSpec.hs:802", method: "POST", path: "/todos", hdr: map[string]string{"Prefer": "return=headers-only"},
			body: `{"id":5, "name": "party", "label_color": "#001100", "due_at": "2018-01-03T11:00:00+00"}`, status: 201,
			wantHdr: map[string]string{"Location": "/todos?id=eq.5"}},
		{name: "insert representation", cite: "T:Query/InsertSpec.hs:815", method: "POST", path: "/todos?select=id,label_color", hdr: rep,
			body: `{"id":5, "name": "party", "label_color": "#001100", "due_at": "2018-01-03T11:00:00+00"}`, status: 201,
			wantBody: `[{"id":5, "label_color": "#001100"}]`},
		{name: "insert with columns", cite: "T:Query/InsertSpec.hs:836", method: "POST", path: "/todos?columns=id,label_color&select=id,name,label_color,due_at",
			hdr: rep, body: `{"id":5, "name": "party", "label_color": "#001100", "due_at": "invalid but should be ignored"}`, status: 201,
			wantBody: `[{"id":5, "name":null, "label_color": "#001100", "due_at": "2018-01-01T00:00:00Z"}]`},
		{name: "update", cite: "T:Query/UpdateSpec.hs@v16.2", method: "PATCH", path: "/todos?id=eq.2&select=id,label_color", hdr: rep,
			body: `{"label_color": "#221100"}`, status: 200, wantBody: `[{"id":2,"label_color":"#221100"}]`},
		{name: "update filtered through the parser", cite: "T:Query/UpdateSpec.hs@v16.2", method: "PATCH", path: "/todos?label_color=eq.000100&select=id",
			hdr: rep, body: `{"name": "Essay 2"}`, status: 200, wantBody: `[{"id":2}]`},
		{name: "csv body through the json parser", cite: "ApiRequest/Payload.hs csvToJson, Plan.hs withJsonParse@v16.2", method: "POST",
			path: "/todos?select=id,label_color", hdr: merge(rep, map[string]string{"Content-Type": "text/csv"}), body: "id,label_color\n6,#0000FF",
			status: 201, wantBody: `[{"id":6,"label_color":"#0000FF"}]`},
	})
}
