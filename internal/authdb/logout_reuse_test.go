package authdb_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authstack/authstack/internal/postgrest/dbcall"
)

// POST /rpc/logout: no body ends the current session (not the user's
// others, as before 0007), {"scope": "others"} every other one and keeps
// the cookies, {"scope": "global"} all of them; through the cookie (anon)
// or a bearer token (the user's own role). A bad scope changes nothing.
func TestLogoutScopes(t *testing.T) {
	s := newOurs(t)
	a, b, c := s.login(t, "demo", "demo"), s.login(t, "demo", "demo"), s.login(t, "demo", "demo")
	alice := s.login(t, "alice", "alice")

	if _, err := s.callAs(t, b["access_token"].Value, "logout", map[string]any{"scope": "everywhere"}); code(err) != "22023" {
		t.Errorf("scope everywhere: %v, want 22023", err)
	}
	if n := s.liveSessions(t, "demo"); n != 3 {
		t.Fatalf("a refused logout changed the sessions: %d left", n)
	}

	// the guide's call: cookie, no body, as anon
	res, err := s.call(t, "logout", nil, map[string]string{"access_token": a["access_token"].Value})
	if err != nil || len(res.Values("Set-Cookie")) != 2 {
		t.Fatalf("logout: %+v %v", res, err)
	}
	if s.liveSessions(t, "demo") != 2 || s.apiGET(t, a["access_token"].Value) == nil || s.apiGET(t, b["access_token"].Value) != nil {
		t.Fatalf("logout without a scope ended more (or less) than the current session: %d left", s.liveSessions(t, "demo"))
	}

	// others, with a bearer token as the user's role: C ends, B stays,
	// and its cookies are left alone
	res, err = s.callAs(t, b["access_token"].Value, "logout", map[string]any{"scope": "others"})
	if err != nil || len(res.Values("Set-Cookie")) != 0 {
		t.Fatalf("logout others: %+v %v", res, err)
	}
	if s.apiGET(t, c["access_token"].Value) == nil || s.apiGET(t, b["access_token"].Value) != nil || s.liveSessions(t, "demo") != 1 {
		t.Fatalf("after logout others: %d sessions", s.liveSessions(t, "demo"))
	}

	// global, as the user's role with the bearer token
	d := s.login(t, "demo", "demo")
	res, err = s.callAs(t, b["access_token"].Value, "logout", map[string]any{"scope": "global"})
	if err != nil || len(res.Values("Set-Cookie")) != 2 {
		t.Fatalf("logout global: %+v %v", res, err)
	}
	if n := s.liveSessions(t, "demo"); n != 0 || s.apiGET(t, d["access_token"].Value) == nil {
		t.Fatalf("after logout global: %d demo sessions", n)
	}
	if s.liveSessions(t, "alice") != 1 {
		t.Fatal("demo's global logout ended alice's session")
	}
	_ = alice
}

// A token whose session has ended can log out (cookies cleared, 204) but
// ends nothing more, also with scope global: a stolen, revoked access
// token cannot sign its user out everywhere. A token without sid (issued
// before 0007) ends every session for local, and is refused for others.
func TestLogoutWithEndedOrOldToken(t *testing.T) {
	s := newOurs(t)
	a, b := s.login(t, "demo", "demo"), s.login(t, "demo", "demo")
	if _, err := s.callAs(t, b["access_token"].Value, "revoke_session", map[string]any{"session_id": s.sid(t, a["access_token"].Value)}); err != nil {
		t.Fatal(err)
	}
	// logout is exempt from the pre-request so that it can clear cookies
	res, err := s.callAs(t, a["access_token"].Value, "logout", map[string]any{"scope": "global"})
	if err != nil || len(res.Values("Set-Cookie")) != 2 {
		t.Fatalf("logout global with an ended session's token: %+v %v", res, err)
	}
	if s.liveSessions(t, "demo") != 1 {
		t.Fatal("an ended session's token signed its user out everywhere")
	}

	old := s.forge(t, map[string]any{"role": "basic_subscriber", "sub": "demo", "username": "demo"})
	if _, err := s.callAs(t, old, "logout", map[string]any{"scope": "others"}); code(err) != "22023" {
		t.Errorf("others with a token without sid: %v, want 22023", err)
	}
	if s.liveSessions(t, "demo") != 1 {
		t.Fatal("a refused logout ended sessions")
	}
	s.login(t, "demo", "demo")
	if _, err := s.call(t, "logout", nil, map[string]string{"access_token": old}); err != nil {
		t.Fatal(err)
	}
	if n := s.liveSessions(t, "demo"); n != 0 {
		t.Errorf("logout with a token without sid left %d sessions, want 0 (as before 0007)", n)
	}
}

