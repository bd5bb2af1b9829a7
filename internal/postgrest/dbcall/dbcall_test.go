package dbcall_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/internal/postgrest/dbcall"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const setup = `
do $$ begin
  if not exists (select from pg_roles where rolname = 'pgrsttx_anon') then
    create role pgrsttx_anon nologin;
  end if;
end $$;
create schema api;
grant usage on schema api to pgrsttx_anon;
create function api.seen() returns json language sql as $f$
  select json_build_object(
    'search_path', current_setting('search_path'),
    'role', current_user,
    'claims', current_setting('request.jwt.claims', true),
    'method', current_setting('request.method', true),
    'path', current_setting('request.path', true),
    'headers', current_setting('request.headers', true),
    'cookies', current_setting('request.cookies', true),
    'jwt_exp', current_setting('app.settings.jwt_exp', true),
    'pre', current_setting('test.pre', true),
    'readonly', current_setting('transaction_read_only'),
    'iso', current_setting('transaction_isolation'),
    'tz', current_setting('timezone'),
    'work_mem', current_setting('work_mem'))
$f$;
create function api.pre() returns void language sql as $f$ select set_config('test.pre', 'ran', true) $f$;
create table api.t (x int);
grant insert on api.t to pgrsttx_anon;
create function api.writes() returns void language sql as $f$ insert into api.t values (1) $f$;
create function api.cookies() returns void language sql as $f$
  select set_config('response.headers', '[{"Set-Cookie":"a=1; Path=/"},{"Set-Cookie":"b=2"},{"X-Test":"y"}]', true);
  select set_config('response.status', '201', true);
$f$;
create function api.cookies_then_fail() returns void language plpgsql as $f$
begin
  perform set_config('response.headers', '[{"Set-Cookie":"a=1"}]', true);
  insert into api.t values (2);
  raise sqlstate 'PT401' using message = 'nope';
end $f$;
create function api.teapot() returns void language plpgsql as $f$
begin
  raise sqlstate 'PGRST' using message = '{"code":"PT429","message":"slow down"}',
    detail = '{"status":429,"headers":{"Retry-After":"7"}}';
