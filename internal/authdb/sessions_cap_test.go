package authdb_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// liveFamilies counts user's families with a live refresh token.
func (s *stack) liveFamilies(t testing.TB, user string) int {
	t.Helper()
	var n int
	if err := s.super.QueryRow(context.Background(), `select count(distinct family) from auth.refresh_token
		where username = $1 and used_at is null and expires_at > now()`, user).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSessionCap: a login beyond app.settings.max_sessions_per_user ends
// the user's oldest sessions; refreshing keeps a session's place.
func TestSessionCap(t *testing.T) {
	s := newOurs(t)
	s.cheapHashes(t)
	s.app["max_sessions_per_user"] = "3"
	var rts []string
	for i := 0; i < 5; i++ {
		rts = append(rts, s.login(t, "demo", "demo")["refresh_token"].Value)
	}
	s.login(t, "alice", "alice")
	if n := s.liveFamilies(t, "demo"); n != 3 {
		t.Errorf("demo has %d live sessions after 5 logins, want the cap, 3", n)
	}
	if n := s.liveFamilies(t, "alice"); n != 1 {
		t.Errorf("another user's sessions changed: alice has %d", n)
	}
	for i, rt := range rts {
		res, err := s.call(t, "refresh_token", nil, map[string]string{"refresh_token": rt})
		ended := code(err) == "PT401"
		if err != nil && !ended {
			t.Fatal(err)
		}
		if want := i < 2; ended != want {
			t.Errorf("session %d (oldest first): ended=%v, want %v", i, ended, want)
		}
		if err == nil {
			rts[i] = setCookies(t, res)["refresh_token"].Value
		}
	}
	// Refreshing does not open a session: still 3, and the oldest family
	// (session 2, refreshed just now) is the next to go.
	s.login(t, "demo", "demo")
	if n := s.liveFamilies(t, "demo"); n != 3 {
		t.Errorf("after refreshes and one more login: %d live sessions, want 3", n)
	}
	if _, err := s.call(t, "refresh_token", nil, map[string]string{"refresh_token": rts[2]}); code(err) != "PT401" {
		t.Errorf("the oldest session survived a login at the cap: %v", err)
	}
}

// TestSessionCapSettings: default 50, 0 = no cap, bad values are refused
// with a message naming the setting.
func TestSessionCapSettings(t *testing.T) {
	s := newOurs(t)
	s.cheapHashes(t)
	for i := 0; i < 52; i++ {
		s.login(t, "demo", "demo")
	}
	if n := s.liveFamilies(t, "demo"); n != 50 {
		t.Errorf("default cap: %d live sessions after 52 logins, want 50", n)
	}
	s.app["max_sessions_per_user"] = "0"
	for i := 0; i < 3; i++ {
		s.login(t, "demo", "demo")
	}
	if n := s.liveFamilies(t, "demo"); n != 53 {
		t.Errorf("max_sessions_per_user=0: %d live sessions, want 53 (no cap)", n)
	}
	for _, bad := range []string{"-1", "many", "1e3"} {
		s.app["max_sessions_per_user"] = bad
		_, err := s.call(t, "login", map[string]any{"user_": "demo", "pass": "demo"}, nil)
		if code(err) != "22023" {
			t.Errorf("max_sessions_per_user=%q: %v, want 22023 naming the setting", bad, err)
		}
	}
	if n := s.liveFamilies(t, "demo"); n != 53 {
		t.Errorf("a refused login changed the sessions: %d", n)
	}
}

// TestSessionCapConcurrentLogins: racing logins of one user never leave
// more than the cap.
func TestSessionCapConcurrentLogins(t *testing.T) {
	s := newOurs(t)
	s.cheapHashes(t)
	s.app["max_sessions_per_user"] = "3"
	// the bcrypt concurrency bound (0006) would turn racing logins away
	s.app["login_max_concurrency"] = "0"
	var wg sync.WaitGroup
	errs := make(chan error, 24)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				if _, err := s.call(t, "login", map[string]any{"user_": "demo", "pass": "demo"}, nil); err != nil {
					errs <- fmt.Errorf("login: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := s.liveFamilies(t, "demo"); n != 3 {
		t.Errorf("%d live sessions after 24 racing logins, want the cap, 3", n)
	}
}
