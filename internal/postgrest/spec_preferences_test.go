package postgrest

import "testing"

const prefsFixtureSQL = `
grant usage on schema public to anon;
create table items (id bigint primary key);
insert into items select generate_series(1, 15);
create table organizations (id int primary key, name text, referee int, auditor int, manager_id int);
create table tiobe_pls (name text primary key, rank int);
insert into tiobe_pls values ('Java', 1), ('C', 2), ('Python', 3);
create table timestamps (t timestamptz);
insert into timestamps values ('2023-10-18 12:37:59.611000+0000'), ('2023-10-18 14:37:59.611000+0000'), ('2023-10-18 16:37:59.611000+0000');
grant select, insert, update, delete on all tables in schema public to anon;
create function overloaded_unnamed_param(json) returns json language sql as $$ select $1 $$;
create function overloaded_unnamed_param() returns int language sql as $$ select 1 $$;
create function overloaded_unnamed_param(x int, y int) returns int language sql as $$ select x + y $$;
create function delete_items_returns_setof() returns setof items language sql as $$ delete from items where id <= 15 returning * $$;
create function delete_items_returns_table() returns table(id bigint) language sql as $$ delete from items where id <= 15 returning * $$;
create function delete_items_returns_void() returns void language sql as $$ delete from items $$;
`

