package caddyrun_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authstack/authstack/internal/caddyrun"
	"github.com/authstack/authstack/internal/pgserver"
)

const projectCaddyfile = "../../caddy/Caddyfile"

// recorder is a stand-in PostgREST on 127.0.0.1 that records what reaches it.
type recorder struct {
	mu   sync.Mutex
	reqs []seen
	srv  *httptest.Server
}

type seen struct {
	Method, Path, Query string
	Authorization       []string
	BodyBytes           int64 // how much of the body reached the upstream
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		if isHealthCheck(r) {
			return
		}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Values("Authorization"), n})
		rec.mu.Unlock()
		// PostgREST answers with permissive CORS; the gateway must drop it.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("X-Upstream", "postgrest")
		fmt.Fprintf(w, "upstream %s", r.URL.Path)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) addr() string { return strings.TrimPrefix(rec.srv.URL, "http://") }

func (rec *recorder) port() string { return rec.srv.URL[strings.LastIndex(rec.srv.URL, ":")+1:] }

// isHealthCheck tells Caddy's active health checks (GET /ready, sent by
// Caddy itself) from proxied requests, which carry X-Forwarded-For.
func isHealthCheck(r *http.Request) bool {
	return r.URL.Path == "/ready" && r.Header.Get("X-Forwarded-For") == ""
}

// take returns and clears what was recorded.
func (rec *recorder) take() []seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := rec.reqs
	rec.reqs = nil
	return out
}

var (
	secret    = []byte("The 32 bytes of the stack secret")
	secretB64 = base64.StdEncoding.EncodeToString(secret)
)

