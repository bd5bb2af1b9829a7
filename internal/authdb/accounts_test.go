package authdb_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/postgrest/dbcall"
)

// A session is a refresh-token family: the access token names it (sid),
// GET /rpc/sessions lists the caller's live ones with where they came from
// and which is current, and a refresh stays in the same session.
func TestSessionsListAndSid(t *testing.T) {
	s := newOurs(t)
	a := s.loginFrom(t, "demo", "demo", "Browser A", "198.51.100.7")
	b := s.loginFrom(t, "demo", "demo", "Browser\x1b[31m B", "198.51.100.8")
	s.loginFrom(t, "alice", "alice", "Alice's", "198.51.100.9")
	sidA, sidB := s.sid(t, a["access_token"].Value), s.sid(t, b["access_token"].Value)
	if sidA == sidB {
		t.Fatal("two logins share a session id")
	}

	rows, err := s.sessionsOf(t, a["access_token"].Value)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("demo's sessions = %+v, want 2 (not alice's)", rows)
	}
	seen := map[string]sessionRow{}
	for _, r := range rows {
		seen[r.ID] = r
	}
	ra, rb := seen[sidA], seen[sidB]
	if !ra.Current || rb.Current {
		t.Errorf("current flags: A %v, B %v; want only A (the caller's)", ra.Current, rb.Current)
	}
	if ra.UserAgent == nil || *ra.UserAgent != "Browser A" || ra.IP == nil || *ra.IP != "198.51.100.7" {
		t.Errorf("session A: %+v", ra)
	}
	if rb.UserAgent == nil || *rb.UserAgent != "Browser[31m B" {
		t.Errorf("session B's user agent %v: want the control character dropped", rb.UserAgent)
	}
	if ra.CreatedAt.IsZero() || ra.LastUsedAt.Before(ra.CreatedAt) {
		t.Errorf("session A times: %+v", ra)
	}

	// a refresh keeps the session and moves last_used_at
	before := ra.LastUsedAt
	if _, err := s.super.Exec(context.Background(), "update auth.session set last_used_at = last_used_at - interval '1 hour' where id = $1", sidA); err != nil {
		t.Fatal(err)
	}
	a2 := s.refresh(t, a["refresh_token"].Value)
	if a2 == nil || s.sid(t, a2["access_token"].Value) != sidA {
		t.Fatalf("refresh left session %s", sidA)
	}
	rows, _ = s.sessionsOf(t, a2["access_token"].Value)
	for _, r := range rows {
		if r.ID == sidA && !r.LastUsedAt.After(before.Add(-1)) {
			t.Errorf("last_used_at after refresh %v, before %v", r.LastUsedAt, before)
		}
	}
	if len(rows) != 2 {
		t.Errorf("%d sessions after a refresh, want still 2", len(rows))
	}

	// the same list for the operator
	list, err := authdb.ListSessions(context.Background(), s.super, "demo")
	if err != nil || len(list) != 2 {
		t.Fatalf("ListSessions: %v %+v", err, list)
	}
	if _, err := authdb.ListSessions(context.Background(), s.super, "nobody"); err == nil {
		t.Error("ListSessions of an unknown user: no error")
	}
	// anonymous callers have no sessions to see
	if _, err := dbcall.Call(context.Background(), s.api, s.request("/rpc/sessions", nil, nil), "auth.sessions", nil); code(err) != "PT401" {
		t.Errorf("sessions as anon: %v, want PT401", err)
	}
}