// TestSpecPreferences replays PostgREST v16.2's Preferences specs
// (T:Query/Preferences/HandlingSpec.hs, MaxAffectedSpec.hs,
// TimezoneSpec.hs) with PostgREST's test setting db-tx-end
// rollback-allow-override, so that every mutation is rolled back.
func TestSpecPreferences(t *testing.T) {
	t.Parallel()
	e := newEngine(t, prefsFixtureSQL, func(env map[string]string) { env["PGRST_DB_TX_END"] = "rollback-allow-override" })
	const h, m, z = "T:Query/Preferences/HandlingSpec.hs", "T:Query/Preferences/MaxAffectedSpec.hs", "T:Query/Preferences/TimezoneSpec.hs"
	prefer := func(v string) map[string]string { return map[string]string{"Prefer": v} }
	invalid := func(details string) string {
		return errBody("PGRST122", "Invalid preferences given with handling=strict", "Invalid preferences: "+details, nil)
	}
	exceeds := func(n string) string {
		return errBody("PGRST124", "Query result exceeds max-affected preference constraint", "The query affects "+n+" rows", nil)
	}
	org := `{"id":7,"name":"John","referee":null,"auditor":null,"manager_id":6}`
	applied := func(v string) map[string]string { return map[string]string{"Preference-Applied": v} }
	jsonCT := map[string]string{"Content-Type": "application/json; charset=utf-8"}
	all := `[{"id":1},{"id":2},{"id":3},{"id":4},{"id":5},{"id":6},{"id":7},{"id":8},{"id":9},{"id":10},{"id":11},{"id":12},{"id":13},{"id":14},{"id":15}]`
	la := `[{"t":"2023-10-18T05:37:59.611-07:00"}, {"t":"2023-10-18T07:37:59.611-07:00"}, {"t":"2023-10-18T09:37:59.611-07:00"}]`
	runCases(t, e, []tc{
		// handling
		{name: "strict with invalid", cite: h + ":16", method: "GET", path: "/items", hdr: prefer("handling=strict, anything"), status: 400,
			wantBody: invalid("anything")},
		{name: "strict with invalid in other headers", cite: h + ":22", method: "GET", path: "/items", hdr: prefer("handling=strict\nsomething, else"),
			status: 400, wantBody: invalid("something, else")},
		{name: "strict on post", cite: h + ":28", method: "POST", path: "/organizations?select=*", hdr: prefer("return=representation, handling=strict, anything"),
			body: org, status: 400, wantBody: invalid("anything")},
		{name: "strict on rpc", cite: h + ":36", method: "POST", path: "/rpc/overloaded_unnamed_param",
			hdr: map[string]string{"Content-Type": "application/json", "Prefer": "handling=strict, anything"}, body: `{}`, status: 400,
			wantBody: invalid("anything")},
		{name: "lenient", cite: h + ":45", method: "GET", path: "/items", hdr: prefer("handling=lenient, anything"), status: 200},
		{name: "lenient in other headers", cite: h + ":49", method: "GET", path: "/items", hdr: prefer("handling=lenient\nanything"), status: 200},
		{name: "lenient on post", cite: h + ":53", method: "POST", path: "/organizations?select=*", hdr: prefer("return=representation, handling=lenient, anything"),
			body: org, status: 201, wantBody: "[" + org + "]", wantHdr: jsonCT},
		{name: "lenient on rpc", cite: h + ":62", method: "POST", path: "/rpc/overloaded_unnamed_param",
			hdr: map[string]string{"Content-Type": "application/json", "Prefer": "handling=lenient, anything"}, body: `{}`, status: 200,
			wantBody: `1`, wantHdr: jsonCT},
		// max-affected
		{name: "strict delete over", cite: m + ":14", method: "DELETE", path: "/items?id=lt.15", hdr: prefer("handling=strict, max-affected=10"),
			status: 400, wantBody: exceeds("14")},
		{name: "strict delete within", cite: m + ":21", method: "DELETE", path: "/items?id=lt.10", hdr: prefer("handling=strict, max-affected=10"),
			status: 204, wantHdr: applied("handling=strict, max-affected=10")},
		{name: "strict update over", cite: m + ":29", method: "PATCH", path: "/tiobe_pls?name=eq.Java", hdr: prefer("handling=strict, max-affected=0"),
			body: `[{"name":"Java", "rank":19}]`, status: 400, wantBody: exceeds("1")},
		{name: "strict delete equal", cite: m + ":37", method: "DELETE", path: "/tiobe_pls?name=eq.Java", hdr: prefer("handling=strict, max-affected=1"),
			status: 204, wantHdr: applied("handling=strict, max-affected=1")},
		{name: "lenient delete over", cite: m + ":46", method: "DELETE", path: "/items?id=lt.15", hdr: prefer("handling=lenient, max-affected=10"),
			status: 204, wantHdr: applied("handling=lenient")},
		{name: "lenient update over", cite: m + ":62", method: "PATCH", path: "/tiobe_pls?name=eq.Java", hdr: prefer("handling=lenient, max-affected=0"),
			body: `[{"name":"Java", "rank":19}]`, status: 204, wantHdr: applied("handling=lenient")},
		{name: "max-affected alone", cite: "ApiRequest/Preferences.hs prefAppliedHeader@v16.2", method: "DELETE", path: "/items?id=lt.15",
			hdr: prefer("max-affected=10"), status: 204, wantHdr: applied("")},
		{name: "rpc setof over", cite: m + ":79", method: "POST", path: "/rpc/delete_items_returns_setof", hdr: prefer("handling=strict, max-affected=10"),
			status: 400, wantBody: exceeds("15")},
		{name: "rpc table over", cite: m + ":87", method: "POST", path: "/rpc/delete_items_returns_table", hdr: prefer("handling=strict, max-affected=10"),
			status: 400, wantBody: exceeds("15")},
		{name: "rpc setof within", cite: m + ":95", method: "POST", path: "/rpc/delete_items_returns_setof", hdr: prefer("handling=strict, max-affected=20"),
			status: 200, wantBody: all},
		{name: "rpc table within", cite: m + ":106", method: "POST", path: "/rpc/delete_items_returns_table", hdr: prefer("handling=strict, max-affected=20"),
			status: 200, wantBody: all},
		{name: "rpc void", cite: m + ":117", method: "POST", path: "/rpc/delete_items_returns_void", hdr: prefer("handling=strict, max-affected=20"),
			status: 400, wantBody: errBody("PGRST128", "Function must return SETOF or TABLE when max-affected preference is used with handling=strict", nil, nil)},
		// timezone
		{name: "timezone with strict", cite: z + ":14", method: "GET", path: "/timestamps", hdr: prefer("handling=strict, timezone=America/Los_Angeles"),
			status: 200, wantBody: la, wantHdr: applied("handling=strict, timezone=America/Los_Angeles")},
		{name: "timezone", cite: z + ":24", method: "GET", path: "/timestamps", hdr: prefer("timezone=America/Los_Angeles"),
			status: 200, wantBody: la, wantHdr: applied("timezone=America/Los_Angeles")},
		{name: "invalid timezone", cite: z + ":35", method: "GET", path: "/timestamps", hdr: prefer("timezone=Invalid/Timezone"), status: 400,
			wantBody: errBody("22023", `invalid value for parameter "TimeZone": "Invalid/Timezone"`, nil, nil)},
		{name: "invalid timezone, strict", cite: z + ":43", method: "GET", path: "/timestamps", hdr: prefer("handling=strict, timezone=Invalid/Timezone"),
			status: 400, wantBody: errBody("22023", `invalid value for parameter "TimeZone": "Invalid/Timezone"`, nil, nil)},
		{name: "invalid timezone, lenient", cite: z + ":51", method: "GET", path: "/timestamps", hdr: prefer("handling=lenient, timezone=Invalid/Timezone"),
			status: 400, wantBody: errBody("22023", `invalid value for parameter "TimeZone": "Invalid/Timezone"`, nil, nil)},
		{name: "positive offset", cite: z + ":61", method: "GET", path: "/timestamps", hdr: prefer("timezone=+05:30"), status: 200,
			wantBody: `[{"t":"2023-10-18T07:07:59.611-05:30"}, {"t":"2023-10-18T09:07:59.611-05:30"}, {"t":"2023-10-18T11:07:59.611-05:30"}]`,
			wantHdr:  applied("timezone=+05:30")},
		{name: "negative offset", cite: z + ":70", method: "GET", path: "/timestamps", hdr: prefer("timezone=-4"), status: 200,
			wantBody: `[{"t":"2023-10-18T08:37:59.611-04:00"}, {"t":"2023-10-18T10:37:59.611-04:00"}, {"t":"2023-10-18T12:37:59.611-04:00"}]`,
			wantHdr:  applied("timezone=-4")},
		{name: "leap seconds", cite: z + ":79", method: "GET", path: "/timestamps", hdr: prefer("timezone=05:30:15"), status: 400,
			wantBody: errBody("22023", `time zone "05:30:15" appears to use leap seconds`, "PostgreSQL does not support leap seconds.", nil)},
	})
	// every mutation above was rolled back
	if r := e.do("GET", "/items?select=id", map[string]string{"Prefer": "count=exact"}, ""); r.header.Get("Content-Range") != "0-14/15" {
		t.Errorf("mutations persisted: %s", r.header.Get("Content-Range"))
	}
}

