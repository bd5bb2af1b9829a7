package postgrest

import (
	"strings"
	"testing"
)

// requireEmbedding skips a test while the schema cache has no
// relationships (resource embedding is issue 12's work): the cases then
// answer PostgREST's 400 PGRST200 instead of running.
func requireEmbedding(t *testing.T, e *engine, probe string) {
	t.Helper()
	if r := e.do("GET", probe, nil, ""); r.status == 400 && strings.Contains(r.body, "PGRST200") {
		t.Skip("resource embedding is not available in this build (PGRST200): these cases need the schema cache's relationships")
	}
}

const aggEmbedFixtureSQL = aggFixtureSQL + `
create table factories (id int primary key, name text);
insert into factories values (1, 'Factory A'), (2, 'Factory B');
create table factory_buildings (id int primary key, size int, type text, factory_id int references factories(id));
insert into factory_buildings values (1, 150, 'A', 1), (2, 200, 'B', 1), (3, 50, 'A', 2);
create table categories (id int primary key, name text);
insert into categories values (1, 'Batch'), (2, 'Mass');
create table processes (id int primary key, name text, factory_id int references factories(id), category_id int references categories(id));
insert into processes values (1, 'P1', 1, 1), (2, 'P2', 1, 2), (3, 'P3', 2, 1), (4, 'P4', 2, 1);
create table process_costs (process_id int primary key references processes(id), cost numeric);
insert into process_costs values (1, 150.00), (2, 200.00), (3, 180.00), (4, 70.00);
create table budget_categories (id int primary key, category_name text, budget_owner text, budget_amount numeric);
insert into budget_categories values (1, 'Beanies', 'Brian', 1000.31), (2, 'DVDs', 'Jane', 2000.12), (3, 'Pizza', 'Brian', 1000.11);
create table budget_expenses (id int primary key, expense_amount numeric, budget_category_id int references budget_categories(id));
insert into budget_expenses values (1, 200.26, 1), (2, 400.26, 3), (3, 100.22, 2);
create domain "pg/outfunc" as text;
create function outfunc_trans(state text, next anyelement) returns "pg/outfunc" language sql as $$
  select (state || next::text || E'\n')::"pg/outfunc" $$;
create aggregate outfunc_agg (anyelement) (initcond = '', stype = "pg/outfunc", sfunc = outfunc_trans);
grant select on all tables in schema public to anon;
`

