package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Sessions, immediate revocation, the reuse interval, change_password and
// sign-up (migrations 0007, 0008) over HTTP through Caddy on the native
// stack, with the stackctl commands.

// agent is one HTTP client with its own cookie jar (a browser, or a tab).
type agent struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (p *project) agent(t *testing.T) *agent {
	jar, _ := cookiejar.New(nil)
	return &agent{t: t, base: p.base(), c: &http.Client{Jar: jar, Timeout: time.Minute}}
}

type hres struct {
	status int
	header http.Header
	body   string
}

func (a *agent) do(method, path string, hdr map[string]string, body string) hres {
	a.t.Helper()
	req, err := http.NewRequest(method, a.base+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Errorf("%s %s: %v", method, path, err)
		return hres{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return hres{resp.StatusCode, resp.Header, string(b)}
}

var profile = map[string]string{"Content-Profile": "auth"}

func (a *agent) login(user, pass string) {
	a.t.Helper()
	if r := a.do("POST", "/rpc/login", profile, fmt.Sprintf(`{"user_": %q, "pass": %q}`, user, pass)); r.status != 204 {
		a.t.Fatalf("login %s: %d %s", user, r.status, r.body)
	}
}

func (a *agent) cookie(name string) string {
	for _, c := range a.c.Jar.Cookies(mustURL(a.base + "/rpc/refresh_token")) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// sid is the session id in the agent's access token.
func (a *agent) sid() string {
	a.t.Helper()
	parts := strings.Split(a.cookie("access_token"), ".")
	if len(parts) != 3 {
		a.t.Fatal("no access token")
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ Sid string }
	_ = json.Unmarshal(b, &c)
	return c.Sid
}

func (a *agent) tasks() hres { return a.do("GET", "/rest/task", nil, "") }

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}

func code(body string) string {
	var e struct{ Code string }
	_ = json.Unmarshal([]byte(body), &e)
	return e.Code
}

// TestSessionsThroughCaddy: the session endpoints and immediate revocation
// through the whole native stack; the operator's commands; racing
// refreshes of two tabs; sign-up turned on and off with `migrate up`.
func TestSessionsThroughCaddy(t *testing.T) {
	p := newProject(t)
	p.mustRun(time.Minute, "secret", "gen")
	p.setEnv("COOKIE_SECURE", "false") // Go's cookie jar sends no Secure cookie over http
	p.mustRun(4*time.Minute, "up", "--detach")

	a, b, alice := p.agent(t), p.agent(t), p.agent(t)
	a.login("demo", "demo")
	b.login("demo", "demo")
	alice.login("alice", "alice")

	r := a.do("GET", "/rpc/sessions", map[string]string{"Accept-Profile": "auth"}, "")
	var rows []struct {
		ID      string
		Current bool
		IP      *string
	}
	if r.status != 200 || json.Unmarshal([]byte(r.body), &rows) != nil || len(rows) != 2 {
		t.Fatalf("GET /rpc/sessions through Caddy: %d %s", r.status, r.body)
	}
	for _, row := range rows {
		if row.Current != (row.ID == a.sid()) || row.IP == nil || *row.IP == "" {
			t.Errorf("session row %+v (current should be %s; ip is the X-Forwarded-For Caddy set)", row, a.sid())
		}
	}

	// another user's session: 404, nothing ends
	if r := a.do("POST", "/rpc/revoke_session", profile, fmt.Sprintf(`{"session_id": %q}`, alice.sid())); r.status != 404 || code(r.body) != "PT404" {
		t.Errorf("revoke alice's session as demo: %d %s", r.status, r.body)
	}
	if r := alice.tasks(); r.status != 200 {
		t.Fatalf("alice's session after the refused revocation: %d", r.status)
	}
	// own other session: ended at once on /rest/*; Caddy itself still
	// accepts the token (it checks only the signature and exp), the API
	// refuses it
	if r := a.do("POST", "/rpc/revoke_session", profile, fmt.Sprintf(`{"session_id": %q}`, b.sid())); r.status != 204 {
		t.Fatalf("revoke own session: %d %s", r.status, r.body)
	}
	if r := b.tasks(); r.status != 401 || code(r.body) != "PT401" {
		t.Errorf("GET /rest/task with the revoked session: %d %q, want the API's 401 PT401 (Caddy passed the valid JWT)", r.status, r.body)
	}

	// the operator's view and revocation
	out := p.mustRun(time.Minute, "user", "sessions", "demo", "-o", "json")
	var rep struct {
		OK       bool
		Sessions []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || !rep.OK || len(rep.Sessions) != 1 || rep.Sessions[0].ID != a.sid() {
		t.Errorf("user sessions demo -o json: %v\n%s", err, out)
	}
	if out := p.mustRun(time.Minute, "user", "sessions", "demo"); !strings.Contains(out, a.sid()) || !strings.Contains(out, "127.0.0.1") {
		t.Errorf("user sessions demo:\n%s", out)
	}
	if out, code := p.run(time.Minute, "user", "revoke", "demo", "--session", alice.sid()); code == 0 || !strings.Contains(out, "no live session") {
		t.Errorf("user revoke demo --session <alice's>: exit %d\n%s", code, out)
	}
	p.mustRun(time.Minute, "user", "revoke", "demo", "--session", a.sid())
	if r := a.tasks(); r.status != 401 {
		t.Errorf("GET /rest/task after user revoke --session: %d, want 401 at once", r.status)
	}
	if r := alice.tasks(); r.status != 200 {
		t.Errorf("alice after revoking demo's session: %d", r.status)
	}

	// logout with a bearer token, as an API client does (the user's role)
	c := p.agent(t)
	c.login("demo", "demo")
	tok := c.cookie("access_token")
	bearer := p.agent(t)
	if r := bearer.do("POST", "/rpc/logout", map[string]string{"Content-Profile": "auth", "Authorization": "Bearer " + tok}, ""); r.status != 204 {
		t.Errorf("logout with a bearer token through Caddy: %d %s", r.status, r.body)
	}
	if r := c.tasks(); r.status != 401 {
		t.Errorf("the session after a bearer logout: %d, want 401", r.status)
	}

	p.mustRun(time.Minute, "user", "revoke", "alice")
	if r := alice.tasks(); r.status != 401 {
		t.Errorf("alice after user revoke alice: %d, want 401", r.status)
	}

	raceRefreshes(t, p)
	raceRevocations(t, p)
	changePassword(t, p)
	signupOnOff(t, p)
}

// raceRefreshes: six tabs of one browser send the same refresh cookie at
// once: all succeed, the session lives; the spent token replayed after
// the reuse interval ends it, and its access tokens are refused at once.
func raceRefreshes(t *testing.T, p *project) {
	first := p.agent(t)
	first.login("demo", "demo")
	shared := first.cookie("refresh_token")
	const tabs = 6
	access := make([]string, tabs)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range access {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tab := p.agent(t)
			tab.c.Jar.SetCookies(mustURL(p.base()+"/rpc/refresh_token"), []*http.Cookie{{Name: "refresh_token", Value: shared, Path: "/rpc/refresh_token"}})
			<-start
			if r := tab.do("POST", "/rpc/refresh_token", profile, ""); r.status != 204 {
				t.Errorf("racing refresh %d: %d %s", i, r.status, r.body)
				return
			}
			access[i] = tab.cookie("access_token")
		}()
	}
	close(start)
	wg.Wait()
	get := func(tok string) int {
		r := p.agent(t).do("GET", "/rest/task", map[string]string{"Cookie": "access_token=" + tok}, "")
		return r.status
	}
	for i, tok := range access {
		if tok == "" || get(tok) != 200 {
			t.Fatalf("racing refresh %d gave no working access token", i)
		}
	}
	if n, err := p.superSQL(`with u as (update auth.refresh_token set used_at = used_at - interval '1 day'
		where token = encode(public.digest('` + shared + `', 'sha256'), 'hex') and used_at is not null returning 1)
		select count(*)::text from u`); err != nil || n != "1" {
		t.Fatalf("age the spent token: %v (%s rows)", err, n)
	}
	replay := p.agent(t)
	replay.c.Jar.SetCookies(mustURL(p.base()+"/rpc/refresh_token"), []*http.Cookie{{Name: "refresh_token", Value: shared, Path: "/rpc/refresh_token"}})
	if r := replay.do("POST", "/rpc/refresh_token", profile, ""); r.status != 401 {
		t.Errorf("the spent token replayed after the interval: %d, want 401", r.status)
	}
	for i, tok := range access {
		if s := get(tok); s != 401 {
			t.Errorf("access token %d after the replay ended the session: %d, want 401", i, s)
		}
	}
}

// raceRevocations: logout everywhere raced against a refresh of another
// of the user's sessions, through Caddy; a 204 logout leaves no session.
func raceRevocations(t *testing.T, p *project) {
	survived := 0
	for i := 0; i < 20; i++ {
		keep, victim := p.agent(t), p.agent(t)
		keep.login("demo", "demo")
		victim.login("demo", "demo")
		var wg sync.WaitGroup
		var out hres
		start := make(chan struct{})
		wg.Add(2)
		go func() { defer wg.Done(); <-start; out = keep.do("POST", "/rpc/logout", profile, `{"scope": "global"}`) }()
		go func() { defer wg.Done(); <-start; victim.do("POST", "/rpc/refresh_token", profile, "") }()
		close(start)
		wg.Wait()
		if out.status != 204 {
			t.Fatalf("trial %d: logout global %d %s", i, out.status, out.body)
		}
		n, err := p.superSQL("select count(*)::text from auth.refresh_token where username = 'demo' and used_at is null")
		if err != nil {
			t.Fatal(err)
		}
		if n != "0" {
			survived++
			p.superSQL("with d as (delete from auth.session where username = 'demo' returning 1) select count(*)::text from d")
		}
	}
	if survived != 0 {
		t.Errorf("%d of 20 sessions survived a racing logout everywhere", survived)
	}
}

// changePassword through Caddy: wrong old password 403, the right one
// ends the other sessions at once and keeps this one.
func changePassword(t *testing.T, p *project) {
	me, other := p.agent(t), p.agent(t)
	me.login("demo", "demo")
	other.login("demo", "demo")
	if r := me.do("POST", "/rpc/change_password", profile, `{"old_pass": "wrong", "new_pass": "demo-is-longer"}`); r.status != 403 {
		t.Errorf("wrong old password: %d %s, want 403", r.status, r.body)
	}
	if r := me.do("POST", "/rpc/change_password", profile, `{"old_pass": "demo", "new_pass": "demo"}`); r.status != 400 {
		t.Errorf("new password = user name: %d %s, want 400", r.status, r.body)
	}
	if r := me.do("POST", "/rpc/change_password", profile, `{"old_pass": "demo", "new_pass": "demo-is-longer"}`); r.status != 204 {
		t.Fatalf("change_password: %d %s", r.status, r.body)
	}
	if r := other.tasks(); r.status != 401 {
		t.Errorf("other session after the change: %d, want 401", r.status)
	}
	if r := me.tasks(); r.status != 200 {
		t.Errorf("this session after the change: %d, want 200", r.status)
	}
	p.mustRun(time.Minute, "user", "passwd", "demo", "--password", "demo")
	p.mustRun(time.Minute, "throttle", "reset", "--all")
}

// signupOnOff: disabled, /rpc/signup is PostgREST's own 404 for a function
// that is not there; SIGNUP_ENABLED=true and `migrate up` create it while
// the stack runs (the engine reloads its schema cache on NOTIFY); a taken
// name gets the new name's answer; a role users may not have is refused.
func signupOnOff(t *testing.T, p *project) {
	anon := p.agent(t)
	body := `{"user_": "newcomer", "pass": "a-long-password"}`
	// (Caddy's route for /rpc/signup is public, like /rpc/login's)
	if off := anon.do("POST", "/rpc/signup", profile, body); off.status != 404 || code(off.body) != "PGRST202" {
		t.Fatalf("signup disabled: %d %s, want PostgREST's 404 PGRST202", off.status, off.body)
	}

	p.setEnv("SIGNUP_ROLE", "no_such_role")
	p.setEnv("SIGNUP_ENABLED", "true")
	if out, code := p.run(time.Minute, "migrate", "up"); code == 0 || !strings.Contains(out, "SIGNUP_ROLE=no_such_role") {
		t.Errorf("migrate up with SIGNUP_ROLE=no_such_role: exit %d\n%s", code, out)
	}
	p.setEnv("SIGNUP_ROLE", "basic_subscriber")
	if out := p.mustRun(time.Minute, "migrate", "up"); !strings.Contains(out, "signup: enabled") {
		t.Errorf("migrate up with SIGNUP_ENABLED=true:\n%s", out)
	}
	var first hres
	eventually(t, "the engine serves /rpc/signup after NOTIFY pgrst", func() bool {
		first = anon.do("POST", "/rpc/signup", profile, body)
		return first.status != 404
	})
	taken := anon.do("POST", "/rpc/signup", profile, `{"user_": "demo", "pass": "a-long-password"}`)
	first.header.Del("Date")
	taken.header.Del("Date")
	if first.status != 204 || taken.status != 204 || fmt.Sprint(first.header) != fmt.Sprint(taken.header) || first.body != taken.body {
		t.Errorf("signup new: %d %v %q; taken: %d %v %q; want the same", first.status, first.header, first.body, taken.status, taken.header, taken.body)
	}
	newcomer := p.agent(t)
	newcomer.login("newcomer", "a-long-password")
	if r := newcomer.tasks(); r.status != 200 {
		t.Errorf("the signed-up user's GET /rest/task: %d", r.status)
	}

	p.setEnv("SIGNUP_ENABLED", "false")
	if out := p.mustRun(time.Minute, "migrate", "up"); !strings.Contains(out, "signup: disabled") {
		t.Errorf("migrate up with SIGNUP_ENABLED=false:\n%s", out)
	}
	eventually(t, "the engine forgets /rpc/signup", func() bool {
		return anon.do("POST", "/rpc/signup", profile, body).status == 404
	})
}

// A SIGNUP_ENABLED that is not a boolean stops `up` before anything starts.
func TestSignupSettingRefusedBeforeStart(t *testing.T) {
	p := newProject(t)
	p.mustRun(time.Minute, "secret", "gen")
	p.setEnv("SIGNUP_ENABLED", "maybe")
	out, code := p.run(time.Minute, "up")
	if code == 0 || !strings.Contains(out, "SIGNUP_ENABLED") || !strings.Contains(out, "true or false") {
		t.Errorf("up with SIGNUP_ENABLED=maybe: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(p.dir, ".stack", "pgdata")); !os.IsNotExist(err) {
		t.Errorf("a refused setting still created the data directory")
	}
}