// TestSpecPreferencesCommit replays the Preferences specs' timezone and
// max-affected cases with the default db-tx-end (commit): a write that
// exceeds max-affected is rolled back (MainTx.hs@v16.2), the others
// persist.
func TestSpecPreferencesCommit(t *testing.T) {
	t.Parallel()
	runBothModes(t, fixtureSQL, nil, preferencesCommitCases)
	t.Run("functions", func(t *testing.T) {
		t.Parallel()
		e := newEngine(t, rpcFixtureSQL, nil)
		runCases(t, e, []tc{
			// MainTx.hs failExceedsMaxAffectedPref: the call is rolled back.
			{name: "max-affected exceeded", cite: "T:Query/Preferences/MaxAffectedSpec.hs:86@v16.2", method: "POST", path: "/rpc/del_set",
				hdr: map[string]string{"Prefer": "handling=strict, max-affected=4"}, status: 400,
				wantBody: errBody("PGRST124", "Query result exceeds max-affected preference constraint", "The query affects 5 rows", nil)},
			{name: "max-affected void", cite: "T:Query/Preferences/MaxAffectedSpec.hs:122@v16.2", method: "POST", path: "/rpc/del_void",
				hdr: map[string]string{"Prefer": "handling=strict, max-affected=20"}, status: 400,
				wantBody: errBody("PGRST128", "Function must return SETOF or TABLE when max-affected preference is used with handling=strict", nil, nil)},
			{name: "rows kept after rollback", cite: "MainTx.hs@v16.2 (condemn)", method: "GET", path: "/scratch?select=id&id=eq.5",
				status: 200, wantBody: `[{"id":5}]`},
			{name: "max-affected within", cite: "T:Query/Preferences/MaxAffectedSpec.hs:102@v16.2", method: "POST", path: "/rpc/del_set",
				hdr: map[string]string{"Prefer": "handling=strict, max-affected=5"}, status: 200, wantBody: `[{"id":1},{"id":2},{"id":3},{"id":4},{"id":5}]`,
				wantHdr: map[string]string{"Preference-Applied": "handling=strict, max-affected=5"}},
			{name: "max-affected lenient ignored", cite: "T:Query/Preferences/MaxAffectedSpec.hs:49@v16.2 (lenient)", method: "POST", path: "/rpc/del_set",
				hdr: map[string]string{"Prefer": "handling=lenient, max-affected=1"}, status: 200, wantBody: `[]`,
				wantHdr: map[string]string{"Preference-Applied": "handling=lenient"}},
		})
	})
}

