package postgrest

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/authstack/authstack/internal/pgtest"
)

const countFixtureSQL = `
grant usage on schema public to anon;
create table items (id bigint primary key);
insert into items select generate_series(1, 15);
create table entities (id int primary key, name text);
insert into entities values (1, 'entity 1'), (2, 'entity 2');
create table child_entities (id int primary key, name text, parent_id int references entities(id));
insert into child_entities values (1, 'c1', 1), (2, 'c2', 1), (3, 'c3', 2), (4, 'c4', 1), (5, 'c5', 1), (6, 'c6', 2);
create table projects (id int primary key, name text not null, client_id int);
insert into projects values (1, 'Windows 7', 1), (2, 'Windows 10', 1), (3, 'IOS', 2), (4, 'OSX', 2), (5, 'Orphan', null);
create table employees (first_name text, last_name text, occupation text);
insert into employees values ('Frances M.', 'Roe', 'Author'), ('Daniel B.', 'Lyon', 'Packer'), ('Edwin S.', 'Smith', 'Marine biologist');
create function getallprojects() returns setof projects language sql as $$ select * from projects $$ rows 2019;
create function get_projects_above(id int) returns setof projects language sql as $$ select * from projects where projects.id > $1 $$ rows 1;
create view getallprojects_view as select * from getallprojects();
create view get_projects_above_view as select * from get_projects_above(1);
grant select, insert, update, delete on all tables in schema public to anon;
analyze;
`

// TestSpecQueryLimited replays QueryLimitedSpec (T:Query/QueryLimitedSpec
// .hs@v16.2, db-max-rows=2) without its embedding cases: the limit on
// reads, count=estimated (the exact count up to max-rows, the planner's
// guess above it when larger), mutations not limited.
func TestSpecQueryLimited(t *testing.T) {
	t.Parallel()
	e := newEngine(t, countFixtureSQL, func(env map[string]string) { env["PGRST_DB_MAX_ROWS"] = "2" })
	const cite = "T:Query/QueryLimitedSpec.hs"
	ret := map[string]string{"Prefer": "return=representation"}
	est := map[string]string{"Prefer": "count=estimated"}
	jsonCT := "application/json; charset=utf-8"
	runCases(t, e, []tc{
		{name: "restricts results", cite: cite + ":16", method: "GET", path: "/items?order=id", status: 200,
			wantBody: `[{"id":1},{"id":2}]`, wantHdr: map[string]string{"Content-Range": "0-1/*"}},
		{name: "client limit", cite: cite + ":22", method: "GET", path: "/items", hdr: map[string]string{"Range": "0-0"}, status: 200,
			wantBody: `[{"id":1}]`, wantHdr: map[string]string{"Content-Range": "0-0/*"}},
		{name: "larger client limit", cite: "Plan.hs treeRestrictRange@v16.2", method: "GET", path: "/items?order=id&limit=10", status: 200,
			wantBody: `[{"id":1},{"id":2}]`, wantHdr: map[string]string{"Content-Range": "0-1/*"}},
		{name: "set-returning function", cite: "Plan.hs treeRestrictRange@v16.2", method: "GET", path: "/rpc/getallprojects?select=id&order=id",
			status: 200, wantBody: `[{"id":1},{"id":2}]`, wantHdr: map[string]string{"Content-Range": "0-1/*"}},
		{name: "estimated above max-rows", cite: cite + ":47", method: "HEAD", path: "/getallprojects_view", hdr: est, status: 206,
			wantHdr: map[string]string{"Content-Type": jsonCT, "Content-Range": "0-1/2019"}},
		{name: "estimated within max-rows", cite: cite + ":57", method: "HEAD", path: "/getallprojects_view?id=lt.3", hdr: est, status: 200,
			wantHdr: map[string]string{"Content-Type": jsonCT, "Content-Range": "0-1/2"}},
		{name: "estimated guess lower than exact", cite: cite + ":66", method: "HEAD", path: "/get_projects_above_view", hdr: est, status: 206,
			wantHdr: map[string]string{"Content-Type": jsonCT, "Content-Range": "0-1/3"}},
		{name: "exact with max-rows", cite: "Query/SqlFragment.hs countF@v16.2", method: "GET", path: "/items?select=id&order=id",
			hdr: map[string]string{"Prefer": "count=exact"}, status: 206, wantHdr: map[string]string{"Content-Range": "0-1/15"}},
		{name: "estimated on a function is exact", cite: "Query.hs mainQuery (no explain for calls)@v16.2", method: "GET",
			path: "/rpc/getallprojects?select=id", hdr: est, status: 206, wantHdr: map[string]string{"Content-Range": "0-1/5", "Preference-Applied": "count=estimated"}},
		{name: "insertions not limited", cite: cite + ":76", method: "POST", path: "/projects?select=id,name", hdr: ret,
			body:   `[{ "id": 6, "name": "BeOS" }, { "id": 7, "name": "PopOS" }, { "id": 8, "name": "HaikuOS" }]`,
			status: 201, wantBody: `[{ "id": 6, "name": "BeOS" }, { "id": 7, "name": "PopOS" }, { "id": 8, "name": "HaikuOS" }]`},
		{name: "updates not limited", cite: cite + ":92", method: "PATCH", path: "/employees?select=first_name,last_name,occupation&order=last_name",
			hdr: ret, body: `[{"occupation": "Barista"}]`, status: 200,
			wantBody: `[{ "first_name": "Daniel B.", "last_name": "Lyon", "occupation": "Barista" },
				{ "first_name": "Frances M.", "last_name": "Roe", "occupation": "Barista" },
				{ "first_name": "Edwin S.", "last_name": "Smith", "occupation": "Barista" }]`},
		{name: "deletions not limited", cite: cite + ":104", method: "DELETE", path: "/employees?select=first_name,last_name&order=last_name",
			hdr: ret, status: 200,
			wantBody: `[{ "first_name": "Daniel B.", "last_name": "Lyon" }, { "first_name": "Frances M.", "last_name": "Roe" },
				{ "first_name": "Edwin S.", "last_name": "Smith" }]`},
		{name: "limit 0", cite: cite + ":118", method: "GET", path: "/items?limit=0", status: 200, wantBody: `[]`,
			wantHdr: map[string]string{"Content-Range": "*/*"}},
		{name: "caps reads", cite: "docs/references/configuration.rst db-max-rows@v16.2", method: "GET", path: "/items?order=id&select=id", status: 200,
			wantBody: `[{"id":1},{"id":2}]`, wantHdr: map[string]string{"Content-Range": "0-1/*"}},
		{name: "caps with count", cite: "docs/references/configuration.rst db-max-rows@v16.2", method: "GET", path: "/items?order=id&select=id",
			hdr: map[string]string{"Prefer": "count=exact"}, status: 206, wantHdr: map[string]string{"Content-Range": "0-1/15"}},
	})
}

