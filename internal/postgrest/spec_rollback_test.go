package postgrest

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const rollbackFixtureSQL = `
grant usage on schema public to anon;
create table items (id bigint primary key);
insert into items select generate_series(1, 15);
create table deferrable_unique_constraint (col int unique deferrable initially immediate);
grant select, insert, update, delete on all tables in schema public to anon;
create function search(id bigint) returns setof items language plpgsql stable as $$
begin
  return query select items.id from items where items.id = search.id;
end $$;
create function raise_constraint(deferred bool default false) returns void language plpgsql as $$
begin
  if deferred then
    set constraints all deferred;
  end if;
  insert into deferrable_unique_constraint values (1), (1);
end $$;
`

// rollbackSpec is one of RollbackSpec's configurations: which Prefer
// values apply and which mutations persist.
type rollbackSpec struct {
	name, txEnd string
	// applied is the Preference-Applied tx value for a Prefer tx value
	// ("" = no header); persists tells whether a mutation commits.
	applied  func(pref string) string
	persists func(pref string) bool
}

// TestSpecRollback replays RollbackSpec (T:RollbackSpec.hs@v16.2) for its
// three configurations, in sequence as PostgREST runs them: db-tx-end
// rollback-allow-override (PostgREST's test default), commit, rollback.
func TestSpecRollback(t *testing.T) {
	t.Parallel()
	specs := []rollbackSpec{
		{name: "allowed", txEnd: "rollback-allow-override",
			applied:  func(p string) string { return p },
			persists: func(p string) bool { return p == "commit" }},
		{name: "disallowed", txEnd: "commit",
			applied:  func(string) string { return "" },
			persists: func(string) bool { return true }},
		{name: "forced", txEnd: "rollback",
			applied:  func(string) string { return "" },
			persists: func(string) bool { return false }},
	}
	for _, s := range specs {
		t.Run(s.name, func(t *testing.T) {
			e := newEngine(t, rollbackFixtureSQL, func(env map[string]string) { env["PGRST_DB_TX_END"] = s.txEnd })
			for _, pref := range []string{"", "commit", "rollback"} {
				t.Run("tx="+pref, func(t *testing.T) { rollbackCases(t, e, s, pref) })
			}
		})
	}
}

func rollbackCases(t *testing.T, e *engine, s rollbackSpec, pref string) {
	const cite = "T:RollbackSpec.hs"
	hdr := map[string]string{"Prefer": "return=representation"}
	if pref != "" {
		hdr["Prefer"] = "return=representation\ntx=" + pref
	}
	applied := ""
	if a := s.applied(pref); a != "" {
		applied = "tx=" + a
	}
	prefApplied := func(extra string) func(t *testing.T, r result) {
		return func(t *testing.T, r result) {
			t.Helper()
			want := extra
			if applied != "" {
				want = extra + ", " + applied
			}
			if got := r.header.Get("Preference-Applied"); got != want {
				t.Errorf("Preference-Applied %q, want %q", got, want)
			}
		}
	}
	readApplied := func(t *testing.T, r result) {
		t.Helper()
		if got := r.header.Get("Preference-Applied"); got != applied {
			t.Errorf("Preference-Applied %q, want %q", got, applied)
		}
	}
	runCases(t, e, []tc{
		{name: "GET", cite: cite + ":51", method: "GET", path: "/items?id=eq.1", hdr: hdr, status: 200, wantBody: `[{"id":1}]`, check: readApplied},
		{name: "HEAD", cite: cite + ":60", method: "HEAD", path: "/items?id=eq.1", hdr: hdr, status: 200,
			wantHdr: map[string]string{"Content-Type": "application/json; charset=utf-8"}, check: readApplied},
		{name: "GET on RPC", cite: cite + ":69", method: "GET", path: "/rpc/search?id=1", hdr: hdr, status: 200, wantBody: `[{"id":1}]`, check: readApplied},
		{name: "POST on RPC", cite: cite + ":78", method: "POST", path: "/rpc/search", hdr: hdr, body: `{"id":1}`, status: 200,
			wantBody: `[{"id":1}]`, check: readApplied},
		// exceptions answer before the end of the transaction: no header
		{name: "immediate constraint", cite: cite + ":88", method: "POST", path: "/rpc/raise_constraint", hdr: hdr, status: 409,
			wantBody: `{"hint":null,"details":"Key (col)=(1) already exists.","code":"23505","message":"duplicate key value violates unique constraint \"deferrable_unique_constraint_col_key\""}`,
			wantHdr:  map[string]string{"Preference-Applied": ""}},
		{name: "deferred constraint", cite: cite + ":103", method: "POST", path: "/rpc/raise_constraint", hdr: hdr, body: `{"deferred": true}`,
			status:   409,
			wantBody: `{"hint":null,"details":"Key (col)=(1) already exists.","code":"23505","message":"duplicate key value violates unique constraint \"deferrable_unique_constraint_col_key\""}`,
			wantHdr:  map[string]string{"Preference-Applied": ""}},
	})
	rollbackMutations(t, e, s, hdr, s.persists(pref), prefApplied("return=representation"))
}

