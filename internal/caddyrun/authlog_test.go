package caddyrun_test

import (
	"os"
	"strings"
	"testing"
	"time"
)

// The project's Caddyfile leaves jwtauth's own per-request lines out of
// the log (the access log has every request); a rejected token is still
// logged, by Caddy's authentication handler, with the error and without
// the token.
func TestProjectCaddyfileAuthLogs(t *testing.T) {
	st := startProject(t, nil)
	good := sqlToken(secret, "HS256", "demo", time.Now().Add(time.Hour))
	expired := sqlToken(secret, "HS256", "demo", time.Now().Add(-time.Hour))
	if r := st.do(t, call{path: "/rest/task", cookie: "access_token=" + good}); r.status != 200 {
		t.Fatalf("valid token: %d", r.status)
	}
	if r := st.do(t, call{path: "/rest/task", cookie: "access_token=" + expired}); r.status != 401 {
		t.Fatalf("expired token: %d", r.status)
	}
	var logs string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile(st.logFile)
		if logs = string(b); strings.Contains(logs, "auth provider returned error") {
			break
		}
	}
	if !strings.Contains(logs, `"msg":"auth provider returned error"`) || !strings.Contains(logs, `not satisfied`) {
		t.Errorf("the rejected token is not logged with its error:\n%s", logs)
	}
	if strings.Contains(logs, `"logger":"http.authentication.providers.jwt"`) {
		t.Errorf("jwtauth's per-request lines reached the log:\n%s", logs)
	}
	if strings.Contains(logs, good) || strings.Contains(logs, expired) {
		t.Error("a whole token reached the log")
	}
}