// The pre-request function: anonymous requests and tokens without a sid
// pass; a token of an ended session, a sid that is another user's, a
// forged or malformed sid are refused (401), and it takes effect at once.
func TestCheckSessionPreRequest(t *testing.T) {
	s := newOurs(t)
	demo := s.login(t, "demo", "demo")
	alice := s.login(t, "alice", "alice")
	tok := demo["access_token"].Value
	if err := s.apiGET(t, tok); err != nil {
		t.Fatalf("live session refused: %v", err)
	}
	anon := s.request("/task", nil, nil)
	anon.Schema, anon.PreRequest = "public", preRequest
	if tx, err := dbcall.Begin(context.Background(), s.api, anon); err != nil {
		t.Errorf("anonymous request refused: %v", err)
	} else {
		tx.Rollback(context.Background())
	}

	aliceSid := s.sid(t, alice["access_token"].Value)
	for name, claims := range map[string]map[string]any{
		"another user's sid": {"role": "basic_subscriber", "sub": "demo", "sid": aliceSid},
		"random sid":         {"role": "basic_subscriber", "sub": "demo", "sid": "2f1c7a52-6f0e-4d41-9b8e-0d7c3f1e2a11"},
		"malformed sid":      {"role": "basic_subscriber", "sub": "demo", "sid": "'; select 1; --"},
		"sid without sub":    {"role": "basic_subscriber", "sid": s.sid(t, tok)},
		"numeric sid":        {"role": "basic_subscriber", "sub": "demo", "sid": 42},
	} {
		if err := s.apiGET(t, s.forge(t, claims)); code(err) != "PT401" {
			t.Errorf("%s: %v, want PT401", name, err)
		}
	}
	if err := s.apiGET(t, s.forge(t, map[string]any{"role": "basic_subscriber", "sub": "demo"})); err != nil {
		t.Errorf("a token without sid (minted with the secret) refused: %v", err)
	}

	// logout ends the session: the same token is refused at once
	if _, err := s.call(t, "logout", nil, map[string]string{"access_token": tok}); err != nil {
		t.Fatal(err)
	}
	if err := s.apiGET(t, tok); code(err) != "PT401" {
		t.Errorf("after logout: %v, want PT401", err)
	}
	if err := s.apiGET(t, alice["access_token"].Value); err != nil {
		t.Errorf("alice's session refused after demo's logout: %v", err)
	}
}

// Every way a session ends makes the pre-request refuse its access token.
func TestEveryRevocationIsImmediate(t *testing.T) {
	ctx := context.Background()
	ends := map[string]func(t *testing.T, s *stack, victim, other map[string]*http.Cookie){
		"logout": func(t *testing.T, s *stack, v, o map[string]*http.Cookie) {
			if _, err := s.call(t, "logout", nil, map[string]string{"access_token": v["access_token"].Value}); err != nil {
				t.Fatal(err)
			}
		},
		"revoke_session": func(t *testing.T, s *stack, v, o map[string]*http.Cookie) {
			if _, err := s.callAs(t, o["access_token"].Value, "revoke_session", map[string]any{"session_id": s.sid(t, v["access_token"].Value)}); err != nil {
				t.Fatal(err)
			}
		},
		"logout others": func(t *testing.T, s *stack, v, o map[string]*http.Cookie) {
			if _, err := s.callAs(t, o["access_token"].Value, "logout", map[string]any{"scope": "others"}); err != nil {
				t.Fatal(err)
			}
		},
		"change_password": func(t *testing.T, s *stack, v, o map[string]*http.Cookie) {
			if _, err := s.callAs(t, o["access_token"].Value, "change_password", map[string]any{"old_pass": "demo", "new_pass": "a-new-passphrase"}); err != nil {
				t.Fatal(err)
			}
		},
		"user passwd": func(t *testing.T, s *stack, v, o map[string]*http.Cookie) {
			if err := authdb.SetPassword(ctx, s.super, "demo", "changed"); err != nil {
				t.Fatal(err)
			}
		},
		"user revoke": func(t *testing.T, s *stack, v, o map[string]*http.Cookie) {
			if n, err := authdb.RevokeSessions(ctx, s.super, "demo", s.sid(t, v["access_token"].Value)); err != nil || n != 1 {
				t.Fatalf("RevokeSessions: %d %v", n, err)
			}
		},
		"user del": func(t *testing.T, s *stack, v, o map[string]*http.Cookie) {
			if err := authdb.DeleteUser(ctx, s.super, "demo"); err != nil {
				t.Fatal(err)
			}
		},
		"secret rotate": func(t *testing.T, s *stack, v, o map[string]*http.Cookie) {
			if _, err := authdb.RotateSecret(ctx, s.super, newSecret(t)); err != nil {
				t.Fatal(err)
			}
		},
		"refresh token reuse": func(t *testing.T, s *stack, v, o map[string]*http.Cookie) {
			if s.refresh(t, v["refresh_token"].Value) == nil {
				t.Fatal("first refresh refused")
			}
			if s.refresh(t, v["refresh_token"].Value) != nil { // interval 0 in these tests
				t.Fatal("reuse accepted")
			}
		},
	}
	for name, end := range ends {
		t.Run(name, func(t *testing.T) {
			s := newOurs(t)
			victim, other := s.login(t, "demo", "demo"), s.login(t, "demo", "demo")
			bystander := s.login(t, "alice", "alice")
			end(t, s, victim, other)
			if err := s.apiGET(t, victim["access_token"].Value); code(err) != "PT401" {
				t.Errorf("the ended session's access token: %v, want PT401", err)
			}
			if s.refresh(t, victim["refresh_token"].Value) != nil {
				t.Errorf("the ended session still refreshes")
			}
			if name != "secret rotate" {
				if err := s.apiGET(t, bystander["access_token"].Value); err != nil {
					t.Errorf("another user's session refused: %v", err)
				}
			}
		})
	}
}