// rollbackMutations: POST, PUT, PATCH and DELETE, and whether each
// persisted (RollbackSpec.hs shouldPersistMutations and
// shouldNotPersistMutations).
func rollbackMutations(t *testing.T, e *engine, s rollbackSpec, hdr map[string]string, persist bool, applied func(*testing.T, result)) {
	const cite = "T:RollbackSpec.hs"
	commit := map[string]string{"Prefer": "tx=commit"}
	gone, kept := `[]`, `[{"id":0}]`
	want := func(b bool, yes, no string) string {
		if b {
			return yes
		}
		return no
	}
	step := func(name, method, path, body string, status int, respBody string) {
		t.Helper()
		r := e.do(method, path, hdr, body)
		if r.status != status || !jsonEq(r.body, respBody) {
			t.Fatalf("[%s] %s: %d %s", cite, name, r.status, r.body)
		}
		applied(t, r)
	}
	cleanup := func() {
		r := e.do("DELETE", "/items?id=lte.0", commit, "")
		if r.status != 204 {
			t.Fatalf("cleanup: %d %s", r.status, r.body)
		}
	}
	// a committed row 0 is removed again between the steps (PostgREST's
	// deleteItems; its tx=commit applies only where a commit is possible)
	overridable := s.txEnd == "rollback-allow-override" || s.txEnd == "commit"
	step("post", "POST", "/items", `{"id":0}`, 201, kept)
	if got := e.do("GET", "/items?id=eq.0", nil, "").body; !jsonEq(got, want(persist, kept, gone)) {
		t.Errorf("[%s:130] post persisted: %s", cite, got)
	}
	if overridable {
		cleanup()
	}
	step("put", "PUT", "/items?id=eq.0", `{"id":0}`, 201, kept)
	if got := e.do("GET", "/items?id=eq.0", nil, "").body; !jsonEq(got, want(persist, kept, gone)) {
		t.Errorf("[%s:141] put persisted: %s", cite, got)
	}
	if overridable {
		cleanup()
	}
	step("patch", "PATCH", "/items?id=eq.1", `{"id":0}`, 200, kept)
	one := e.do("GET", "/items?id=eq.1", nil, "").body
	if got := e.do("GET", "/items?id=eq.0", nil, "").body; !jsonEq(got, want(persist, kept, gone)) || !jsonEq(one, want(persist, gone, `[{"id":1}]`)) {
		t.Errorf("[%s:152] patch persisted: 0 %s, 1 %s", cite, got, one)
	}
	if persist {
		if r := e.do("PATCH", "/items?id=eq.0", commit, `{"id":1}`); r.status != 204 {
			t.Fatalf("restore: %d %s", r.status, r.body)
		}
	}
	r := e.do("DELETE", "/items?id=eq.1", hdr, "")
	if r.status != 200 || !jsonEq(r.body, `[{"id":1}]`) {
		t.Fatalf("[%s:173] delete: %d %s", cite, r.status, r.body)
	}
	applied(t, r)
	if got := e.do("GET", "/items?id=eq.1", nil, "").body; !jsonEq(got, want(persist, gone, `[{"id":1}]`)) {
		t.Errorf("[%s:181] delete persisted: %s", cite, got)
	}
	if persist {
		if r := e.do("POST", "/items", commit, `{"id":1}`); r.status != 201 {
			t.Fatalf("restore: %d %s", r.status, r.body)
		}
	}
	if overridable {
		cleanup()
	}
}