// sqlToken mints a token as auth.generate_access_token does.
func sqlToken(key []byte, alg, user string, exp time.Time) string {
	enc := base64.RawURLEncoding
	h := enc.EncodeToString([]byte(`{"alg":"` + alg + `","typ":"JWT"}`))
	p, _ := json.Marshal(map[string]any{"role": "basic_subscriber", "username": user, "sub": user, "exp": exp.Unix()})
	signing := h + "." + enc.EncodeToString(p)
	if alg == "none" {
		return signing + "."
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(m.Sum(nil))
}

func freePort(t *testing.T) int {
	t.Helper()
	p, err := pgserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type stack struct {
	base    string
	api     *recorder
	admin   *recorder
	logFile string
}

// startProject loads caddy/Caddyfile unchanged, with the environment
// pointing it at recording upstreams on 127.0.0.1. Only the log sink is
// redirected to a file so the test can read it.
func startProject(t *testing.T, env map[string]string) *stack {
	t.Helper()
	st := &stack{api: newRecorder(t), admin: newRecorder(t)}
	port := freePort(t)
	demo := t.TempDir()
	if err := os.WriteFile(filepath.Join(demo, "index.html"), []byte("<h1>demo page</h1>"), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"SITE_ADDRESS":             fmt.Sprintf(":%d", port),
		"CADDY_BIND":               "127.0.0.1",
		"CADDY_ADMIN":              "off",
		"POSTGREST_UPSTREAM":       st.api.addr(),
		"POSTGREST_ADMIN_UPSTREAM": st.admin.addr(),
		// the active health checks of every engine address ask this port
		"POSTGREST_ADMIN_PORT": st.admin.port(),
		"DEMO_ROOT":            demo,
		"CORS_ALLOW_ORIGINS":   "",
		"CADDY_DEBUG":          "off",
		"JWT_SECRET":           secretB64,
	}
	for k, v := range env {
		vars[k] = v
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
	cfg, _, err := caddyrun.Adapt(projectCaddyfile)
	if err != nil {
		t.Fatal(err)
	}
	st.logFile = filepath.Join(t.TempDir(), "caddy.log")
	cfg = redirectLogs(t, cfg, st.logFile)
	if err := caddyrun.Load(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = caddyrun.Stop() })
	st.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", strings.TrimPrefix(st.base, "http://"))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("caddy is not listening on %s", st.base)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return st
}

// redirectLogs points every logger's writer (the default one and the
// site's access log) at a file, keeping the Caddyfile's encoders and
// include/exclude lists, and turns on DEBUG, the most verbose level.
func redirectLogs(t *testing.T, cfg []byte, file string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(cfg, &m); err != nil {
		t.Fatal(err)
	}
	logging, _ := m["logging"].(map[string]any)
	if logging == nil {
		logging = map[string]any{}
	}
	logs, _ := logging["logs"].(map[string]any)
	if logs == nil {
		logs = map[string]any{}
	}
	if logs["default"] == nil {
		logs["default"] = map[string]any{}
	}
	for name, l := range logs {
		l := l.(map[string]any)
		l["writer"] = map[string]any{"output": "file", "filename": file}
		l["level"] = "DEBUG"
		logs[name] = l
	}
	logging["logs"] = logs
	m["logging"] = logging
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type call struct {
	method  string
	path    string
	cookie  string
	headers map[string]string
}

type result struct {
	status int
	body   string
	header http.Header
}

var client = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (st *stack) do(t *testing.T, c call) result {
	t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	r, err := http.NewRequest(method, st.base+c.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.cookie != "" {
		r.Header.Set("Cookie", c.cookie)
	}
	for k, v := range c.headers {
		r.Header.Set(k, v)
	}
	res, err := client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return result{res.StatusCode, string(b), res.Header}
}

func TestProjectCaddyfile(t *testing.T) {
	st := startProject(t, nil)
	now := time.Now()
	valid := sqlToken(secret, "HS256", "demo", now.Add(10*time.Minute))
	expired := sqlToken(secret, "HS256", "demo", now.Add(-time.Minute))
	wrongKey := sqlToken([]byte("not the stack secret, 32 bytes!!"), "HS256", "demo", now.Add(10*time.Minute))
	forged := sqlToken(nil, "none", "admin", now.Add(10*time.Minute))

	t.Run("public routes reach PostgREST without a token", func(t *testing.T) { publicRoutes(t, st) })
	t.Run("private routes refuse bad or missing tokens", func(t *testing.T) { privateRoutesRefuse(t, st, forged, expired, wrongKey) })
	t.Run("valid cookie reaches PostgREST as exactly one Bearer header", func(t *testing.T) { validCookieBecomesBearer(t, st, valid) })
	t.Run("Authorization-only request keeps its header, no placeholder text", func(t *testing.T) { authorizationHeaderKept(t, st, valid) })
	t.Run("unknown private path is 404 after auth", func(t *testing.T) { unknownPrivatePath(t, st, valid) })
	t.Run("preflight is answered before jwtauth, without CORS grants by default", func(t *testing.T) { preflightWithoutGrants(t, st) })
	t.Run("demo page is public", func(t *testing.T) { demoPagePublic(t, st) })
	t.Run("healthz reflects PostgREST's admin /ready", func(t *testing.T) { healthzFollowsReady(t, st) })
	t.Run("no token in the logs with debugging off", func(t *testing.T) { noTokenInLogs(t, st, valid, expired, wrongKey, forged) })
}

func publicRoutes(t *testing.T, st *stack) {
	for _, p := range []string{"/rpc/login", "/rpc/logout", "/rpc/refresh_token", "/rpc/signup"} {
		res := st.do(t, call{method: "POST", path: p})
		if res.status != 200 || res.header.Get("X-Upstream") != "postgrest" {
			t.Fatalf("POST %s: status %d %q", p, res.status, res.body)
		}
		got := st.api.take()
		if len(got) != 1 || got[0].Path != p || got[0].Method != "POST" || len(got[0].Authorization) != 0 {
			t.Fatalf("POST %s reached upstream as %+v", p, got)
		}
		if v := res.header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Fatalf("upstream CORS header leaked: %q", v)
		}
	}
	res := st.do(t, call{path: "/rest/"})
	got := st.api.take()
	if res.status != 200 || len(got) != 1 || got[0].Path != "/" {
		t.Fatalf("GET /rest/: status %d, upstream saw %+v", res.status, got)
	}
}

func privateRoutesRefuse(t *testing.T, st *stack, forged, expired, wrongKey string) {
	for name, c := range map[string]call{
		"no token":          {path: "/rest/task"},
		"forged (alg none)": {path: "/rest/task", cookie: "access_token=" + forged},
		"expired":           {path: "/rest/task", cookie: "access_token=" + expired},
		"wrong key":         {path: "/rest/task", cookie: "access_token=" + wrongKey},
		"garbage":           {path: "/rpc/whoami", cookie: "access_token=Expected.3.parts.got.4"},
		"private rpc":       {method: "POST", path: "/rpc/whoami"},
		// the session endpoints need a signed-in user (migration 0007)
		"sessions":        {path: "/rpc/sessions"},
		"revoke_session":  {method: "POST", path: "/rpc/revoke_session"},
		"change_password": {method: "POST", path: "/rpc/change_password"},
	} {
		res := st.do(t, c)
		if res.status != 401 || res.body != "" {
			t.Errorf("%s: status %d body %q, want 401 with empty body", name, res.status, res.body)
		}
	}
	if got := st.api.take(); len(got) != 0 {
		t.Fatalf("refused requests reached the upstream: %+v", got)
	}
}

func validCookieBecomesBearer(t *testing.T, st *stack, valid string) {
	res := st.do(t, call{path: "/rest/task?select=id", cookie: "access_token=" + valid})
	got := st.api.take()
	if res.status != 200 || len(got) != 1 {
		t.Fatalf("status %d, upstream saw %+v", res.status, got)
	}
	if got[0].Path != "/task" || got[0].Query != "select=id" {
		t.Fatalf("/rest/task arrived as %q?%q", got[0].Path, got[0].Query)
	}
	if len(got[0].Authorization) != 1 || got[0].Authorization[0] != "Bearer "+valid {
		t.Fatalf("Authorization at upstream = %q", got[0].Authorization)
	}
	res = st.do(t, call{method: "POST", path: "/rpc/add_task", cookie: "access_token=" + valid})
	got = st.api.take()
	if res.status != 200 || len(got) != 1 || got[0].Path != "/rpc/add_task" || got[0].Authorization[0] != "Bearer "+valid {
		t.Fatalf("/rpc/add_task: status %d, upstream saw %+v", res.status, got)
	}
}

func authorizationHeaderKept(t *testing.T, st *stack, valid string) {
	res := st.do(t, call{path: "/rest/task", headers: map[string]string{"Authorization": "Bearer " + valid}})
	got := st.api.take()
	if res.status != 200 || len(got) != 1 {
		t.Fatalf("status %d, upstream saw %+v", res.status, got)
	}
	if len(got[0].Authorization) != 1 || got[0].Authorization[0] != "Bearer "+valid {
		t.Fatalf("Authorization at upstream = %q", got[0].Authorization)
	}
}

func unknownPrivatePath(t *testing.T, st *stack, valid string) {
	if res := st.do(t, call{path: "/elsewhere", cookie: "access_token=" + valid}); res.status != 404 {
		t.Fatalf("status %d", res.status)
	}
	if res := st.do(t, call{path: "/elsewhere"}); res.status != 401 {
		t.Fatalf("without token: status %d", res.status)
	}
}

func preflightWithoutGrants(t *testing.T, st *stack) {
	res := st.do(t, call{method: "OPTIONS", path: "/rest/task", headers: map[string]string{
		"Origin": "http://elsewhere.localhost:5173", "Access-Control-Request-Method": "POST",
	}})
	if res.status != 204 {
		t.Fatalf("preflight status %d", res.status)
	}
	if v := res.header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Fatalf("same-origin policy granted %q", v)
	}
	if got := st.api.take(); len(got) != 0 {
		t.Fatalf("preflight reached upstream: %+v", got)
	}
	// A plain OPTIONS (not a preflight) is still private.
	if res := st.do(t, call{method: "OPTIONS", path: "/rest/task"}); res.status != 401 {
		t.Fatalf("non-preflight OPTIONS status %d", res.status)
	}
}

func demoPagePublic(t *testing.T, st *stack) {
	res := st.do(t, call{path: "/"})
	if res.status/100 != 3 || res.header.Get("Location") != "/demo/" {
		t.Fatalf("GET /: %d Location %q", res.status, res.header.Get("Location"))
	}
	res = st.do(t, call{path: "/demo/"})
	if res.status != 200 || !strings.Contains(res.body, "demo page") {
		t.Fatalf("GET /demo/: %d %q", res.status, res.body)
	}
}

func healthzFollowsReady(t *testing.T, st *stack) {
	res := st.do(t, call{path: "/healthz"})
	got := st.admin.take()
	if res.status != 200 || len(got) != 1 || got[0].Path != "/ready" {
		t.Fatalf("up: status %d, admin saw %+v", res.status, got)
	}
	st.admin.srv.Close()
	if res := st.do(t, call{path: "/healthz"}); res.status/100 == 2 {
		t.Fatalf("down: status %d, want non-2xx", res.status)
	}
}

func noTokenInLogs(t *testing.T, st *stack, valid, expired, wrongKey, forged string) {
	b, err := os.ReadFile(st.logFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{valid, expired, wrongKey, forged} {
		if strings.Contains(string(b), tok) {
			t.Fatal("a token was written to the log")
		}
	}
	if !strings.Contains(string(b), `"Cookie":["REDACTED"]`) {
		t.Fatal("access log does not show the redacted Cookie header; is the access log on?")
	}
}

func TestProjectCaddyfileCORSAllowed(t *testing.T) {
	st := startProject(t, map[string]string{"CORS_ALLOW_ORIGINS": "http://localhost:5173 http://app.localhost:8080"})
	pre := func(origin string) result {
		return st.do(t, call{method: "OPTIONS", path: "/rest/task", headers: map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "content-type",
		}})
	}
	res := pre("http://app.localhost:8080")
	if res.status != 204 || res.header.Get("Access-Control-Allow-Origin") != "http://app.localhost:8080" ||
		res.header.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(res.header.Get("Access-Control-Allow-Methods"), "PATCH") {
		t.Fatalf("allowed preflight: %d %v", res.status, res.header)
	}
	if res := pre("http://evil.localhost"); res.status != 204 || res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("other origin: %d %v", res.status, res.header)
	}
	res = st.do(t, call{method: "POST", path: "/rpc/login", headers: map[string]string{"Origin": "http://localhost:5173"}})
	if got := res.header.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != "http://localhost:5173" {
		t.Fatalf("actual request ACAO = %q", got)
	}
}

func TestProjectCaddyfileDebugLogsCredentials(t *testing.T) {
	st := startProject(t, map[string]string{"CADDY_DEBUG": "on"})
	valid := sqlToken(secret, "HS256", "demo", time.Now().Add(10*time.Minute))
	if res := st.do(t, call{path: "/rest/task", cookie: "access_token=" + valid}); res.status != 200 {
		t.Fatalf("status %d", res.status)
	}
	b, err := os.ReadFile(st.logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), valid) {
		t.Fatal("CADDY_DEBUG=on should log credentials (the guide's debugging block)")
	}
}