// POST /rpc/revoke_session ends one of the caller's own sessions; any
// other id (another user's, ended, unknown, malformed) is 404 and changes
// nothing. Ending the current one clears the cookies.
func TestRevokeSession(t *testing.T) {
	s := newOurs(t)
	a, b := s.login(t, "demo", "demo"), s.login(t, "demo", "demo")
	alice := s.login(t, "alice", "alice")
	tokA := a["access_token"].Value

	for name, id := range map[string]any{
		"another user's": s.sid(t, alice["access_token"].Value),
		"unknown":        "2f1c7a52-6f0e-4d41-9b8e-0d7c3f1e2a11",
		"null":           nil,
	} {
		_, err := s.callAs(t, tokA, "revoke_session", map[string]any{"session_id": id})
		if pe := dbcall.AsPgError(err); pe == nil || pe.Code != "PT404" {
			t.Errorf("revoke %s session: %v, want PT404", name, err)
		}
	}
	if _, err := s.callAs(t, tokA, "revoke_session", map[string]any{"session_id": "not-a-uuid"}); code(err) != "22P02" {
		t.Errorf("malformed id: %v, want 22P02 (400)", err)
	}
	if s.liveSessions(t, "alice") != 1 || s.liveSessions(t, "demo") != 2 {
		t.Fatalf("refused revocations changed sessions: alice %d, demo %d", s.liveSessions(t, "alice"), s.liveSessions(t, "demo"))
	}

	res, err := s.callAs(t, tokA, "revoke_session", map[string]any{"session_id": s.sid(t, b["access_token"].Value)})
	if err != nil || !res.Void || len(res.Values("Set-Cookie")) != 0 {
		t.Fatalf("revoke another own session: %+v %v (no cookie should change)", res, err)
	}
	if s.liveSessions(t, "demo") != 1 || s.apiGET(t, tokA) != nil {
		t.Fatalf("after revoking B: %d sessions, A works: %v", s.liveSessions(t, "demo"), s.apiGET(t, tokA))
	}
	// revoking it again: it has ended, 404
	if _, err := s.callAs(t, tokA, "revoke_session", map[string]any{"session_id": s.sid(t, b["access_token"].Value)}); code(err) != "PT404" {
		t.Errorf("revoke an ended session: %v, want PT404", err)
	}
	// the current one: cookies cleared, session over
	res, err = s.callAs(t, tokA, "revoke_session", map[string]any{"session_id": s.sid(t, tokA)})
	if err != nil || len(res.Values("Set-Cookie")) != 2 || !strings.Contains(res.Values("Set-Cookie")[0], "Max-Age=0") {
		t.Fatalf("revoke the current session: %+v %v", res, err)
	}
	if s.liveSessions(t, "demo") != 0 || s.liveSessions(t, "alice") != 1 {
		t.Errorf("after revoking the current session: demo %d, alice %d", s.liveSessions(t, "demo"), s.liveSessions(t, "alice"))
	}
	// a token of an ended session can do nothing more
	if _, err := s.callAs(t, tokA, "revoke_session", map[string]any{"session_id": s.sid(t, alice["access_token"].Value)}); code(err) != "PT401" {
		t.Errorf("revoke with an ended session's token: %v, want PT401", err)
	}
}
