package authdb_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/internal/postgrest"
)

// serveAPI starts the PostgREST-compatible engine on s's database on a
// real 127.0.0.1 listener and returns its base URL. extra are more
// NAME=value settings (e.g. PGRST_DB_PRE_REQUEST=auth.check_session).
func serveAPI(t testing.TB, s *stack, extra ...string) string {
	t.Helper()
	env := map[string]string{
		"PGRST_DB_URI":               pgtest.WithUser(s.url, "authenticator", ""),
		"PGRST_DB_SCHEMAS":           "public,auth",
		"PGRST_DB_ANON_ROLE":         "anon",
		"PGRST_JWT_SECRET":           s.secret,
		"PGRST_JWT_SECRET_IS_BASE64": "true",
		"PGRST_DB_CHANNEL_ENABLED":   "false",
		"PGRST_DB_POOL":              "8",
		"PGRST_LOG_LEVEL":            "error",
		"PGRST_SERVER_HOST":          "127.0.0.1",
	}
	for k, v := range s.app {
		env["PGRST_APP_SETTINGS_"+strings.ToUpper(k)] = v
	}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	cfg, err := postgrest.LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, environ)
	if err != nil {
		t.Fatal(err)
	}
	srv := postgrest.New(cfg, io.Discard)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, nil) }()
	t.Cleanup(func() { cancel(); <-done })
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := srv.WaitReady(wctx); err != nil {
		t.Fatalf("the engine's schema cache never loaded: %v", err)
	}
	return "http://" + ln.Addr().String()
}

type answer struct {
	status  int
	cookies map[string]string
	body    string
}

// post sends POST <api><path> with Content-Profile: auth and the cookies.
func post(t *testing.T, c *http.Client, url, body string, cookies map[string]string) answer {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return answer{}
	}
	if !strings.Contains(url, "/rpc/slow_for_test") {
		req.Header.Set("Content-Profile", "auth")
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	a := answer{status: resp.StatusCode, cookies: map[string]string{}, body: string(b)}
	for _, ck := range resp.Cookies() {
		a.cookies[ck.Name] = ck.Value
	}
	return a
}

// TestHTTPRefreshRacingLogout: over real HTTP through the engine, a refresh
// and a logout of the same session are sent at once, many times. Whenever
// logout answered 204, no refresh token of the user may be left.
func TestHTTPRefreshRacingLogout(t *testing.T) {
	const trials = 150
	s := newOurs(t)
	s.cheapHashes(t)
	api := serveAPI(t, s)
	c := &http.Client{Timeout: 60 * time.Second}
	survived, logouts, refreshed := 0, 0, 0
	for i := 0; i < trials && !t.Failed(); i++ {
		login := post(t, c, api+"/rpc/login", `{"user_": "demo", "pass": "demo"}`, nil)
		if login.status != 204 || login.cookies["refresh_token"] == "" {
			t.Fatalf("login: %d %s", login.status, login.body)
		}
		var wg sync.WaitGroup
		var ref, out answer
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			ref = post(t, c, api+"/rpc/refresh_token", "", map[string]string{"refresh_token": login.cookies["refresh_token"]})
		}()
		go func() {
			defer wg.Done()
			<-start
			out = post(t, c, api+"/rpc/logout", "", map[string]string{"access_token": login.cookies["access_token"]})
		}()
		close(start)
		wg.Wait()
		if out.status != 204 {
			t.Errorf("trial %d: logout answered %d %s", i, out.status, out.body)
			continue
		}
		logouts++
		if ref.status == 204 {
			refreshed++
		} else if ref.status != 401 {
			t.Errorf("trial %d: refresh answered %d %s", i, ref.status, ref.body)
		}
		if s.liveTokens(t, "demo") != 0 {
			survived++
			// end the surviving session so the next trial starts clean
			if _, err := s.super.Exec(context.Background(), "delete from auth.refresh_token"); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%d trials: %d logouts answered 204, %d racing refreshes succeeded, %d sessions survived", trials, logouts, refreshed, survived)
	if survived != 0 {
		t.Errorf("%d of %d sessions survived a logout that answered 204", survived, logouts)
	}
}

// TestStatementTimeout: the request roles carry statement_timeout (10s by
// default, API_STATEMENT_TIMEOUT otherwise), and a request that runs longer
// is cancelled: through the settings PostgREST applies for the impersonated
// role, and through the engine over HTTP.
func TestStatementTimeout(t *testing.T) {
	s := newOurs(t)
	ctx := context.Background()
	rolconfig := func(role string) []string {
		var cfg []string
		if err := s.super.QueryRow(ctx, "select coalesce(rolconfig, '{}') from pg_roles where rolname = $1", role).Scan(&cfg); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	for _, role := range []string{"anon", "basic_subscriber"} {
		if cfg := rolconfig(role); !contains(cfg, "statement_timeout=10s") {
			t.Errorf("%s settings = %v, want statement_timeout=10s", role, cfg)
		}
	}
	if cfg := rolconfig("authenticator"); len(cfg) != 0 {
		t.Errorf("authenticator settings = %v, want none", cfg)
	}

	// Roles are cluster-wide: a second database migrated with 150ms changes
	// them; put the default back afterwards for the other tests.
	t.Cleanup(func() {
		_, _ = s.super.Exec(ctx, "alter role anon set statement_timeout = '10s'; alter role basic_subscriber set statement_timeout = '10s'")
	})
	short := newOursVars(t, map[string]string{"API_STATEMENT_TIMEOUT": "150ms"})
	if cfg := rolconfig("anon"); !contains(cfg, "statement_timeout=150ms") {
		t.Fatalf("anon settings = %v after API_STATEMENT_TIMEOUT=150ms", cfg)
	}
	if _, err := short.super.Exec(ctx, `create function public.slow_for_test() returns int language sql as 'select 1 from pg_sleep(30)';
		grant execute on function public.slow_for_test() to anon`); err != nil {
		t.Fatal(err)
	}

	// As PostgREST v16.2 does: the role's rolconfig as transaction-local
	// settings, then SET LOCAL ROLE.
	tx, err := short.api.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	_, err = tx.Exec(ctx, `select set_config(split_part(c, '=', 1), substr(c, strpos(c, '=') + 1), true)
		from pg_roles r, unnest(r.rolconfig) c where r.rolname = 'anon'`)
	if err == nil {
		_, err = tx.Exec(ctx, "set local role anon; select pg_sleep(30)")
	}
	if code(err) != "57014" {
		t.Errorf("pg_sleep(30) as anon with its role settings: %v, want 57014 (statement timeout)", err)
	}
	_ = tx.Rollback(ctx)

	api := serveAPI(t, short)
	a := post(t, &http.Client{Timeout: 60 * time.Second}, api+"/rpc/slow_for_test", "", nil)
	var body struct{ Code string }
	_ = json.Unmarshal([]byte(a.body), &body)
	if a.status < 500 || body.Code != "57014" {
		t.Errorf("a 30 s request through the engine: %d %s, want a 57014 error", a.status, a.body)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