end $f$;
create function api.add(a int, b int) returns int language sql as $f$ select a + b $f$;
grant execute on all functions in schema api to pgrsttx_anon;
`

func TestSettingsSeenByFunction(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t, pgtest.NewDatabase(t))
	if _, err := pool.Exec(ctx, setup); err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Add("X-Forwarded-For", "1.1.1.1")
	h.Add("X-Forwarded-For", "10.0.0.9")
	h.Set("Cookie", "access_token=abc; refresh_token=r1")
	h.Set("Content-Profile", "api")
	r := dbcall.Request{
		Schema: "api", Role: "pgrsttx_anon", Method: "POST", Path: "/rpc/seen",
		Claims:       map[string]any{"sub": "demo", "role": "ignored"},
		Headers:      h,
		AppSettings:  map[string]string{"jwt_exp": "3600"},
		RoleSettings: map[string]string{"work_mem": "5MB"},
		PreRequest:   "api.pre",
		Isolation:    "repeatable read",
		Timezone:     "Etc/GMT+12",
	}
	res, err := dbcall.Call(ctx, pool, r, "api.seen", nil)
	if err != nil {
		t.Fatal(err)
	}
	var seen map[string]string
	if err := json.Unmarshal(res.JSON, &seen); err != nil {
		t.Fatalf("decode %s: %v", res.JSON, err)
	}
	want := map[string]string{
		"search_path": `"api", "public"`,
		"role":        "pgrsttx_anon",
		"claims":      `{"role":"pgrsttx_anon","sub":"demo"}`,
		"method":      "POST",
		"path":        "/rpc/seen",
		"cookies":     `{"access_token":"abc","refresh_token":"r1"}`,
		"jwt_exp":     "3600",
		"pre":         "ran",
		"readonly":    "off",
		"iso":         "repeatable read",
		"tz":          "Etc/GMT+12",
		"work_mem":    "5MB",
	}
	for k, v := range want {
		if seen[k] != v {
			t.Errorf("%s = %q, want %q", k, seen[k], v)
		}
	}
	var hdrs map[string]string
	if err := json.Unmarshal([]byte(seen["headers"]), &hdrs); err != nil {
		t.Fatal(err)
	}
	if hdrs["x-forwarded-for"] != "10.0.0.9" || hdrs["content-profile"] != "api" {
		t.Errorf("headers = %v", hdrs)
	}
	if _, ok := hdrs["cookie"]; ok {
		t.Errorf("cookie header leaked into request.headers: %v", hdrs)
	}

	// No Cookie header at all gives {}; anonymous claims are {"role":…}.
	r2 := dbcall.Request{Schema: "api", Role: "pgrsttx_anon", Method: "GET", Path: "/rpc/seen", ReadOnly: true}
	res, err = dbcall.Call(ctx, pool, r2, "api.seen", nil)
	if err != nil {
		t.Fatal(err)
	}
	seen = nil
	_ = json.Unmarshal(res.JSON, &seen)
	if seen["cookies"] != "{}" || seen["claims"] != `{"role":"pgrsttx_anon"}` || seen["readonly"] != "on" || seen["iso"] != "read committed" {
		t.Errorf("anonymous GET saw %v", seen)
	}
}

func TestReadOnlyRollbackAndHeaders(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t, pgtest.NewDatabase(t))
	if _, err := pool.Exec(ctx, setup); err != nil {
		t.Fatal(err)
	}
	base := dbcall.Request{Schema: "api", Role: "pgrsttx_anon", Method: "POST", Path: "/rpc/x"}

	ro := base
	ro.ReadOnly = true
	_, err := dbcall.Call(ctx, pool, ro, "api.writes", nil)
	if pe := dbcall.AsPgError(err); pe == nil || pe.Code != "25006" {
		t.Fatalf("READ ONLY write: err = %v, want SQLSTATE 25006", err)
	}
	if _, err := dbcall.Call(ctx, pool, base, "api.writes", nil); err != nil {
		t.Fatalf("READ WRITE write: %v", err)
	}

	res, err := dbcall.Call(ctx, pool, base, "api.cookies", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Void || res.Status != 201 || len(res.Headers) != 3 {
		t.Fatalf("cookies result = %+v", res)
	}
	if sc := res.Values("set-cookie"); len(sc) != 2 || sc[0] != "a=1; Path=/" || sc[1] != "b=2" {
		t.Errorf("Set-Cookie = %q", sc)
	}

	_, err = dbcall.Call(ctx, pool, base, "api.cookies_then_fail", nil)
	if pe := dbcall.AsPgError(err); pe == nil || pe.Code != "PT401" || pe.Message != "nope" {
		t.Fatalf("err = %v, want PT401", err)
	}
	var n int
	if err := pool.QueryRow(ctx, "select count(*) from api.t where x = 2").Scan(&n); err != nil || n != 0 {
		t.Errorf("failed call left %d rows (err %v)", n, err)
	}
	// The same connection must not carry the dropped response.headers.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	_, _ = dbcall.Call(ctx, conn, base, "api.cookies_then_fail", nil)
	var after string
	if err := conn.QueryRow(ctx, "select current_setting('response.headers', true)").Scan(&after); err != nil || after != "" {
		t.Errorf("response.headers after rollback = %q (err %v)", after, err)
	}

	_, err = dbcall.Call(ctx, pool, base, "api.teapot", nil)
	rr, ok := dbcall.AsRaisedResponse(err)
	if !ok || rr.Status != 429 || rr.Code != "PT429" || rr.Headers["Retry-After"] != "7" {
		t.Errorf("raised response = %+v ok=%v err=%v", rr, ok, err)
	}

	res, err = dbcall.Call(ctx, pool, base, "api.add", map[string]any{"a": 2, "b": 40})
	if err != nil || string(res.JSON) != "42" || res.Void {
		t.Errorf("add = %+v, %v", res, err)
	}
}

// The role's default_transaction_isolation selects the BEGIN level and is
// not sent as a setting; a function's own level wins over it.
func TestRoleIsolationSetting(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t, pgtest.NewDatabase(t))
	if _, err := pool.Exec(ctx, setup); err != nil {
		t.Fatal(err)
	}
	r := dbcall.Request{Schema: "api", Role: "pgrsttx_anon", Method: "POST", Path: "/rpc/seen",
		RoleSettings: map[string]string{"default_transaction_isolation": "serializable", "work_mem": "1MB"}}
	seen := func(r dbcall.Request) map[string]string {
		t.Helper()
		res, err := dbcall.Call(ctx, pool, r, "api.seen", nil)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(res.JSON, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := seen(r); m["iso"] != "serializable" || m["work_mem"] != "1MB" {
		t.Errorf("role level: iso %q, work_mem %q", m["iso"], m["work_mem"])
	}
	r.Isolation = "repeatable read"
	if m := seen(r); m["iso"] != "repeatable read" {
		t.Errorf("function level: iso %q", m["iso"])
	}
	r.Isolation = "sometimes"
	if _, err := dbcall.Call(ctx, pool, r, "api.seen", nil); err == nil {
		t.Error("an unknown isolation level was accepted")
	}
	if _, err := dbcall.Call(ctx, pool, dbcall.Request{Role: "pgrsttx_anon"}, "api.seen", nil); err == nil {
		t.Error("a request without a schema was accepted")
	}
}