// TestRollbackConcurrent: Prefer: tx=rollback under concurrency — racing
// inserts with tx=rollback leave nothing behind while racing commits all
// land, and no connection is returned to the pool inside a transaction.
func TestRollbackConcurrent(t *testing.T) {
	t.Parallel()
	e := newEngine(t, rollbackFixtureSQL, func(env map[string]string) { env["PGRST_DB_TX_END"] = "commit-allow-override" })
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			pref := "tx=rollback"
			if i%2 == 0 {
				pref = "tx=commit"
			}
			r := e.do("POST", "/items", map[string]string{"Prefer": pref + ", return=representation"}, `{"id":`+strconv.Itoa(100+i)+`}`)
			if r.status != 201 || r.header.Get("Preference-Applied") != "return=representation, "+pref {
				errs <- r.header.Get("Preference-Applied") + " " + r.body
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	r := e.do("GET", "/items?id=gte.100&select=id", map[string]string{"Prefer": "count=exact"}, "")
	if r.header.Get("Content-Range") != "0-19/20" {
		t.Fatalf("committed rows: %s %s", r.header.Get("Content-Range"), r.body)
	}
	var rows []struct{ ID int }
	if err := json.Unmarshal([]byte(r.body), &rows); err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if row.ID%2 == 1 {
			t.Errorf("a rolled back insert persisted: %d", row.ID)
		}
	}
}

// TestRollbackInterplay: tx= with handling=strict (accepted, so never
// PGRST122, even where db-tx-end ignores it: ApiRequest/Preferences.hs
// acceptedPrefs@v16.2) and with an EXPLAIN ANALYZE plan, which runs the
// mutation inside the transaction that tx= ends (MainTx.hs actionResult
// optionalRollback).
func TestRollbackInterplay(t *testing.T) {
	t.Parallel()
	e := newEngine(t, rollbackFixtureSQL, func(env map[string]string) {
		env["PGRST_DB_TX_END"] = "commit"
		env["PGRST_DB_PLAN_ENABLED"] = "true"
	})
	r := e.do("POST", "/items", map[string]string{"Prefer": "handling=strict, tx=rollback"}, `{"id":-1}`)
	if r.status != 201 || r.header.Get("Preference-Applied") != "handling=strict" {
		t.Fatalf("strict with an ignored tx=: %d %q %s", r.status, r.header.Get("Preference-Applied"), r.body)
	}
	if r := e.do("GET", "/items?id=eq.-1", nil, ""); r.body != `[{"id":-1}]` {
		t.Fatalf("db-tx-end commit ignores tx=rollback: %s", r.body)
	}
	r = e.do("POST", "/items", map[string]string{"Prefer": "handling=strict, tx=maybe"}, `{"id":-2}`)
	if r.status != 400 || !jsonEq(r.body, errBody("PGRST122", "Invalid preferences given with handling=strict", "Invalid preferences: tx=maybe", nil)) {
		t.Fatalf("unknown tx value: %d %s", r.status, r.body)
	}

	e = newEngine(t, rollbackFixtureSQL, func(env map[string]string) {
		env["PGRST_DB_TX_END"] = "commit-allow-override"
		env["PGRST_DB_PLAN_ENABLED"] = "true"
	})
	analyze := "application/vnd.pgrst.plan+json; options=analyze"
	for _, c := range []struct {
		pref    string
		persist bool
	}{{"tx=rollback", false}, {"tx=commit", true}} {
		r := e.do("POST", "/items", map[string]string{"Prefer": c.pref, "Accept": analyze}, `{"id":-3}`)
		if r.status != 200 || !strings.Contains(r.body, "Actual Total Time") {
			t.Fatalf("%s: %d %s", c.pref, r.status, r.body)
		}
		got := e.do("GET", "/items?id=eq.-3", nil, "").body
		if (got == `[{"id":-3}]`) != c.persist {
			t.Errorf("[T:RollbackSpec.hs, PlanSpec.hs] analyze with %s: the insert persisted = %v", c.pref, got != "[]")
		}
	}
}