// TestSpecRangePlannedCount replays RangeSpec's count=planned cases
// (T:Query/RangeSpec.hs:309-409@v16.2) and count=estimated without
// db-max-rows. The planner's guess is compared with PostgreSQL's own
// EXPLAIN of the same filter, run by the test, after ANALYZE.
func TestSpecRangePlannedCount(t *testing.T) {
	t.Parallel()
	e := newEngine(t, countFixtureSQL, nil)
	const cite = "T:Query/RangeSpec.hs"
	planned := map[string]string{"Prefer": "count=planned"}
	guess := plannerRows(t, e, "select * from items where id > 8")
	runCases(t, e, []tc{
		{name: "filtered range", cite: cite + ":310", method: "GET", path: "/items?select=id&id=gt.8&order=id", hdr: planned,
			status: 206, wantBody: `[{"id":9},{"id":10},{"id":11},{"id":12},{"id":13},{"id":14},{"id":15}]`,
			wantHdr: map[string]string{"Content-Range": "0-6/" + strconv.Itoa(guess), "Preference-Applied": "count=planned"}},
		{name: "function rows estimate", cite: cite + ":329", method: "GET", path: "/getallprojects_view?select=id&id=lt.3", hdr: planned,
			status: 206, wantHdr: map[string]string{"Content-Range": "0-1/" + strconv.Itoa(plannerRows(t, e, "select * from getallprojects_view where id < 3"))}},
		{name: "full range", cite: cite + ":339", method: "HEAD", path: "/items", hdr: planned, status: 200,
			wantHdr: map[string]string{"Content-Range": "0-14/15"}},
		{name: "full range of a small table", cite: cite + ":349", method: "HEAD", path: "/child_entities", hdr: planned, status: 200,
			wantHdr: map[string]string{"Content-Range": "0-5/6"}},
		{name: "function rows", cite: cite + ":359", method: "HEAD", path: "/getallprojects_view", hdr: planned, status: 206,
			wantHdr: map[string]string{"Content-Range": "0-4/2019"}},
		{name: "limit and offset ignored", cite: cite + ":369", method: "HEAD", path: "/items?limit=2&offset=3", hdr: planned, status: 206,
			wantHdr: map[string]string{"Content-Range": "3-4/15"}},
		{name: "limit", cite: cite + ":380", method: "HEAD", path: "/child_entities?limit=2", hdr: planned, status: 206,
			wantHdr: map[string]string{"Content-Range": "0-1/6"}},
		{name: "limit on function rows", cite: cite + ":390", method: "HEAD", path: "/getallprojects_view?limit=2", hdr: planned, status: 206,
			wantHdr: map[string]string{"Content-Range": "0-1/2019"}},
		{name: "planned on a function is not counted", cite: "Query.hs mainQuery (no explain for calls)@v16.2", method: "GET",
			path: "/rpc/getallprojects?select=id", hdr: planned, status: 200, wantHdr: map[string]string{"Content-Range": "0-4/*"}},
		// without db-max-rows, estimated takes the larger of the exact count
		// and the guess (MainTx.hs compares Maybe values: Just n > Nothing)
		{name: "estimated without max-rows", cite: "MainTx.hs actionResult@v16.2", method: "HEAD", path: "/getallprojects_view",
			hdr: map[string]string{"Prefer": "count=estimated"}, status: 206, wantHdr: map[string]string{"Content-Range": "0-4/2019"}},
		{name: "estimated without max-rows, exact larger", cite: "MainTx.hs actionResult@v16.2", method: "HEAD", path: "/get_projects_above_view",
			hdr: map[string]string{"Prefer": "count=estimated"}, status: 200, wantHdr: map[string]string{"Content-Range": "0-3/4"}},
		{name: "out of range", cite: "T:Query/RangeSpec.hs@v16.2", method: "GET", path: "/child_entities?offset=100", hdr: planned,
			status: 416, wantHdr: map[string]string{"Content-Range": "*/6"},
			wantBody: errBody("PGRST103", "Requested range not satisfiable", "An offset of 100 was requested, but there are only 6 rows.", nil)},
	})
}

// plannerRows is PostgreSQL's row estimate for a query.
func plannerRows(t *testing.T, e *engine, q string) int {
	t.Helper()
	var b []byte
	if err := pgtest.NewPool(t, e.db).QueryRow(context.Background(), "explain (format json) "+q).Scan(&b); err != nil {
		t.Fatal(err)
	}
	var p []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(b, &p); err != nil || len(p) == 0 {
		t.Fatalf("explain: %s", b)
	}
	return int(p[0].Plan.Rows)
}