func TestProjectCaddyfileSecretChecks(t *testing.T) {
	for name, tc := range map[string]struct{ value, want string }{
		"missing":    {"", "JWT_SECRET is not set or empty"},
		"not base64": {"not_base64!!", "JWT_SECRET is not valid base64"},
		"url-safe":   {"ab-_", "JWT_SECRET is not valid base64"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("JWT_SECRET", tc.value)
			t.Setenv("CADDY_ADMIN", "off")
			t.Setenv("SITE_ADDRESS", fmt.Sprintf(":%d", freePort(t)))
			t.Setenv("CADDY_BIND", "127.0.0.1")
			cfg, _, err := caddyrun.Adapt(projectCaddyfile)
			if err != nil {
				t.Fatal(err)
			}
			err = caddyrun.Load(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error %v, want %q", err, tc.want)
			}
			if tc.value != "" && strings.Contains(err.Error(), tc.value) {
				t.Fatal("the error message contains the secret value")
			}
			// The module itself refuses too, with caddy-jwt's wording.
			err = caddy.Load(cfg, true)
			if err == nil {
				_ = caddy.Stop()
				t.Fatal("caddy loaded a config with a bad JWT_SECRET")
			}
			if !strings.Contains(err.Error(), "invalid sign_key: ") {
				t.Fatalf("module error %v", err)
			}
		})
	}
}

func TestCheckSignKeysFile(t *testing.T) {
	cfg := []byte(`{"apps":{"http":{"servers":{"s":{"routes":[{"handle":[{"handler":"authentication","providers":{"jwt":{"sign_key":"{file./nonexistent/jwt.key}"}}}]}]}}}}}`)
	err := caddyrun.CheckSignKeys(cfg)
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/jwt.key") {
		t.Fatalf("error %v, want it to name the file", err)
	}
	ok := []byte(`{"apps":{"http":{"servers":{"s":{"routes":[{"handle":[{"handler":"authentication","providers":{"jwt":{"sign_key":"` + secretB64 + `"}}}]}]}}}}}`)
	if err := caddyrun.CheckSignKeys(ok); err != nil {
		t.Fatalf("literal key: %v", err)
	}
}
