package postgrest

import (
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// mediaFixtureSQL declares media type handlers the way PostgREST v16.2's
// docs (references/api/media_type_handlers.rst) describe them: domains
// named after media types, functions returning them, and aggregates over a
// relation's row type or anyelement returning them.
const mediaFixtureSQL = `
grant usage on schema public to anon;
create domain "text/plain" as text;
create domain "text/html" as text;
create domain "text/xml" as xml;
create domain "application/octet-stream" as bytea;
create domain "image/png" as bytea;
create domain "app/blob" as bytea;
create domain "text/tab-separated-values" as text;
create domain "text/csv" as text;
create domain "application/json" as json;
create domain "application/vnd.pgrst.object" as json;
create domain "application/vnd.tally+json" as jsonb;
create domain "pg/outfunc" as text;
create domain "*/*" as bytea;

create table gadgets (id int primary key, label text, maker_id int);
insert into gadgets values (1, 'Lamp', 1), (2, 'Desk, oak', 1), (3, 'Chair "Eames"', null);
create table csv_lines (id int primary key, name text);
insert into csv_lines values (1, 'first'), (2, 'second');
create table xmldocs (id int primary key, doc xml not null);
insert into xmldocs values (1, '<a>x</a>'), (2, '<b/>');
create table json_override (id int);

create table numbers as select x::int as val from generate_series(1, 5) x;
grant select, insert, update, delete on all tables in schema public to anon;

create function greet() returns "text/plain" language sql as $$ select 'Hello from the engine'::"text/plain" $$;
create function greet_twice() returns setof "text/plain" language sql as $$ select 'a'::"text/plain" union all select 'b' $$;
create function "page.html"() returns "text/html" language sql as $$ select '<p>hi</p>'::"text/html" $$;
create function plain_text() returns text language sql as $$ select 'plain' $$;
create function scalar_xml() returns "text/xml" language sql as $$ select '<tag/>'::"text/xml" $$;
create function pixel() returns "image/png" language sql as $$ select decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAY=', 'base64')::"image/png" $$;
create function gadget_label(id int) returns "app/blob" language sql as $$
  select convert_to(label, 'UTF8')::"app/blob" from gadgets where gadgets.id = gadget_label.id $$;
create function echo_text(text) returns "text/plain" language sql as $$ select $1::"text/plain" $$;
create function echo_bytes(bytea) returns "application/octet-stream" language sql as $$ select $1::"application/octet-stream" $$;
create function echo_xml(xml) returns "text/xml" language sql as $$ select $1::"text/xml" $$;
create function get_gadgets() returns setof gadgets language sql as $$ select * from gadgets order by id $$;

create function gadgets_tsv_trans(state text, next gadgets) returns "text/tab-separated-values" language sql as $$
  select (state || next.id::text || E'\t' || next.label || E'\t' || coalesce(next.maker_id::text, '') || E'\n')::"text/tab-separated-values" $$;
create function gadgets_tsv_final(data "text/tab-separated-values") returns "text/tab-separated-values" language sql as $$
  select (E'id\tlabel\tmaker_id\n' || data)::"text/tab-separated-values" $$;
create aggregate gadgets_tsv (gadgets) (initcond = '', stype = "text/tab-separated-values",
  sfunc = gadgets_tsv_trans, finalfunc = gadgets_tsv_final);

create function outfunc_trans(state text, next anyelement) returns "pg/outfunc" language sql as $$
  select (state || next::text || E'\n')::"pg/outfunc" $$;
create aggregate outfunc_agg (anyelement) (initcond = '', stype = "pg/outfunc", sfunc = outfunc_trans);

create function tally_trans(state "application/vnd.tally+json", next anyelement) returns "application/vnd.tally+json" language sql as $$
  select jsonb_build_object('rows', (state->>'rows')::int + 1)::"application/vnd.tally+json" $$;
create aggregate tally_any (anyelement) (initcond = '{"rows": 0}', stype = "application/vnd.tally+json", sfunc = tally_trans);
create function tally_trans(state "application/vnd.tally+json", next gadgets) returns "application/vnd.tally+json" language sql as $$
  select '"gadgets specific"'::"application/vnd.tally+json" $$;
create aggregate tally_gadgets (gadgets) (initcond = '{}', stype = "application/vnd.tally+json", sfunc = tally_trans);

create function xml_trans(state "text/xml", next xmldocs) returns "text/xml" language sql as $$
  select xmlconcat(state, next.doc)::"text/xml" $$;
create aggregate xml_agg (xmldocs) (stype = "text/xml", sfunc = xml_trans);

create function json_ov_trans(state "application/json", next json_override) returns "application/json" language sql as $$ select null::"application/json" $$;
create aggregate json_ov_agg (json_override) (initcond = '{"overridden": "true"}', stype = "application/json", sfunc = json_ov_trans);

create function obj_trans(state "application/vnd.pgrst.object", next anyelement) returns "application/vnd.pgrst.object" language sql as $$ select null::"application/vnd.pgrst.object" $$;
create aggregate obj_agg (anyelement) (initcond = '{"overridden": "true"}', stype = "application/vnd.pgrst.object", sfunc = obj_trans);

create function bom_csv_trans(state text, next csv_lines) returns "text/csv" language sql as $$
  select (state || next.id::text || ',' || next.name || E'\n')::"text/csv" $$;
create function bom_csv_final(data "text/csv") returns "text/csv" language sql as $$
  select set_config('response.headers', '[{"Content-Disposition": "attachment; filename=\"lines.csv\""}]', true);
  select (convert_from(decode('EFBBBF', 'hex'), 'UTF8') || E'id,name\n' || data)::"text/csv" $$;
create aggregate bom_csv_agg (csv_lines) (initcond = '', stype = "text/csv", sfunc = bom_csv_trans, finalfunc = bom_csv_final);

create function any_mt() returns "*/*" language sql as $$ select 'any'::"*/*" $$;
create function some_mt() returns "*/*" language plpgsql as $$
declare
  acc text := current_setting('request.headers', true)::json->>'accept';
begin
  case acc
    when 'app/chico' then
      perform set_config('response.headers', json_build_array(json_build_object('Content-Type', acc))::text, true);
      return 'chico';
    when '*/*' then
      perform set_config('response.headers', '[{"Content-Type": "app/groucho"}]', true);
      return 'groucho';
    else
      raise sqlstate 'PT406' using message = 'Not Acceptable';
  end case;
end $$;
create function numbers_trans(state "*/*", next numbers) returns "*/*" language sql as $$
  select (state || E'\n' || next.val::text::bytea)::"*/*" $$;
create function numbers_final(data "*/*") returns "*/*" language plpgsql as $$
declare
  acc text := current_setting('request.headers', true)::json->>'accept';
  prefix bytea;
begin
  case acc
    when 'magic/number' then
      perform set_config('response.headers', json_build_array(json_build_object('Content-Type', acc))::text, true);
      prefix := 'magic';
    else
      prefix := 'anything';
  end case;
  return (prefix || data)::"*/*";
end $$;
create aggregate numbers_agg (numbers) (initcond = '', stype = "*/*", sfunc = numbers_trans, finalfunc = numbers_final);
`

// TestSpecCustomMedia replays CustomMediaSpec (T:Query/CustomMediaSpec.hs
// @v16.2) on the project's fixture; the PostGIS cases (twkb, GeoJSON
// overrides) are in spec_postgis_test.go.
func TestSpecCustomMedia(t *testing.T) {
	t.Parallel()
	e := newEngine(t, mediaFixtureSQL, nil)
	runCases(t, e, customMediaCases())
	runCases(t, e, customMediaOverrideCases())
	t.Run("handlers follow schema reloads", func(t *testing.T) { handlersReload(t, e) })
}

func customMediaCases() []tc {
	const cite = "T:Query/CustomMediaSpec.hs"
	tsv := "id\tlabel\tmaker_id\n1\tLamp\t1\n2\tDesk, oak\t1\n3\tChair \"Eames\"\t\n"
	png, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAY=")
	return []tc{
		// tables with an aggregate
		{name: "table aggregate", cite: cite + ":16", method: "GET", path: "/gadgets?order=id", hdr: accept("text/tab-separated-values"),
			status: 200, wantHdr: map[string]string{"Content-Type": "text/tab-separated-values"}, check: both(raw(tsv), contentLength)},
		{name: "table aggregate by id", cite: cite + ":23", method: "GET", path: "/gadgets?id=eq.1", hdr: accept("text/tab-separated-values"),
			status: 200, check: raw("id\tlabel\tmaker_id\n1\tLamp\t1\n")},
		{name: "no aggregate for the table", cite: cite + ":29", method: "GET", path: "/gadgets", hdr: accept("text/plain"),
			status: 406, wantBody: notAvailable("text/plain"),
			wantHdr: map[string]string{"Content-Type": "application/json; charset=utf-8", "Content-Length": "110"}},
		{name: "xml aggregate", cite: cite + ":38", method: "GET", path: "/xmldocs?order=id", hdr: accept("text/xml"),
			status: 200, wantHdr: map[string]string{"Content-Type": "text/xml; charset=utf-8"}, check: both(raw("<a>x</a><b/>"), contentLength)},
		// anyelement aggregates: jsonb is read in binary, whose first byte
		// is the version (the SOH of PostgREST's spec)
		{name: "anyelement aggregate on a table without its own", cite: cite + ":49", method: "GET", path: "/csv_lines",
			hdr: accept("application/vnd.tally+json"), status: 200,
			wantHdr: map[string]string{"Content-Type": "application/vnd.tally+json"}, check: raw("\x01{\"rows\": 2}")},
		{name: "specific aggregate wins over anyelement", cite: cite + ":58", method: "GET", path: "/gadgets",
			hdr: accept("application/vnd.tally+json"), status: 200, check: raw("\x01\"gadgets specific\"")},
		{name: "specific aggregate on a function of the table", cite: cite + ":65", method: "GET", path: "/rpc/get_gadgets",
			hdr: accept("application/vnd.tally+json"), status: 200, check: raw("\x01\"gadgets specific\"")},
		// functions returning a media type domain
		{name: "scalar text/plain", cite: cite + ":96", method: "GET", path: "/rpc/greet", hdr: accept("text/plain"), status: 200,
			wantHdr: map[string]string{"Content-Type": "text/plain; charset=utf-8", "Content-Length": "21"}, check: raw("Hello from the engine")},
		{name: "scalar text/html (no charset)", cite: cite + ":75", method: "GET", path: "/rpc/page.html", hdr: accept("text/html"),
			status: 200, wantHdr: map[string]string{"Content-Type": "text/html"}, check: raw("<p>hi</p>")},
		{name: "scalar text/xml", cite: cite + ":104", method: "GET", path: "/rpc/scalar_xml", hdr: accept("text/xml"), status: 200,
			wantHdr: map[string]string{"Content-Type": "text/xml; charset=utf-8", "Content-Length": "6"}, check: raw("<tag/>")},
		{name: "plain text function has no text/xml handler", cite: cite + ":121", method: "GET", path: "/rpc/plain_text",
			hdr: accept("text/xml"), status: 406, wantBody: notAvailable("text/xml")},
		{name: "plain text function has no text/plain handler either", cite: "references/api/media_type_handlers.rst@v16.2",
			method: "GET", path: "/rpc/plain_text", hdr: accept("text/plain"), status: 406, wantBody: notAvailable("text/plain")},
		{name: "no row", cite: cite + ":130", method: "GET", path: "/rpc/gadget_label?id=777", hdr: accept("app/blob"), status: 200,
			wantHdr: map[string]string{"Content-Type": "app/blob"}, check: raw("")},
		{name: "a row", cite: cite + ":130", method: "GET", path: "/rpc/gadget_label?id=2", hdr: accept("app/blob"), status: 200,
			check: raw("Desk, oak")},
		{name: "image/png", cite: cite + ":137", method: "GET", path: "/rpc/pixel", hdr: accept("image/png"), status: 200,
			wantHdr: map[string]string{"Content-Type": "image/png"}, check: both(raw(string(png)), contentLength)},
		{name: "setof media type domain", cite: cite + ":145", method: "GET", path: "/rpc/greet_twice", hdr: accept("text/plain"),
			status: 406, wantBody: notAvailable("text/plain"), wantHdr: map[string]string{"Content-Length": "110"}},
		{name: "function of a table with an aggregate", cite: cite + ":159", method: "GET", path: "/rpc/get_gadgets",
			hdr: accept("text/tab-separated-values"), status: 200, check: raw(tsv)},
		{name: "function of a table without aggregate", cite: cite + ":166", method: "GET", path: "/rpc/get_gadgets",
			hdr: accept("application/octet-stream"), status: 406, wantBody: notAvailable("application/octet-stream")},
	}
}

// customMediaOverrideCases: overriding builtins, matching the requested
// type, select= and the any handler.
func customMediaOverrideCases() []tc {
	const cite = "T:Query/CustomMediaSpec.hs"
	png, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAY=")
	return []tc{
		// overriding
		{name: "override application/json", cite: cite + ":185", method: "GET", path: "/json_override", hdr: accept("application/json"),
			status: 200, wantBody: `{"overridden": "true"}`,
			wantHdr: map[string]string{"Content-Type": "application/json; charset=utf-8", "Content-Length": "22"}},
		{name: "*/* still takes the builtin json (lookup order)", cite: "src/library/PostgREST/Plan/Negotiate.hs lookupHandler@v16.2",
			method: "GET", path: "/json_override", hdr: accept("*/*"), status: 200, wantBody: `[]`},
		{name: "vendored object not overridden", cite: cite + ":205", method: "GET", path: "/gadgets?id=eq.1",
			hdr: accept("application/vnd.pgrst.object"), status: 200, wantBody: `{"id":1,"label":"Lamp","maker_id":1}`,
			wantHdr: map[string]string{"Content-Type": "application/vnd.pgrst.object+json; charset=utf-8"}},
		// matching the requested media type
		{name: "image/png with */*", cite: cite + ":217", method: "GET", path: "/rpc/pixel", hdr: accept("image/png, */*"), status: 200,
			wantHdr: map[string]string{"Content-Type": "image/png"}, check: raw(string(png))},
		{name: "image/png with browser accept", cite: cite + ":223", method: "GET", path: "/rpc/pixel",
			hdr: accept("text/html,application/xhtml+xml,application/xml;q=0.9,image/png,*/*;q=0.8"), status: 200,
			wantHdr: map[string]string{"Content-Type": "image/png"}},
		{name: "json in presence of text/plain", cite: cite + ":230", method: "GET", path: "/gadgets?id=eq.1",
			hdr: accept("text/plain, application/json"), status: 200, wantHdr: map[string]string{"Content-Type": "application/json; charset=utf-8"}},
		{name: "csv override with BOM", cite: cite + ":248", method: "GET", path: "/csv_lines?order=id", hdr: accept("text/csv"), status: 200,
			wantHdr: map[string]string{"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="lines.csv"`},
			check:   both(raw("\uFEFFid,name\n1,first\n2,second\n"), contentLength)},
		// select and generic anyelement handlers
		{name: "outfunc without select", cite: cite + ":259", method: "GET", path: "/gadgets?id=in.(1,2)&order=id", hdr: accept("pg/outfunc"),
			status: 200, wantHdr: map[string]string{"Content-Type": "pg/outfunc"}, check: raw("(1,Lamp,1)\n(2,\"Desk, oak\",1)\n")},
		{name: "outfunc fewer columns", cite: cite + ":269", method: "GET", path: "/gadgets?id=in.(1,2)&select=id,label&order=id",
			hdr: accept("pg/outfunc"), status: 200, check: raw("(1,Lamp)\n(2,\"Desk, oak\")\n")},
		{name: "outfunc other order", cite: cite + ":278", method: "GET", path: "/gadgets?id=in.(1,2)&select=label,id,maker_id&order=id",
			hdr: accept("pg/outfunc"), status: 200, check: raw("(Lamp,1,1)\n(\"Desk, oak\",2,1)\n")},
		{name: "specific aggregate with fewer columns", cite: cite + ":309", method: "GET", path: "/gadgets?select=id",
			hdr: accept("text/tab-separated-values"), status: 406},
		{name: "specific aggregate with more columns", cite: cite + ":313", method: "GET", path: "/gadgets?select=id,label,maker_id,id",
			hdr: accept("text/tab-separated-values"), status: 406},
		{name: "specific aggregate with columns in the same order", cite: cite + ":323", method: "GET", path: "/gadgets?select=id,label,maker_id",
			hdr: accept("text/tab-separated-values"), status: 406},
		// the any handler
		{name: "any on a function with */*", cite: cite + ":330", method: "GET", path: "/rpc/any_mt", hdr: accept("*/*"), status: 200,
			wantHdr: map[string]string{"Content-Type": "application/octet-stream"}, check: raw("any")},
		{name: "any on a function without Accept", cite: "references/api/media_type_handlers.rst@v16.2", method: "GET", path: "/rpc/any_mt",
			status: 200, wantHdr: map[string]string{"Content-Type": "application/octet-stream"}, check: raw("any")},
		{name: "any on a function with another type", cite: cite + ":337", method: "GET", path: "/rpc/any_mt", hdr: accept("app/bingo"),
			status: 200, wantHdr: map[string]string{"Content-Type": "application/octet-stream"}, check: raw("any")},
		{name: "any with an explicit type", cite: cite + ":356", method: "GET", path: "/rpc/some_mt", hdr: accept("*/*"), status: 200,
			wantHdr: map[string]string{"Content-Type": "app/groucho"}, check: raw("groucho")},
		{name: "any with conditional logic", cite: cite + ":363", method: "GET", path: "/rpc/some_mt", hdr: accept("app/chico"),
			status: 200, wantHdr: map[string]string{"Content-Type": "app/chico"}, check: raw("chico")},
		{name: "any rejecting", cite: cite + ":375", method: "GET", path: "/rpc/some_mt", hdr: accept("text/csv"), status: 406},
		{name: "any on a table", cite: cite + ":380", method: "GET", path: "/numbers?val=eq.1", hdr: accept("*/*"), status: 200,
			wantHdr: map[string]string{"Content-Type": "application/octet-stream"}, check: raw("anything\n1")},
		{name: "any on a table sets its type", cite: cite + ":387", method: "GET", path: "/numbers?val=eq.2", hdr: accept("magic/number"),
			status: 200, wantHdr: map[string]string{"Content-Type": "magic/number"}, check: raw("magic\n2")},
		{name: "any on a table, unknown type", cite: cite + ":398", method: "GET", path: "/numbers?val=eq.4", hdr: accept("unknown/unknown"),
			status: 200, wantHdr: map[string]string{"Content-Type": "application/octet-stream"}, check: raw("anything\n4")},
		{name: "unparsable accept sent as is", cite: cite + ":406", method: "GET", path: "/gadgets", hdr: accept("undefined"),
			status: 406, wantBody: notAvailable("undefined")},
		// raw bodies in and out (RpcSpec.hs "single unnamed param")
		{name: "text in, text out", cite: "T:Query/RpcSpec.hs:1170", method: "POST", path: "/rpc/echo_text",
			hdr: map[string]string{"Content-Type": "text/plain", "Accept": "text/plain"}, body: "unnamed text arg", status: 200,
			check: raw("unnamed text arg")},
		{name: "xml in, xml out", cite: "T:Query/RpcSpec.hs:1177", method: "POST", path: "/rpc/echo_xml",
			hdr: map[string]string{"Content-Type": "text/xml", "Accept": "text/xml"}, body: "<note><to>Jane</to></note>", status: 200,
			check: raw("<note><to>Jane</to></note>")},
		{name: "bytes in, bytes out", cite: "T:Query/RpcSpec.hs:1185", method: "POST", path: "/rpc/echo_bytes",
			hdr: map[string]string{"Content-Type": "application/octet-stream", "Accept": "application/octet-stream"}, body: string(png) + "\x00\xff",
			status: 200, wantHdr: map[string]string{"Content-Type": "application/octet-stream"}, check: raw(string(png) + "\x00\xff")},
		{name: "csv of a function", cite: "T:Query/RpcSpec.hs:130", method: "GET", path: "/rpc/get_gadgets?select=id&id=gt.1",
			hdr: accept("text/csv"), status: 200, wantHdr: map[string]string{"Content-Type": "text/csv; charset=utf-8"}, check: raw("id\n2\n3")},
		{name: "HEAD keeps the negotiated type", cite: "T:Query/RpcSpec.hs:144", method: "HEAD", path: "/rpc/get_gadgets",
			hdr: accept("text/csv"), status: 200, wantHdr: map[string]string{"Content-Type": "text/csv; charset=utf-8"}, check: raw("")},
	}
}

// handlersReload: the handlers are read with the schema cache; a handler
// created later serves after a reload, and only then.
func handlersReload(t *testing.T, e *engine) {
	if r := e.do("GET", "/numbers?val=eq.1", accept("text/plain"), ""); r.status != 200 || !strings.HasPrefix(r.body, "anything") {
		t.Fatalf("the any handler of numbers answers every type: %d %q", r.status, r.body)
	}
	if r := e.do("GET", "/csv_lines", accept("text/plain"), ""); r.status != 406 {
		t.Fatalf("before: %d %s", r.status, r.body)
	}
	exec(t, e, `create function lines_text_trans(state "text/plain", next csv_lines) returns "text/plain" language sql as $$
		select (state || next.name)::"text/plain" $$;
		create aggregate lines_text (csv_lines) (initcond = '', stype = "text/plain", sfunc = lines_text_trans)`)
	if r := e.do("GET", "/csv_lines?order=id", accept("text/plain"), ""); r.status != 406 {
		t.Fatalf("served before the reload: %d %s", r.status, r.body)
	}
	reload(t, e)
	r := e.do("GET", "/csv_lines?order=id", accept("text/plain"), "")
	if r.status != 200 || r.body != "firstsecond" || r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("after the reload: %d %q %q", r.status, r.body, r.header.Get("Content-Type"))
	}
}

// TestCustomMediaDuringReloads: requests negotiating database handlers
// race with schema cache reloads; every answer is the handler's, whole.
func TestCustomMediaDuringReloads(t *testing.T) {
	t.Parallel()
	e := newEngine(t, mediaFixtureSQL, nil)
	tsv := "id\tlabel\tmaker_id\n1\tLamp\t1\n"
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				r := e.do("GET", "/gadgets?id=eq.1", accept("text/tab-separated-values"), "")
				if r.status != 200 || r.body != tsv || r.header.Get("Content-Type") != "text/tab-separated-values" {
					errs <- fmt.Sprintf("%d %q %q", r.status, r.body, r.header.Get("Content-Type"))
				}
			}
		}()
	}
	for i := 0; i < 5; i++ {
		reload(t, e)
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Error(s)
	}
}
