package authdb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// reply is an HTTP answer of the engine.
type reply struct {
	status  int
	header  http.Header
	cookies map[string]string
	body    string
}

// send makes one request to the engine; bearer "" sends no Authorization.
func send(t testing.TB, c *http.Client, method, url, bearer string, hdr map[string]string, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Error(err)
		return reply{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	r := reply{status: resp.StatusCode, header: resp.Header, cookies: map[string]string{}, body: string(b)}
	for _, ck := range resp.Cookies() {
		r.cookies[ck.Name] = ck.Value
	}
	return r
}

var (
	authPost = map[string]string{"Content-Profile": "auth"}
	authGet  = map[string]string{"Accept-Profile": "auth"}
)

func errCode(body string) string {
	var e struct{ Code string }
	_ = json.Unmarshal([]byte(body), &e)
	return e.Code
}

// Over HTTP through the engine with PGRST_DB_PRE_REQUEST=auth.check_session:
// sessions, revoke_session (another user's: 404), logout with a bearer
// token as the user's role (was 42501 before 0007), and the pre-request
// refusing an ended session's token at once.
func TestHTTPSessionEndpoints(t *testing.T) {
	s := newOurs(t)
	api := serveAPI(t, s, "PGRST_DB_PRE_REQUEST="+preRequest)
	c := &http.Client{Timeout: 60 * time.Second}
	login := func(user string) map[string]string {
		r := send(t, c, "POST", api+"/rpc/login", "", map[string]string{"Content-Profile": "auth", "User-Agent": "test/" + user}, fmt.Sprintf(`{"user_": %q, "pass": %q}`, user, user))
		if r.status != 204 {
			t.Fatalf("login %s: %d %s", user, r.status, r.body)
		}
		return r.cookies
	}
	a, b, alice := login("demo"), login("demo"), login("alice")

	r := send(t, c, "GET", api+"/rpc/sessions", a["access_token"], authGet, "")
	var rows []sessionRow
	if r.status != 200 || json.Unmarshal([]byte(r.body), &rows) != nil || len(rows) != 2 {
		t.Fatalf("GET /rpc/sessions: %d %s", r.status, r.body)
	}
	current := 0
	for _, row := range rows {
		if row.Current {
			current++
			if row.ID != s.sid(t, a["access_token"]) || row.UserAgent == nil || *row.UserAgent != "test/demo" {
				t.Errorf("current session row %+v", row)
			}
		}
	}
	if current != 1 {
		t.Errorf("%d rows marked current, want 1: %s", current, r.body)
	}

	r = send(t, c, "POST", api+"/rpc/revoke_session", a["access_token"], authPost, fmt.Sprintf(`{"session_id": %q}`, s.sid(t, alice["access_token"])))
	if r.status != 404 || errCode(r.body) != "PT404" {
		t.Errorf("revoke alice's session as demo: %d %s, want 404 PT404", r.status, r.body)
	}
	if send(t, c, "GET", api+"/task", alice["access_token"], nil, "").status != 200 {
		t.Fatal("alice's session was touched")
	}
	r = send(t, c, "POST", api+"/rpc/revoke_session", a["access_token"], authPost, fmt.Sprintf(`{"session_id": %q}`, s.sid(t, b["access_token"])))
	if r.status != 204 {
		t.Fatalf("revoke own session: %d %s", r.status, r.body)
	}
	r = send(t, c, "GET", api+"/task", b["access_token"], nil, "")
	if r.status != 401 || errCode(r.body) != "PT401" {
		t.Errorf("GET /task with the revoked session's token: %d %s, want 401 PT401", r.status, r.body)
	}
	if r := send(t, c, "GET", api+"/task", a["access_token"], nil, ""); r.status != 200 {
		t.Errorf("GET /task with the live session: %d %s", r.status, r.body)
	}

	// logout with the bearer token, as basic_subscriber
	r = send(t, c, "POST", api+"/rpc/logout", a["access_token"], authPost, "")
	if r.status != 204 || len(r.header.Values("Set-Cookie")) != 2 {
		t.Fatalf("logout with a bearer token: %d %s", r.status, r.body)
	}
	if r := send(t, c, "GET", api+"/task", a["access_token"], nil, ""); r.status != 401 {
		t.Errorf("GET /task after logout: %d, want 401 at once", r.status)
	}
	// logging out again with the ended session's token still clears cookies
	if r := send(t, c, "POST", api+"/rpc/logout", a["access_token"], authPost, `{"scope": "global"}`); r.status != 204 {
		t.Errorf("second logout: %d %s", r.status, r.body)
	}
	if n := s.liveSessions(t, "alice"); n != 1 {
		t.Errorf("alice has %d sessions, want 1", n)
	}
}

// With sign-up disabled, POST /rpc/signup is answered exactly like any
// function that does not exist: PostgREST's own 404 PGRST202. Enabled, a
// new and a taken name get the same answer.
func TestHTTPSignupDisabledIsUnknownFunction(t *testing.T) {
	s := newOurs(t)
	c := &http.Client{Timeout: 60 * time.Second}
	api := serveAPI(t, s)
	signup := send(t, c, "POST", api+"/rpc/signup", "", authPost, `{"user_": "newbie", "pass": "a-long-password"}`)
	unknown := send(t, c, "POST", api+"/rpc/no_such_function", "", authPost, `{"user_": "newbie", "pass": "a-long-password"}`)
	if signup.status != 404 || errCode(signup.body) != "PGRST202" || unknown.status != 404 || errCode(unknown.body) != "PGRST202" {
		t.Fatalf("disabled signup %d %s; unknown function %d %s; want both 404 PGRST202", signup.status, signup.body, unknown.status, unknown.body)
	}
	if !strings.Contains(signup.body, "auth.signup(pass, user_)") {
		t.Errorf("the 404 does not name the function: %s", signup.body)
	}

	s.configureSignup(t, true, "basic_subscriber")
	api = serveAPI(t, s) // a fresh schema cache (stackctl migrate up sends NOTIFY pgrst)
	first := send(t, c, "POST", api+"/rpc/signup", "", authPost, `{"user_": "newbie", "pass": "a-long-password"}`)
	taken := send(t, c, "POST", api+"/rpc/signup", "", authPost, `{"user_": "Demo", "pass": "a-long-password"}`)
	for _, r := range []reply{first, taken} {
		r.header.Del("Date")
	}
	if first.status != 204 || taken.status != 204 || first.body != taken.body || fmt.Sprint(first.header) != fmt.Sprint(taken.header) {
		t.Errorf("new name: %d %v %q; taken name: %d %v %q; want the same answer", first.status, first.header, first.body, taken.status, taken.header, taken.body)
	}
	if r := send(t, c, "POST", api+"/rpc/login", "", authPost, `{"user_": "newbie", "pass": "a-long-password"}`); r.status != 204 {
		t.Errorf("login of the signed-up user: %d %s", r.status, r.body)
	}
	if r := send(t, c, "POST", api+"/rpc/signup", "", authPost, `{"user_": "other", "pass": "other"}`); r.status != 400 {
		t.Errorf("signup with a password that is the name: %d %s, want 400", r.status, r.body)
	}
}

// Racing refreshes of one refresh token over HTTP (as several tabs of one
// browser send the same cookie): within the interval all succeed and the
// session lives on; replayed after the interval, the token ends the
// session, and every access token of it is refused at once.
func TestHTTPRefreshRace(t *testing.T) {
	s := newOurs(t)
	s.app["refresh_token_reuse_interval"] = "10"
	s.cheapHashes(t)
	api := serveAPI(t, s, "PGRST_DB_PRE_REQUEST="+preRequest)
	c := &http.Client{Timeout: 60 * time.Second}
	for trial := 0; trial < 10 && !t.Failed(); trial++ {
		login := post(t, c, api+"/rpc/login", `{"user_": "demo", "pass": "demo"}`, nil)
		const tabs = 6
		answers := make([]answer, tabs)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range answers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				answers[i] = post(t, c, api+"/rpc/refresh_token", "", map[string]string{"refresh_token": login.cookies["refresh_token"]})
			}()
		}
		close(start)
		wg.Wait()
		for i, a := range answers {
			if a.status != 204 || a.cookies["access_token"] == "" {
				t.Fatalf("trial %d: refresh %d of %d racing ones: %d %s", trial, i, tabs, a.status, a.body)
			}
			if r := send(t, c, "GET", api+"/task", a.cookies["access_token"], nil, ""); r.status != 200 {
				t.Fatalf("trial %d: access token of refresh %d refused: %d", trial, i, r.status)
			}
		}
		if n := s.liveSessions(t, "demo"); n != 1 {
			t.Fatalf("trial %d: %d sessions after racing refreshes, want 1", trial, n)
		}

		s.ageUse(t, login.cookies["refresh_token"], time.Minute)
		replay := post(t, c, api+"/rpc/refresh_token", "", map[string]string{"refresh_token": login.cookies["refresh_token"]})
		if replay.status != 401 {
			t.Fatalf("trial %d: replay after the interval: %d %s, want 401", trial, replay.status, replay.body)
		}
		for i, a := range answers {
			if r := send(t, c, "GET", api+"/task", a.cookies["access_token"], nil, ""); r.status != 401 {
				t.Fatalf("trial %d: access token %d after the replay: %d, want 401", trial, i, r.status)
			}
		}
		if n := s.liveSessions(t, "demo"); n != 0 {
			t.Fatalf("trial %d: %d sessions after the replay", trial, n)
		}
	}
}

