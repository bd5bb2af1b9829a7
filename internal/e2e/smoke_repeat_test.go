package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// The smoke test leaves no trace in the login throttle: more runs in a
// row than the per-address limit (20 failed logins per window) all pass,
// and the demo user still signs in from the same address afterwards.
func TestRepeatedSmokeTestsLockNobodyOut(t *testing.T) {
	if testing.Short() {
		t.Skip("30 smoke-test runs")
	}
	p := newProject(t)
	p.mustRun(3*time.Minute, "up", "--detach")
	for i := 1; i <= 30; i++ {
		out, code := p.run(2*time.Minute, "smoke-test", "--url", p.base())
		if code != 0 {
			t.Fatalf("smoke-test run %d: exit %d\n%s", i, code, tail(out))
		}
	}
	req, _ := http.NewRequest(http.MethodPost, p.base()+"/rpc/login", strings.NewReader(`{"user_": "demo", "pass": "demo"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Profile", "auth")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("demo/demo after 30 smoke tests: %d (Retry-After %q)", res.StatusCode, res.Header.Get("Retry-After"))
	}
}
