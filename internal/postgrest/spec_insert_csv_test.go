package postgrest

import "testing"

const csvFixtureSQL = `
grant usage on schema public to anon;
create table no_pk (a text, b text);
create table projects (id int primary key, name text not null, client_id int);
insert into projects values (1, 'Windows 7', 1), (2, 'Windows 10', 1), (3, 'IOS', 2);
create table simple_pk (k varchar primary key, extra varchar not null);
insert into simple_pk values ('xyyx', 'u'), ('xYYx', 'v');
grant select, insert, update, delete on all tables in schema public to anon;
create function sum_pair(x int, y int) returns int language sql as $$ select x + y $$;
`

// TestSpecInsertCSV replays the CSV parts of InsertSpec, QuerySpec's
// "Accept headers" and RpcSpec (PostgREST v16.2): text/csv request bodies
// (decoded like cassava, ApiRequest/Payload.hs csvToJson) and text/csv
// responses (Query/SqlFragment.hs asCsvF: a header row of the first
// row's keys, then PostgreSQL's record output without its parentheses).
func TestSpecInsertCSV(t *testing.T) {
	t.Parallel()
	e := newEngine(t, csvFixtureSQL, nil)
	csvCT := map[string]string{"Content-Type": "text/csv; charset=utf-8"}
	in := func(h map[string]string) map[string]string {
		return merge(map[string]string{"Content-Type": "text/csv", "Accept": "text/csv", "Prefer": "return=representation"}, h)
	}
	runCases(t, e, []tc{
		{name: "full representation", cite: "T:Query/InsertSpec.hs:642", method: "POST", path: "/no_pk", hdr: in(nil),
			body: "a,b\nbar,baz", status: 201, wantHdr: csvCT, check: raw("a,b\nbar,baz")},
		{name: "nulls", cite: "T:Query/InsertSpec.hs:651", method: "POST", path: "/no_pk", hdr: in(nil),
			body: "a,b\nNULL,foo", status: 201, wantHdr: csvCT, check: raw("a,b\n,foo")},
		{name: "only the selected column", cite: "T:Query/InsertSpec.hs:660", method: "POST", path: "/projects?select=id", hdr: in(nil),
			body: "id,name,client_id\n8,Xenix,1\n9,Windows NT,1", status: 201,
			wantHdr: map[string]string{"Content-Type": "text/csv; charset=utf-8", "Content-Range": "*/*"}, check: raw("id\n8\n9")},
		{name: "too few fields", cite: "T:Query/InsertSpec.hs:671", method: "POST", path: "/no_pk",
			hdr: map[string]string{"Content-Type": "text/csv"}, body: "a,b\nfoo,bar\nbaz", status: 400,
			wantBody: errBody("PGRST102", "All lines must have same number of fields", nil, nil)},
		{name: "unparsable", cite: "ApiRequest/Payload.hs getPayload@v16.2", method: "POST", path: "/no_pk",
			hdr: map[string]string{"Content-Type": "text/csv"}, body: "a,b", status: 400,
			wantBody: errBody("PGRST102", `parse error (not enough input) at ""`, nil, nil)},
		{name: "quoted fields, JSON in", cite: "T:Query/InsertSpec.hs:641", method: "POST", path: "/no_pk",
			hdr: map[string]string{"Content-Type": "text/csv", "Prefer": "return=representation"}, body: "a,b\n\"x, \"\"y\"\"\",z\r\n",
			status: 201, wantBody: `[{"a":"x, \"y\"","b":"z"}]`},
		// the header lists the source's columns (RETURNING, sorted), the
		// lines follow select=: PostgREST's own mismatch, kept
		{name: "quoting out", cite: "Query/SqlFragment.hs asCsvF, Plan.hs inferColsEmbedNeeds@v16.2", method: "POST", path: "/no_pk?select=b,a",
			hdr: in(nil), body: "a,b\n\"x, \"\"y\"\"\",", status: 201, check: raw("a,b\n\"\",\"x, \"\"y\"\"\"")},
		{name: "update with csv", cite: "references/api/resource_representation.rst Request Body@v16.2", method: "PATCH",
			path: "/projects?id=eq.3", hdr: in(nil), body: "name\niOS", status: 200, wantHdr: csvCT, check: raw("id,name,client_id\n3,iOS,2")},
		{name: "function with csv arguments", cite: "T:Query/RpcSpec.hs:1297", method: "POST", path: "/rpc/sum_pair",
			hdr: map[string]string{"Content-Type": "text/csv"}, body: "x,y\n1,2", status: 200, wantBody: `3`},
		{name: "function without matching parameters", cite: "T:Query/RpcSpec.hs:1297", method: "POST", path: "/rpc/sum_pair",
			hdr: map[string]string{"Content-Type": "text/csv"}, body: "a,b\n1,2\n4,6", status: 404,
			contains: []string{`"code":"PGRST202"`, "sum_pair(a, b)"}},
		// responses (QuerySpec "Accept headers")
		{name: "csv response", cite: "T:Query/QuerySpec.hs:1234", method: "GET", path: "/simple_pk?order=k.desc",
			hdr: accept("text/csv; version=1"), status: 200, wantHdr: map[string]string{"Content-Type": "text/csv; charset=utf-8", "Content-Length": "21"},
			check: raw("k,extra\nxyyx,u\nxYYx,v")},
		{name: "specific over */*", cite: "T:Query/QuerySpec.hs:1213", method: "GET", path: "/simple_pk", hdr: accept("text/csv, */*"),
			status: 200, wantHdr: csvCT},
		{name: "client preference", cite: "T:Query/QuerySpec.hs:1221", method: "GET", path: "/simple_pk", hdr: accept("text/csv, application/json"),
			status: 200, wantHdr: csvCT},
		{name: "unknown then csv", cite: "T:Query/QuerySpec.hs:1229", method: "GET", path: "/simple_pk", hdr: accept("text/unknowntype, text/csv"),
			status: 200, wantHdr: csvCT},
		{name: "unknown type", cite: "T:Query/QuerySpec.hs:1191", method: "GET", path: "/simple_pk", hdr: accept("text/unknowntype"),
			status: 406, wantBody: notAvailable("text/unknowntype")},
		{name: "empty csv", cite: "Query/SqlFragment.hs asCsvF@v16.2", method: "GET", path: "/simple_pk?k=eq.none", hdr: accept("text/csv"),
			status: 200, check: raw("\n")},
		{name: "csv with count", cite: "T:Query/RangeSpec.hs@v16.2", method: "GET", path: "/projects?id=lte.3&order=id&limit=1",
			hdr: map[string]string{"Accept": "text/csv", "Prefer": "count=exact"}, status: 206,
			wantHdr: map[string]string{"Content-Range": "0-0/3"}, check: raw("id,name,client_id\n1,\"Windows 7\",1")},
		{name: "csv of a scalar function", cite: "Query/SqlFragment.hs asCsvF@v16.2", method: "GET", path: "/rpc/sum_pair?x=1&y=2",
			hdr: accept("text/csv"), status: 200, check: raw("pgrst_scalar\n3")},
	})
}
