package postgrest

import "testing"

const aggFixtureSQL = `
grant usage on schema public to anon;
create table entities (id int primary key, name text);
insert into entities values (1, 'entity 1'), (2, 'entity 2'), (3, 'entity 3'), (4, null);
create table clients (id int primary key, name text not null);
insert into clients values (1, 'Microsoft'), (2, 'Apple');
create table projects (id int primary key, name text not null, client_id int references clients(id));
insert into projects values (1, 'Windows 7', 1), (2, 'Windows 10', 1), (3, 'IOS', 2), (4, 'OSX', 2), (5, 'Orphan', null);
create table project_invoices (id int primary key, invoice_total numeric, project_id int references projects(id));
insert into project_invoices values (1, 100, 1), (2, 200, 1), (3, 500, 2), (4, 700, 2), (5, 1200, 3), (6, 2000, 3), (7, 100, 4), (8, 4000, 4);
create table trash_details (id int primary key, jsonb_col jsonb);
insert into trash_details values (1, '{"key": 10}'), (2, '{"key": 6}'), (3, '{"key": 8}');
create table has_count_column ("count" int);
insert into has_count_column values (7);
create table clashing_column (t text);
grant select, insert, update, delete on all tables in schema public to anon;
create function getallprojects() returns setof projects language sql as $$ select * from projects $$;
`

// TestSpecAggregateFunctions replays AggregateFunctionsSpec (T:Query/
// AggregateFunctionsSpec.hs@v16.2, db-aggregates-enabled) on the project's
// fixture, without the cases that embed (they need the schema cache's
// relationships).
func TestSpecAggregateFunctions(t *testing.T) {
	t.Parallel()
	e := newEngine(t, aggFixtureSQL, func(env map[string]string) { env["PGRST_DB_AGGREGATES_ENABLED"] = "true" })
	const cite = "T:Query/AggregateFunctionsSpec.hs"
	jsonCT := map[string]string{"Content-Type": "application/json; charset=utf-8"}
	get := func(name, line, path string, status int, body string) tc {
		return tc{name: name, cite: cite + ":" + line, method: "GET", path: path, status: status, wantBody: body, wantHdr: jsonCT}
	}
	runCases(t, e, []tc{
		get("count()", "16", "/entities?select=count()", 200, `[{ "count": 4 }]`),
		get("count() alias", "19", "/entities?select=cnt:count()", 200, `[{ "cnt": 4 }]`),
		get("count() cast", "22", "/entities?select=count()::text", 200, `[{ "count": "4" }]`),
		get("count() grouped", "25", "/projects?select=c:count(),client_id&order=client_id.desc", 200,
			`[{ "c": 1, "client_id": null }, { "c": 2, "client_id": 2 }, { "c": 2, "client_id": 1}]`),
		get("count as a column", "30", "/entities?select=count", 200, `[{ "count": 4 }]`),
		get("sum()", "37", "/project_invoices?select=invoice_total.sum()", 200, `[{"sum":8800}]`),
		get("avg()", "40", "/project_invoices?select=invoice_total.avg()", 200, `[{"avg":1100.0000000000000000}]`),
		get("min()", "43", "/project_invoices?select=invoice_total.min()", 200, `[{ "min": 100 }]`),
		get("max()", "46", "/project_invoices?select=invoice_total.max()", 200, `[{ "max": 4000 }]`),
		get("field count()", "49", "/project_invoices?select=invoice_total.count()", 200, `[{ "count": 8 }]`),
		get("group by", "52", "/project_invoices?select=invoice_total.sum(),invoice_total.max(),invoice_total.min(),project_id&order=project_id.desc", 200,
			`[{"sum":4100,"max":4000,"min":100,"project_id":4}, {"sum":3200,"max":2000,"min":1200,"project_id":3},
			  {"sum":1200,"max":700,"min":500,"project_id":2}, {"sum":300,"max":200,"min":100,"project_id":1}]`),
		get("group by alias", "61", "/project_invoices?select=invoice_total.sum(),invoice_total.max(),invoice_total.min(),pid:project_id&order=project_id.desc", 200,
			`[{"sum":4100,"max":4000,"min":100,"pid":4}, {"sum":3200,"max":2000,"min":1200,"pid":3},
			  {"sum":1200,"max":700,"min":500,"pid":2}, {"sum":300,"max":200,"min":100,"pid":1}]`),
		get("aggregate alias", "70", "/project_invoices?select=total_charged:invoice_total.sum(),project_id&order=project_id.desc", 200,
			`[{"total_charged":4100,"project_id":4}, {"total_charged":3200,"project_id":3}, {"total_charged":1200,"project_id":2}, {"total_charged":300,"project_id":1}]`),
		get("cast on output", "77", "/project_invoices?select=total_charged:invoice_total.sum()::text,project_id&order=project_id.desc", 200,
			`[{"total_charged":"4100","project_id":4}, {"total_charged":"3200","project_id":3}, {"total_charged":"1200","project_id":2}, {"total_charged":"300","project_id":1}]`),
		get("cast on input", "84", "/trash_details?select=jsonb_col->>key::integer.sum()", 200, `[{"sum": 24}]`),
		get("alias, input and output casts", "87", "/trash_details?select=s:jsonb_col->>key::integer.sum()::text", 200, `[{"s": "24"}]`),
		get("on a function", "90", "/rpc/getallprojects?select=id.max()", 200, `[{"max": 5}]`),
		get("with a filter", "Plan.hs validateAggFunctions", "/project_invoices?select=invoice_total.sum()&project_id=eq.4", 200, `[{"sum":4100}]`),
		get("with a limit", "QueryBuilder.hs readPlanToQuery", "/project_invoices?select=project_id,invoice_total.sum()&order=project_id&limit=2", 200,
			`[{"project_id":1,"sum":300},{"project_id":2,"sum":1200}]`),
		// QuerySpec.hs:22-28: a column named count, a column named t
		{name: "column named count", cite: "T:Query/QuerySpec.hs:22", method: "GET", path: "/has_count_column", status: 200, wantBody: `[{"count":7}]`},
		{name: "column named t", cite: "T:Query/QuerySpec.hs:26", method: "GET", path: "/clashing_column?select=t", status: 200, wantBody: `[]`},
	})
	// aggregates in other media types: CSV lines and a count with Prefer
	r := e.do("GET", "/project_invoices?select=project_id,total:invoice_total.sum()&order=project_id", map[string]string{"Accept": "text/csv", "Prefer": "count=exact"}, "")
	if r.status != 200 || r.body != "project_id,total\n1,300\n2,1200\n3,3200\n4,4100" || r.header.Get("Content-Range") != "0-3/4" {
		t.Errorf("[Query/SqlFragment.hs asCsvF, countF] csv of groups: %d %q %s", r.status, r.body, r.header.Get("Content-Range"))
	}
}

