package postgrest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/pgtest"
)

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Error.hs NoSchemaCacheError, App.hs:155-257@v16.2: without a schema cache
// requests get 503 PGRST002 with Retry-After, but the JWT check still runs
// first.
func TestNoSchemaCache(t *testing.T) {
	cfg, err := LoadConfig(func(k string) (string, bool) {
		v, ok := map[string]string{"PGRST_JWT_SECRET": testSecret, "PGRST_DB_ANON_ROLE": "anon"}[k]
		return v, ok
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(cfg, nil)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/items")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Proxy-Status") != "PostgREST; error=PGRST002" {
		t.Fatalf("no cache: %d %v", resp.StatusCode, resp.Header)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/items", nil)
	req.Header.Set("Authorization", "Bearer a.b")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("bad token without cache: %d, want 401 (JWT runs first)", resp.StatusCode)
	}
}

// Schema cache reload on NOTIFY pgrst, 'reload schema' and on Reload (what
// SIGUSR1 calls), as PostgREST (docs references/schema_cache.rst@v16.2).
func TestSchemaReload(t *testing.T) {
	t.Parallel()
	e := newEngine(t, fixtureSQL, nil)
	pool := pgtest.NewPool(t, e.db)
	ctx := context.Background()
	if r := e.do("GET", "/fresh", nil, ""); r.status != 404 || !strings.Contains(r.body, "PGRST205") {
		t.Fatalf("before: %d %s", r.status, r.body)
	}
	if _, err := pool.Exec(ctx, `create table public.fresh (id int); grant select on public.fresh to anon;
		create table public.fresh2 (id int); grant select on public.fresh2 to anon;`); err != nil {
		t.Fatal(err)
	}
	// not reloaded by itself
	if r := e.do("GET", "/fresh", nil, ""); r.status != 404 {
		t.Fatalf("cache changed without reload: %d", r.status)
	}
	if _, err := pool.Exec(ctx, `notify pgrst, 'reload schema'`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "NOTIFY reload", func() bool { return e.do("GET", "/fresh", nil, "").status == 200 })

	if _, err := pool.Exec(ctx, `create table public.fresh3 (id int); grant select on public.fresh3 to anon;`); err != nil {
		t.Fatal(err)
	}
	e.srv.Reload()
	eventually(t, "Reload()", func() bool { return e.do("GET", "/fresh3", nil, "").status == 200 })
}

// Reconnection: while PostgreSQL is down requests get 503 (PGRST000 /
// PGRST001) with Retry-After and /ready is 503; afterwards the engine
// recovers by itself (App.hs:185, AppState/Pool.hs@v16.2).
//
// Not parallel: it stops the package's PostgreSQL.
func TestReconnect(t *testing.T) {
	e := newEngine(t, fixtureSQL, nil)
	admin := httptest.NewServer(e.srv.AdminHandler())
	defer admin.Close()
	status := func(path string) int {
		resp, err := http.Get(admin.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if r := e.do("GET", "/items?select=id&id=eq.1", nil, ""); r.status != 200 {
		t.Fatalf("before: %d %s", r.status, r.body)
	}
	if status("/live") != 200 || status("/ready") != 200 {
		t.Fatalf("admin before: live %d ready %d", status("/live"), status("/ready"))
	}
	cl := pgtest.Server(t)
	if err := cl.Stop(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	defer func() {
		if !restarted {
			_ = cl.Start(context.Background())
		}
	}()
	r := e.do("GET", "/items?select=id&id=eq.1", nil, "")
	if r.status != 503 || r.header.Get("Retry-After") == "" ||
		!(strings.Contains(r.body, `"code":"PGRST000"`) || strings.Contains(r.body, `"code":"PGRST001"`) ||
			strings.Contains(r.body, `"code":"57P01"`)) { // 57P01 (admin shutdown) reaches an idle pooled connection: 503 (Error.hs:545-597@v16.2)
		t.Fatalf("while down: %d %s %v", r.status, r.body, r.header)
	}
	// requests keep failing with 503 until PostgreSQL is back
	eventually(t, "503 PGRST000 while down", func() bool {
		r := e.do("GET", "/items?select=id&id=eq.1", nil, "")
		return r.status == 503 && strings.Contains(r.body, `"code":"PGRST000"`)
	})
	eventually(t, "/ready 503 while down", func() bool { return status("/ready") == 503 })
	if status("/live") != 200 {
		t.Fatal("/live must stay 200 while the database is down")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := cl.Start(ctx); err != nil {
		t.Fatal(err)
	}
	restarted = true
	eventually(t, "recovery", func() bool { return e.do("GET", "/items?select=id&id=eq.1", nil, "").status == 200 })
	eventually(t, "/ready 200", func() bool { return status("/ready") == 200 })

	// the LISTEN connection came back too: NOTIFY reloads again
	pool := pgtest.NewPool(t, e.db)
	if _, err := pool.Exec(context.Background(), `create table public.after_restart (id int); grant select on public.after_restart to anon`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "NOTIFY after restart", func() bool {
		_, _ = pool.Exec(context.Background(), `notify pgrst, 'reload schema'`)
		return e.do("GET", "/after_restart", nil, "").status == 200
	})
}

// In-database configuration (db-config, Config.hs:479-490 and
// Config/Database.hs:93@v16.2): ALTER ROLE authenticator SET pgrst.*
// overrides the environment after a reload; ALTER DATABASE … SET pgrst.*
// is ignored.
//
// Not parallel: it changes and resets settings of the cluster-wide
// authenticator role.
func TestInDatabaseConfig(t *testing.T) {
	e := newEngine(t, fixtureSQL, nil)
	pool := pgtest.NewPool(t, e.db)
	ctx := context.Background()
	// cluster-wide role settings: restore them for the other tests
	t.Cleanup(func() {
		pool.Exec(context.Background(), `alter role authenticator reset all`)
	})
	dbName := e.db[strings.LastIndex(e.db, "/")+1:]
	if i := strings.Index(dbName, "?"); i >= 0 {
		dbName = dbName[:i]
	}
	if _, err := pool.Exec(ctx, `alter database "`+dbName+`" set pgrst.db_anon_role = 'basic_subscriber'`); err != nil {
		t.Fatal(err)
	}
	reload(t, e)
	if r := e.do("POST", "/rpc/gucs", nil, ""); !strings.Contains(r.body, `"role":"anon"`) {
		t.Fatalf("ALTER DATABASE setting was applied: %s", r.body)
	}
	if _, err := pool.Exec(ctx, `alter role authenticator in database "`+dbName+`" set pgrst.db_anon_role = 'basic_subscriber'`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `notify pgrst, 'reload config'`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "role-level pgrst.db_anon_role", func() bool {
		return strings.Contains(e.do("POST", "/rpc/gucs", nil, "").body, `"role":"basic_subscriber"`)
	})
	// a bad in-database value keeps the previous configuration
	if _, err := pool.Exec(ctx, `alter role authenticator in database "`+dbName+`" set pgrst.jwt_secret = 'short'`); err != nil {
		t.Fatal(err)
	}
	reload(t, e)
	if r := e.do("GET", "/items?id=eq.1", bearer(t, map[string]any{"role": "anon"}), ""); r.status != 200 {
		t.Fatalf("after an invalid in-database secret: %d %s", r.status, r.body)
	}
}

// reload triggers a reload and waits until it completed.
func reload(t *testing.T, e *engine) {
	t.Helper()
	n := e.srv.Loads()
	e.srv.Reload()
	eventually(t, "reload", func() bool { return e.srv.Loads() > n })
}

// db-pool-acquisition-timeout: a request that cannot get a connection in
// time gets 504 PGRST003 (Error.hs:482@v16.2).
func TestPoolTimeout(t *testing.T) {
	t.Parallel()
	e := newEngine(t, fixtureSQL+`
create function public.slow() returns int language sql as $$ select pg_sleep(30); select 1 $$;`, func(env map[string]string) {
		env["PGRST_DB_POOL"] = "1"
		env["PGRST_DB_POOL_ACQUISITION_TIMEOUT"] = "1"
	})
	pool := pgtest.NewPool(t, e.db)
	done := make(chan result, 1)
	go func() { done <- e.do("POST", "/rpc/slow", nil, "") }()
	eventually(t, "slow() running", func() bool {
		var n int
		_ = pool.QueryRow(context.Background(), `select count(*) from pg_stat_activity where query like '%"slow"()%' and state = 'active' and pid <> pg_backend_pid()`).Scan(&n)
		return n > 0
	})
	r := e.do("GET", "/items?id=eq.1", nil, "")
	if r.status != 504 || !jsonEq(r.body, errBody("PGRST003", "Timed out acquiring connection from connection pool.", nil, nil)) {
		t.Fatalf("pool timeout: %d %s", r.status, r.body)
	}
	if _, err := pool.Exec(context.Background(), `select pg_cancel_backend(pid) from pg_stat_activity where query like '%"slow"()%' and pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.status != 500 || !strings.Contains(r.body, "57014") {
		t.Fatalf("cancelled slow(): %d %s", r.status, r.body)
	}
}