// Anything that revokes, raced over HTTP against a refresh of the session
// it ends: whenever the revocation answered 204, the session is over.
func TestHTTPRevocationRacingRefresh(t *testing.T) {
	s := newOurs(t)
	s.cheapHashes(t)
	api := serveAPI(t, s, "PGRST_DB_PRE_REQUEST="+preRequest)
	c := &http.Client{Timeout: 60 * time.Second}
	const trials = 40
	revokes := map[string]func(keep answer, victimSid string) reply{
		"revoke_session": func(keep answer, victimSid string) reply {
			return send(t, c, "POST", api+"/rpc/revoke_session", keep.cookies["access_token"], authPost,
				fmt.Sprintf(`{"session_id": %q}`, victimSid))
		},
		"logout others": func(keep answer, victimSid string) reply {
			return send(t, c, "POST", api+"/rpc/logout", keep.cookies["access_token"], authPost, `{"scope": "others"}`)
		},
		"change_password": func(keep answer, victimSid string) reply {
			return send(t, c, "POST", api+"/rpc/change_password", keep.cookies["access_token"], authPost, `{"old_pass": "demo", "new_pass": "demo-demo-demo"}`)
		},
	}
	for name, revoke := range revokes {
		t.Run(name, func(t *testing.T) {
			survived, refreshed := 0, 0
			for i := 0; i < trials && !t.Failed(); i++ {
				keep := post(t, c, api+"/rpc/login", `{"user_": "demo", "pass": "demo"}`, nil)
				victim := post(t, c, api+"/rpc/login", `{"user_": "demo", "pass": "demo"}`, nil)
				if keep.status != 204 || victim.status != 204 {
					t.Fatalf("trial %d: logins %d %s, %d %s", i, keep.status, keep.body, victim.status, victim.body)
				}
				victimSid := s.sid(t, victim.cookies["access_token"])
				var wg sync.WaitGroup
				var rev reply
				var ref answer
				start := make(chan struct{})
				wg.Add(2)
				go func() { defer wg.Done(); <-start; rev = revoke(keep, victimSid) }()
				go func() {
					defer wg.Done()
					<-start
					ref = post(t, c, api+"/rpc/refresh_token", "", map[string]string{"refresh_token": victim.cookies["refresh_token"]})
				}()
				close(start)
				wg.Wait()
				if rev.status != 204 {
					t.Fatalf("trial %d: %s answered %d %s", i, name, rev.status, rev.body)
				}
				if s.liveSessions(t, "demo") != 1 {
					survived++
				}
				if ref.status == 204 {
					refreshed++
					if r := send(t, c, "GET", api+"/task", ref.cookies["access_token"], nil, ""); r.status != 401 {
						t.Errorf("trial %d: the racing refresh's access token works after %s: %d", i, name, r.status)
					}
				}
				// clean slate: no sessions, the demo password back
				if _, err := s.super.Exec(context.Background(), "delete from auth.session"); err != nil {
					t.Fatal(err)
				}
				s.cheapHashes(t)
			}
			t.Logf("%d trials: %d racing refreshes succeeded (before the revocation), %d sessions survived", trials, refreshed, survived)
			if survived != 0 {
				t.Errorf("%d of %d victim sessions survived %s", survived, trials, name)
			}
		})
	}
}
