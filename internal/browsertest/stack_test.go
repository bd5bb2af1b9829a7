package browsertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authstack/authstack/internal/pgserver"
)

// Settings of the stack the tests start. The access token lives
// accessTokenTTL seconds (JWT_EXP; short, so the expiry tests are quick, yet
// long enough that a test can check a fresh cookie before it goes away on a
// slow machine): the access_token cookie carries the same
// Max-Age, so the browser drops it after that long, the next API call goes
// out without it, Caddy answers 401 and the page refreshes. (The API engine
// accepts an expired token for 30 s of clock-skew leeway, as PostgREST does,
// and the gateway for none; the cookie's Max-Age is what decides here.)
const (
	accessTokenTTL  = 5
	refreshTokenTTL = 3600
)

// testStack is a native stack started with `stackctl up --detach` from a
// throwaway state directory and .env, on free ports.
type testStack struct {
	URL      string // http://localhost:<port>, the browser's origin for the stack
	Port     int
	DBURL    string // superuser URL of the app database
	bin      string
	envFile  string
	root     string // repository root (caddy/Caddyfile, caddy/demo)
	env      []string
	stateDir string
}

// theStack is the stack every test shares; stackctlBin the binary built
// for it.
var (
	theStack    *testStack
	stackctlBin string
)

// repoRoot finds the module root (the directory holding go.mod).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func freePort() (int, error) { return pgserver.FreePort() }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// testSettings are the token and cookie settings of the shared test stack.
var testSettings = map[string]string{
	"JWT_EXP":           strconv.Itoa(accessTokenTTL),
	"REFRESH_TOKEN_TTL": strconv.Itoa(refreshTokenTTL),
	// Plain http on localhost: the cookies can't be Secure here (see
	// docs/browser.md for what a deployment behind HTTPS uses).
	"COOKIE_SECURE":   "false",
	"COOKIE_SAMESITE": "Lax",
}

// buildStackctl builds ./cmd/stackctl into dir and returns the binary.
func buildStackctl(dir string) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "stackctl")
	build := exec.Command("go", "build", "-o", bin, "./cmd/stackctl")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/stackctl: %v\n%s", err, out)
	}
	return bin, nil
}

// startStack brings the native stack up in the background with the given
// .env settings (token and cookie options), using the stackctl binary bin.
// tmp holds the .env and the state directory.
func startStack(bin, tmp string, settings map[string]string) (*testStack, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	s := &testStack{root: root, bin: bin, envFile: filepath.Join(tmp, ".env"), stateDir: filepath.Join(tmp, "state")}

	ports := map[string]int{}
	for _, name := range []string{"STACK_PG_PORT", "POSTGREST_PORT", "POSTGREST_ADMIN_PORT", "STACK_HTTP_PORT"} {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[name] = p
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	pgPassword := randomHex(16)
	envFile := s.envFile
	var dotenv strings.Builder
	fmt.Fprintf(&dotenv, "JWT_SECRET=%s\n", base64.StdEncoding.EncodeToString(secret))
	fmt.Fprintf(&dotenv, "POSTGRES_PASSWORD=%s\nAUTHENTICATOR_PASSWORD=%s\n", pgPassword, randomHex(16))
	for name, p := range ports {
		fmt.Fprintf(&dotenv, "%s=%d\n", name, p)
	}
	for name, v := range settings {
		fmt.Fprintf(&dotenv, "%s=%s\n", name, v)
	}
	if err := os.WriteFile(envFile, []byte(dotenv.String()), 0o600); err != nil {
		return nil, err
	}

	s.Port = ports["STACK_HTTP_PORT"]
	s.URL = fmt.Sprintf("http://localhost:%d", s.Port)
	s.DBURL = fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/app?sslmode=disable", pgPassword, ports["STACK_PG_PORT"])
	// Variables already in the environment win over .env: keep the
	// caller's stack settings (ports, secrets, token and cookie options,
	// PGRST_*, CADDY_*) out of the test stack.
	s.env = stackEnv(os.Environ(), "STACK_DIR="+s.stateDir)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := s.stackctl(ctx, "--env-file", envFile, "up", "--detach"); err != nil {
		logs, _ := s.stackctl(context.Background(), "--env-file", envFile, "logs")
		s.stop()
		return nil, fmt.Errorf("stackctl up --detach: %v\n%s\n--- stackctl logs ---\n%s", err, out, logs)
	}
	return s, nil
}

// stackEnv is environ without the variables that configure the stack,
// plus extra.
func stackEnv(environ []string, extra ...string) []string {
	masked := map[string]bool{
		"DATABASE_URL": true, "JWT_SECRET": true, "POSTGRES_PASSWORD": true, "AUTHENTICATOR_PASSWORD": true,
		"POSTGRES_DB": true, "JWT_EXP": true, "REFRESH_TOKEN_TTL": true, "COOKIE_SECURE": true,
		"COOKIE_SAMESITE": true, "POSTGREST_PORT": true, "POSTGREST_ADMIN_PORT": true,
		"SITE_ADDRESS": true, "DEMO_ROOT": true, "CORS_ALLOW_ORIGINS": true,
	}
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if masked[k] || strings.HasPrefix(k, "STACK_") || strings.HasPrefix(k, "PGRST_") || strings.HasPrefix(k, "CADDY_") || strings.HasPrefix(k, "PG") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, extra...)
}