// TestSpecAggregateFunctionsDisallowed: with db-aggregates-enabled off
// (the default), 400 PGRST123 (AggregateFunctionsSpec.hs disallowed).
func TestSpecAggregateFunctionsDisallowed(t *testing.T) {
	t.Parallel()
	e := newEngine(t, aggFixtureSQL, nil)
	notAllowed := errBody("PGRST123", "Use of aggregate functions is not allowed", nil, nil)
	runCases(t, e, []tc{
		{name: "sum()", cite: "T:Query/AggregateFunctionsSpec.hs:311", method: "GET", path: "/project_invoices?select=invoice_total.sum()",
			status: 400, wantBody: notAllowed, wantHdr: map[string]string{"Content-Type": "application/json; charset=utf-8"}},
		{name: "count()", cite: "Plan.hs validateAggFunctions@v16.2", method: "GET", path: "/entities?select=count()", status: 400, wantBody: notAllowed},
		{name: "on a function", cite: "Plan.hs validateAggFunctions@v16.2", method: "GET", path: "/rpc/getallprojects?select=id.max()",
			status: 400, wantBody: notAllowed},
		// the legacy count column is not an aggregate without the ()
		{name: "count as a column", cite: "T:Query/QuerySpec.hs:22", method: "GET", path: "/has_count_column?select=count", status: 200,
			wantBody: `[{"count":7}]`},
	})
}
