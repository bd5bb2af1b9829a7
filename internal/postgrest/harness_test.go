package postgrest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authstack/authstack/internal/pgserver"
	"github.com/authstack/authstack/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const testSecret = "reallyreallyreallyreallyverysafe"

const rolesSQL = `
do $$ begin
  if not exists (select from pg_roles where rolname = 'anon') then create role anon nologin; end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then create role authenticator login noinherit; end if;
  if not exists (select from pg_roles where rolname = 'basic_subscriber') then create role basic_subscriber nologin; end if;
  if not exists (select from pg_roles where rolname = 'not_granted') then create role not_granted nologin; end if;
exception when duplicate_object or unique_violation then null;
end $$;
alter role authenticator password 'authpw';
grant anon to authenticator;
grant basic_subscriber to authenticator;
`

// clusterRoles serializes the statements that write the cluster-wide role
// catalogs (rolesSQL, the project's migrations): run at once from two
// databases, ALTER ROLE and GRANT fail with "tuple concurrently updated".
var clusterRoles sync.Mutex

// setupRoles runs rolesSQL under clusterRoles.
func setupRoles(t testing.TB, ctx context.Context, pool *pgxpool.Pool) {
	t.Helper()
	clusterRoles.Lock()
	defer clusterRoles.Unlock()
	if _, err := pool.Exec(ctx, rolesSQL); err != nil {
		t.Fatalf("roles: %v", err)
	}
}

type engine struct {
	t   testing.TB
	srv *Server
	url string
	db  string // superuser URL
}

// newEngine creates a database with the fixture, starts the engine on a
// real 127.0.0.1 listener and waits for the schema cache.
func newEngine(t testing.TB, fixture string, mod func(env map[string]string)) *engine {
	t.Helper()
	return newEngineSetup(t, func(ctx context.Context, db string, pool *pgxpool.Pool) {
		setupRoles(t, ctx, pool)
		if _, err := pool.Exec(ctx, fixture); err != nil {
			t.Fatalf("fixture: %v", err)
		}
	}, mod)
}

// newEngineSetup is newEngine with an arbitrary database setup.
func newEngineSetup(t testing.TB, setup func(ctx context.Context, db string, pool *pgxpool.Pool), mod func(env map[string]string)) *engine {
	t.Helper()
	db := pgtest.NewDatabase(t)
	pool := pgtest.NewPool(t, db)
	setup(context.Background(), db, pool)
	return startEngine(t, db, mod)
}

// sharedFixture is one database with fixtureSQL for the engines of the
// tests that leave it as they found it (newReadOnlyEngine). It is created
// on first use and lives as long as the package's PostgreSQL.
var sharedFixture struct {
	once sync.Once
	db   string // superuser URL
	err  error
}

// newReadOnlyEngine is newEngine(t, fixtureSQL, mod) on the shared fixture
// database: it saves a database and the fixture per engine (most of the
// cost of starting one). Only for tests whose requests change no row that
// another test reads: reads, writes that fail or are rolled back, inserts
// into wlog.
func newReadOnlyEngine(t testing.TB, mod func(env map[string]string)) *engine {
	t.Helper()
	sharedFixture.once.Do(func() {
		sharedFixture.err = errors.New("the package's PostgreSQL did not start")
		c := pgtest.Server(t) // fails t when it cannot start
		sharedFixture.db, sharedFixture.err = createSharedFixture(c)
	})
	if sharedFixture.err != nil {
		t.Fatalf("shared fixture: %v", sharedFixture.err)
	}
	return startEngine(t, sharedFixture.db, mod)
}

func createSharedFixture(c *pgserver.Cluster) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	name := fmt.Sprintf("t%d_shared_fixture", os.Getpid())
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "create database "+pgx.Identifier{name}.Sanitize()+" template template0"); err != nil {
		return "", err
	}
	db, err := pgx.Connect(ctx, c.URL(name))
	if err != nil {
		return "", err
	}
	defer db.Close(ctx)
	clusterRoles.Lock()
	_, err = db.Exec(ctx, rolesSQL)
	clusterRoles.Unlock()
	if err != nil {
		return "", fmt.Errorf("roles: %w", err)
	}
	if _, err := db.Exec(ctx, fixtureSQL); err != nil {
		return "", fmt.Errorf("fixture: %w", err)
	}
	return c.URL(name), nil
}

// startEngine starts an engine on db (a superuser URL) on a real 127.0.0.1
// listener and waits for the schema cache.
func startEngine(t testing.TB, db string, mod func(env map[string]string)) *engine {
	t.Helper()
	ctx := context.Background()
	env := map[string]string{
		"PGRST_DB_URI":                 pgtest.WithUser(db, "authenticator", "authpw"),
		"PGRST_DB_SCHEMAS":             "public,auth",
		"PGRST_DB_ANON_ROLE":           "anon",
		"PGRST_JWT_SECRET":             testSecret,
		"PGRST_APP_SETTINGS_JWT_EXP":   "3600",
		"PGRST_SERVER_HOST":            "127.0.0.1",
		"PGRST_DB_POOL":                "4",
		"PGRST_LOG_LEVEL":              "error",
		"PGRST_JWT_CACHE_MAX_ENTRIES":  "1000",
		"PGRST_DB_PREPARED_STATEMENTS": "true",
	}
	if mod != nil {
		mod(env)
	}
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	cfg, err := LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, environ)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	srv := New(cfg, testLogWriter{t})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(runCtx, ln, nil) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	for srv.SchemaCache() == nil || (cfg.DBChannelEnabled && !srv.Listening()) {
		if wctx.Err() != nil {
			t.Fatal("schema cache never loaded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return &engine{t: t, srv: srv, url: "http://" + ln.Addr().String(), db: db}
}

type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

type result struct {
	status int
	header http.Header
	body   string
}

func (e *engine) do(method, path string, hdr map[string]string, body string) result {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		for _, vv := range strings.Split(v, "\n") {
			req.Header.Add(k, vv)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header, string(b)}
}

func sign(t testing.TB, secret []byte, header, claims map[string]any) string {
	t.Helper()
	if header == nil {
		header = map[string]any{"alg": "HS256", "typ": "JWT"}
	}
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding
	in := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(in))
	return in + "." + enc.EncodeToString(mac.Sum(nil))
}

func tok(t testing.TB, claims map[string]any) string { return sign(t, []byte(testSecret), nil, claims) }

func bearer(t testing.TB, claims map[string]any) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok(t, claims)}
}

// jsonEq compares JSON documents semantically.
func jsonEq(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