func (s *testStack) stackctl(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Dir = s.root
	cmd.Env = s.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (s *testStack) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := s.stackctl(ctx, "--env-file", s.envFile, "down"); err != nil {
		fmt.Fprintf(os.Stderr, "browsertest: stackctl down: %v\n%s\n", err, out)
	}
}

// apiClient is a plain Go HTTP client with its own cookie jar, used to
// arrange data and to check results independently of the browser.
type apiClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func (s *testStack) client(t *testing.T) *apiClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{t: t, base: s.URL, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

func (c *apiClient) do(method, path string, header http.Header, body string) (*http.Response, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// login signs in through POST /rpc/login, as the guide's curl does.
func (c *apiClient) login(user, pass string) {
	c.t.Helper()
	body, _ := json.Marshal(map[string]string{"user_": user, "pass": pass})
	res, b := c.do("POST", "/rpc/login", http.Header{"Content-Type": {"application/json"}, "Content-Profile": {"auth"}}, string(body))
	if res.StatusCode != http.StatusNoContent && res.StatusCode != http.StatusOK {
		c.t.Fatalf("login %s via the API: HTTP %d %s", user, res.StatusCode, b)
	}
}

// tasks lists GET /rest/task for the signed-in user.
func (c *apiClient) tasks() []map[string]any {
	c.t.Helper()
	res, b := c.do("GET", "/rest/task", http.Header{"Accept": {"application/json"}}, "")
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("GET /rest/task via the API: HTTP %d %s", res.StatusCode, b)
	}
	var rows []map[string]any
	if err := json.Unmarshal(b, &rows); err != nil {
		c.t.Fatalf("GET /rest/task: %v: %s", err, b)
	}
	return rows
}

// addTask inserts a task for the signed-in user with POST /rest/task.
func (c *apiClient) addTask(title string) {
	c.t.Helper()
	body, _ := json.Marshal(map[string]string{"title": title})
	res, b := c.do("POST", "/rest/task", http.Header{"Content-Type": {"application/json"}}, string(body))
	if res.StatusCode != http.StatusCreated {
		c.t.Fatalf("POST /rest/task via the API: HTTP %d %s", res.StatusCode, b)
	}
}

// refreshWith presents the given refresh token to POST /rpc/refresh_token
// (outside any jar) and returns the status code.
func (s *testStack) refreshWith(t *testing.T, token string) int {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+"/rpc/refresh_token", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Profile", "auth")
	req.AddCookie(&http.Cookie{Name: "refresh_token", Value: token})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func titles(rows []map[string]any) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(r["title"]))
	}
	return out
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// db connects to the stack's database as the superuser.
func (s *testStack) db(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// ageSpent makes a spent refresh token's use look a day old, past
// REFRESH_TOKEN_REUSE_INTERVAL (within it, presenting the token again is
// accepted on purpose: two tabs refreshing at once).
func (s *testStack) ageSpent(t *testing.T, token string) {
	t.Helper()
	tag, err := s.db(t).Exec(context.Background(), `update auth.refresh_token set used_at = used_at - interval '1 day'
		where token = encode(public.digest($1, 'sha256'), 'hex') and used_at is not null`, token)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("age the spent refresh token: %v (%d rows; not spent?)", err, tag.RowsAffected())
	}
}

// addUser creates a user of its own for a test (the shared demo users'
// sessions and passwords stay as other tests expect them).
func (s *testStack) addUser(t *testing.T, prefix string) (user, pass string) {
	t.Helper()
	user, pass = prefix+"_"+randomHex(4), "pw-"+randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := s.stackctl(ctx, "--env-file", s.envFile, "user", "add", user, "--password", pass); err != nil {
		t.Fatalf("stackctl user add: %v\n%s", err, out)
	}
	return user, pass
}