func preferencesCommitCases(t *testing.T, e *engine) []tc {
	strict := func(n string) map[string]string {
		return map[string]string{"Prefer": "handling=strict, max-affected=" + n}
	}
	return []tc{
		{name: "prefer timezone", cite: "T:Query/Preferences/TimezoneSpec.hs:24@v16.2", method: "GET", path: "/rpc/hoisted",
			hdr: map[string]string{"Prefer": "timezone=America/Los_Angeles"}, status: 200, wantBody: `"7s America/Los_Angeles"`,
			wantHdr: map[string]string{"Preference-Applied": "timezone=America/Los_Angeles"}},
		{name: "prefer invalid timezone is PostgreSQL's error", cite: "T:Query/Preferences/TimezoneSpec.hs:35@v16.2", method: "GET", path: "/rpc/hoisted",
			hdr: map[string]string{"Prefer": "timezone=Nowhere/Nothing"}, status: 400,
			wantBody: errBody("22023", `invalid value for parameter "TimeZone": "Nowhere/Nothing"`, nil, nil)},
		{name: "prefer timezone offset", cite: "T:Query/Preferences/TimezoneSpec.hs:60@v16.2", method: "GET", path: "/rpc/hoisted",
			hdr: map[string]string{"Prefer": "timezone=+05:30"}, status: 200, wantBody: `"7s +05:30"`,
			wantHdr: map[string]string{"Preference-Applied": "timezone=+05:30"}},
		{name: "delete exceeds", cite: "T:Query/Preferences/MaxAffectedSpec.hs:14@v16.2", method: "DELETE", path: "/items?id=lt.3",
			hdr: strict("1"), status: 400,
			wantBody: errBody("PGRST124", "Query result exceeds max-affected preference constraint", "The query affects 2 rows", nil)},
		{name: "rolled back", cite: "MainTx.hs@v16.2 (condemn)", method: "GET", path: "/items?select=id&id=lt.3", status: 200,
			wantBody: `[{"id":1},{"id":2}]`},
		{name: "patch exceeds", cite: "T:Query/Preferences/MaxAffectedSpec.hs:31@v16.2", method: "PATCH", path: "/items?id=eq.1",
			hdr: strict("0"), body: `{"name":"x"}`, status: 400,
			wantBody: errBody("PGRST124", "Query result exceeds max-affected preference constraint", "The query affects 1 rows", nil)},
		{name: "delete within", cite: "T:Query/Preferences/MaxAffectedSpec.hs:22@v16.2", method: "DELETE", path: "/items?id=eq.3",
			hdr: strict("1"), status: 204, wantHdr: map[string]string{"Preference-Applied": "handling=strict, max-affected=1"}},
		{name: "lenient", cite: "T:Query/Preferences/MaxAffectedSpec.hs:49@v16.2", method: "DELETE", path: "/items?id=lt.3",
			hdr: map[string]string{"Prefer": "handling=lenient, max-affected=0"}, status: 204,
			wantHdr: map[string]string{"Preference-Applied": "handling=lenient"}},
	}
}
