package authdb_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/pgtest"
)

// Expected auth failures answer the client but write nothing to the
// PostgreSQL log (auth.deny and throttle_raise run with log_min_messages =
// fatal); a real error in the same database still is logged.
func TestExpectedAuthFailuresAreNotLogged(t *testing.T) {
	s := newOurs(t)
	s.cheapHashes(t)
	// One API connection, so that its backend's log lines can be told
	// apart from those of tests running the guide's SQL on the same server.
	s.api = pgtest.NewPool(t, pgtest.WithUser(s.url, "authenticator", "")+"&pool_max_conns=1")
	var pid int
	if err := s.api.QueryRow(context.Background(), "select pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	s.app["login_max_attempts_user"] = "2"
	if _, err := s.call(t, "refresh_token", nil, map[string]string{"refresh_token": "not-a-token"}); code(err) != "PT401" {
		t.Fatalf("bad refresh token: %v", err)
	}
	for i := 0; i < 3; i++ { // two 401s, then the throttle's 429
		if _, err := s.call(t, "login", map[string]any{"user_": "demo", "pass": "wrong"}, nil); err == nil {
			t.Fatal("wrong password accepted")
		}
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	marker := "quietlog-marker-" + hex.EncodeToString(b)
	_, _ = s.super.Exec(context.Background(), "do $$ begin raise exception '"+marker+"'; end $$")
	var log string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		log = pgtest.Server(t).Tail(2000)
		if strings.Contains(log, marker) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the marker error never reached the server log:\n%s", log)
		}
	}
	tag := fmt.Sprintf("[%d] ", pid)
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, tag) && (strings.Contains(l, "ERROR") || strings.Contains(l, "STATEMENT")) {
			t.Errorf("the server log has an expected auth failure: %s", l)
		}
	}
}