// Within the reuse interval a spent refresh token is accepted again (two
// tabs presenting the same cookie): a new pair of the same session. After
// the interval it is reuse: the session ends, every token of it too. A
// rotation later marks the losing tab's leftover token as spent, so it
// cannot be kept for later either.
func TestRefreshReuseInterval(t *testing.T) {
	s := newOurs(t)
	s.app["refresh_token_reuse_interval"] = "10"
	login := s.login(t, "demo", "demo")
	p := login["refresh_token"].Value
	sid := s.sid(t, login["access_token"].Value)

	tab1 := s.refresh(t, p)
	tab2 := s.refresh(t, p) // the same cookie, a moment later
	if tab1 == nil || tab2 == nil {
		t.Fatalf("second presentation within the interval refused (tab1 %v, tab2 %v)", tab1 != nil, tab2 != nil)
	}
	if s.sid(t, tab2["access_token"].Value) != sid || tab2["refresh_token"].Value == tab1["refresh_token"].Value {
		t.Fatal("the grace refresh left the session or repeated a token")
	}
	for _, tab := range []map[string]*http.Cookie{tab1, tab2} {
		if err := s.apiGET(t, tab["access_token"].Value); err != nil {
			t.Fatalf("an access token of the grace refresh is refused: %v", err)
		}
	}
	if n := s.liveSessions(t, "demo"); n != 1 {
		t.Fatalf("%d sessions, want 1", n)
	}

	// tab1's token wins the next rotation, well after the interval: tab2's
	// leftover becomes spent, and presenting it later ends the session
	s.ageUse(t, p, time.Minute)
	if _, err := s.super.Exec(context.Background(), "update auth.refresh_token set created_at = created_at - interval '1 minute' where used_at is null"); err != nil {
		t.Fatal(err)
	}
	next := s.refresh(t, tab1["refresh_token"].Value)
	if next == nil {
		t.Fatal("rotation of tab1's token refused")
	}
	if s.refresh(t, p) != nil {
		t.Fatal("the parent, spent a minute ago, was accepted")
	}
	if n := s.liveSessions(t, "demo"); n != 0 {
		t.Fatalf("reuse after the interval left %d sessions", n)
	}
	for name, tok := range map[string]string{"tab2's leftover": tab2["refresh_token"].Value, "the newest": next["refresh_token"].Value} {
		if s.refresh(t, tok) != nil {
			t.Errorf("%s refresh token works after the reuse ended the session", name)
		}
	}
	if err := s.apiGET(t, next["access_token"].Value); code(err) != "PT401" {
		t.Errorf("access token after the reuse: %v, want PT401", err)
	}
}

// The leftover token of a grace refresh, once superseded by a rotation,
// is reuse when presented after the interval.
func TestGraceLeftoverIsSpentAfterRotation(t *testing.T) {
	s := newOurs(t)
	s.app["refresh_token_reuse_interval"] = "10"
	login := s.login(t, "demo", "demo")
	tab1 := s.refresh(t, login["refresh_token"].Value)
	tab2 := s.refresh(t, login["refresh_token"].Value)
	if _, err := s.super.Exec(context.Background(), "update auth.refresh_token set created_at = created_at - interval '1 minute', used_at = used_at - interval '1 minute'"); err != nil {
		t.Fatal(err)
	}
	if s.refresh(t, tab1["refresh_token"].Value) == nil {
		t.Fatal("rotation refused")
	}
	s.ageUse(t, tab2["refresh_token"].Value, time.Minute)
	if s.refresh(t, tab2["refresh_token"].Value) != nil {
		t.Fatal("the superseded leftover was accepted after the interval")
	}
	if n := s.liveSessions(t, "demo"); n != 0 {
		t.Errorf("%d sessions after presenting the superseded leftover, want 0", n)
	}
}

// Two refreshes of one token at the same moment (the second waits for the
// first's user lock): within the interval both succeed and the session
// lives on; with interval 0 the second is reuse (TestRefreshRacingRefresh).
func TestRefreshRacingRefreshWithinInterval(t *testing.T) {
	s := newOurs(t)
	s.app["refresh_token_reuse_interval"] = "10"
	ck := s.login(t, "demo", "demo")
	rt := map[string]string{"refresh_token": ck["refresh_token"].Value}
	txA, first := s.open(t, "refresh_token", rt)
	wait, blocked := s.against(t, s.api, func(ctx context.Context, c *pgxpool.Conn) error {
		res, err := dbcall.Call(ctx, c, s.request("/rpc/refresh_token", rt, nil), "auth.refresh_token", nil)
		if err == nil && (res.Status != 0 || len(res.Values("Set-Cookie")) != 2) {
			return errors.New("the second refresh of one token within the interval was refused")
		}
		return err
	})
	if !blocked {
		t.Error("the second refresh did not wait for the first")
	}
	if err := txA.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if n := s.liveSessions(t, "demo"); n != 1 {
		t.Fatalf("%d sessions after two racing refreshes, want 1", n)
	}
	if s.refresh(t, first["refresh_token"].Value) == nil {
		t.Error("the first refresh's token does not refresh")
	}
}

// The reuse interval is a number of seconds like every setting; a bad one
// is a 400, not a silent default.
func TestRefreshReuseIntervalSetting(t *testing.T) {
	s := newOurs(t)
	ck := s.login(t, "demo", "demo")
	s.app["refresh_token_reuse_interval"] = "ten"
	_, err := s.call(t, "refresh_token", nil, map[string]string{"refresh_token": ck["refresh_token"].Value})
	if pe := dbcall.AsPgError(err); pe == nil || pe.Code != "22023" || !strings.Contains(pe.Message, "refresh_token_reuse_interval") {
		t.Errorf("refresh with refresh_token_reuse_interval=ten: %v", err)
	}
	s.app["refresh_token_reuse_interval"] = "10"
	if s.refresh(t, ck["refresh_token"].Value) == nil {
		t.Error("the refused refresh spent the token")
	}
}