// TestSpecAggregateFunctionsEmbedded replays AggregateFunctionsSpec's
// cases on embedded resources and spreads (T:Query/AggregateFunctionsSpec
// .hs:30-300@v16.2), CustomMediaSpec's embedding case and
// QueryLimitedSpec's db-max-rows on embedded resources.
func TestSpecAggregateFunctionsEmbedded(t *testing.T) {
	t.Parallel()
	e := newEngine(t, aggEmbedFixtureSQL, func(env map[string]string) {
		env["PGRST_DB_AGGREGATES_ENABLED"] = "true"
		env["PGRST_DB_MAX_ROWS"] = "2"
	})
	requireEmbedding(t, e, "/projects?select=clients(id)")
	const cite = "T:Query/AggregateFunctionsSpec.hs"
	get := func(name, line, path string, status int, body string) tc {
		return tc{name: name, cite: cite + ":" + line, method: "GET", path: path, status: status, wantBody: body}
	}
	runCases(t, e, []tc{
		get("embedded count column", "33", "/clients?select=name,projects(count)&order=id", 200,
			`[{"name":"Microsoft","projects":[{"count": 2}]}, {"name":"Apple","projects":[{"count": 2}]}]`),
		get("group by an embedded column", "93", "/project_invoices?select=project_id,total:invoice_total.sum(),projects(name)&order=project_id", 200,
			`[{"project_id": 1, "total": 300, "projects": {"name": "Windows 7"}}, {"project_id": 2, "total": 1200, "projects": {"name": "Windows 10"}}]`),
		get("sum() on an embed", "101", "/projects?select=name,project_invoices(invoice_total.sum())&id=in.(1,5)&order=id", 200,
			`[{"name":"Windows 7","project_invoices":[{"sum": 300}]}, {"name":"Orphan","project_invoices":[{"sum": null}]}]`),
		get("all at once on an embed", "135", "/projects?select=name,project_invoices(invoice_total.max(),invoice_total.min(),invoice_total.avg(),invoice_total.sum(),invoice_total.count())&id=in.(4,5)&order=id", 200,
			`[{"name":"OSX","project_invoices":[{"avg": 2050.0000000000000000, "max": 4000, "min": 100, "sum": 4100, "count": 2}]},
			  {"name":"Orphan","project_invoices":[{"avg": null, "max": null, "min": null, "sum": null, "count": 0}]}]`),
		get("to-one spread", "149", "/budget_expenses?select=total_expenses:expense_amount.sum(),...budget_categories(budget_owner,total_budget:budget_amount.sum())&order=budget_categories(budget_owner)", 200,
			`[{"total_expenses": 600.52, "budget_owner": "Brian", "total_budget": 2000.42}, {"total_expenses": 100.22, "budget_owner": "Jane", "total_budget": 2000.12}]`),
		get("to-one spread, aggregates only", "156", "/budget_expenses?select=...budget_categories(total_budget:budget_amount.sum())", 200,
			`[{"total_budget": 4000.54}]`),
		get("spreads grouped by another spread", "160", "/processes?select=...process_costs(cost.sum()),...categories(name)&order=categories(name)", 200,
			`[{"sum": 400.00, "name": "Batch"}, {"sum": 200.00, "name": "Mass"}]`),
		get("count() in a spread", "226", "/processes?select=factory_id,...process_costs(count())&order=factory_id", 200,
			`[{"factory_id": 1, "count": 2}, {"factory_id": 2, "count": 2}]`),
		{name: "to-many spread", cite: cite + ":288", method: "GET", path: "/factories?select=name,...factory_buildings(type,size.sum())", status: 400,
			wantBody: errBody("PGRST127", "Feature not implemented", "Aggregates are not implemented for one-to-many or many-to-many spreads.", nil)},
		// CustomMediaSpec.hs:299: an anyelement handler with an embed
		{name: "outfunc with an embed", cite: "T:Query/CustomMediaSpec.hs:299", method: "GET", path: "/projects?id=in.(1,2)&select=*,clients(id)&order=id",
			hdr: accept("pg/outfunc"), status: 200, check: raw("(1,\"Windows 7\",1,\"{\"\"id\"\": 1}\")\n(2,\"Windows 10\",1,\"{\"\"id\"\": 1}\")\n")},
		// QueryLimitedSpec.hs:27: db-max-rows on every level
		{name: "max-rows on embeds", cite: "T:Query/QueryLimitedSpec.hs:27", method: "GET",
			path: "/factories?select=id,factory_buildings(id),processes(id)&order=id&factory_buildings.order=id&processes.order=id", status: 200,
			wantBody: `[{"id":1,"factory_buildings":[{"id":1},{"id":2}],"processes":[{"id":1},{"id":2}]},{"id":2,"factory_buildings":[{"id":3}],"processes":[{"id":3},{"id":4}]}]`},
		{name: "max-rows on a to-many embed", cite: "Plan.hs treeRestrictRange@v16.2", method: "GET",
			path: "/categories?select=id,processes(id)&id=eq.1&processes.order=id", status: 200,
			wantBody: `[{"id":1,"processes":[{"id":1},{"id":3}]}]`},
		{name: "max-rows caps an embed's own limit", cite: "Plan.hs treeRestrictRange@v16.2", method: "GET",
			path: "/categories?select=id,processes(id)&id=eq.1&processes.order=id&processes.limit=10", status: 200,
			wantBody: `[{"id":1,"processes":[{"id":1},{"id":3}]}]`},
	})
	// PGRST123 reaches embedded and spread aggregates too
	d := newEngine(t, aggEmbedFixtureSQL, nil)
	runCases(t, d, []tc{
		{name: "disallowed on an embed", cite: cite + ":320", method: "GET", path: "/projects?select=name,project_invoices(invoice_total.sum())",
			status: 400, wantBody: errBody("PGRST123", "Use of aggregate functions is not allowed", nil, nil)},
		{name: "disallowed on a to-one spread", cite: cite + ":331", method: "GET", path: "/project_invoices?select=...projects(id.count())",
			status: 400, wantBody: errBody("PGRST123", "Use of aggregate functions is not allowed", nil, nil)},
		{name: "disallowed on a to-many spread", cite: cite + ":342", method: "GET", path: "/factories?select=...processes(id.count())",
			status: 400, wantBody: errBody("PGRST123", "Use of aggregate functions is not allowed", nil, nil)},
	})
}
