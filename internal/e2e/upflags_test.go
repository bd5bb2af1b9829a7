package e2e

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/stack"
)

// script writes an executable shell script into a temp dir.
func script(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// login posts the demo credentials through the gateway and returns the
// response's cookies (nil unless it answered 204).
func login(t *testing.T, base string) []*http.Cookie {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/rpc/login", strings.NewReader(`{"user_": "demo", "pass": "demo"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Profile", "auth")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("login: %d, want 204", resp.StatusCode)
		return nil
	}
	return resp.Cookies()
}

func getStatus(t *testing.T, url string, cookies []*http.Cookie) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// indexOf is where each of wants first occurs in out, in order; it fails
// the test for one that is missing or out of order.
func assertInOrder(t *testing.T, out string, wants ...string) {
	t.Helper()
	at := 0
	for _, w := range wants {
		i := strings.Index(out[at:], w)
		if i < 0 {
			t.Errorf("output lacks %q after position %d (steps out of order or missing):\n%s", w, at, out)
			return
		}
		at += i + len(w)
	}
}

// TestUpExternalCaddy runs the gateway through --caddy with a wrapper
// script around `stackctl caddy` (a Caddy with the JWT module, as an
// xcaddy build with caddy-jwt is): the stack is healthy, logins work
// through it; `up --detach` prints its steps in order, --quiet only the URL.
func TestUpExternalCaddy(t *testing.T) {
	p := newProject(t)
	wrapper := script(t, "caddy", "exec "+stackctlBin+" caddy \"$@\"\n")

	out := p.mustRun(4*time.Minute, "up", "--detach", "--caddy", wrapper)
	assertInOrder(t, out, "PostgreSQL is ready", "migrated", "demo users seeded", "API engine is ready",
		"Caddy is ready", "The stack is up")
	st := p.state()
	if st == nil {
		t.Fatal("no state after up")
	}
	if cd := st.Component(stack.CompCaddy); cd == nil || !strings.HasPrefix(cd.Command, wrapper+" run ") ||
		!strings.Contains(cd.Command, "--adapter caddyfile") {
		t.Errorf("caddy component is not the --caddy binary: %+v", cd)
	}
	if s, code := p.status(); code != 0 || !s.Healthy {
		t.Errorf("status: exit %d, %+v", code, s)
	}
	if code := getStatus(t, p.base()+"/healthz", nil); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	cookies := login(t, p.base())
	if code := getStatus(t, p.base()+"/rest/task", cookies); code != http.StatusOK {
		t.Errorf("/rest/task with the login's cookies through the external Caddy: %d", code)
	}
	if code := getStatus(t, p.base()+"/rest/task", nil); code != http.StatusUnauthorized {
		t.Errorf("/rest/task without a cookie: %d, want 401", code)
	}
	p.mustRun(90*time.Second, "down")
	p.assertGone(st)

	// --quiet: nothing but the URL
	out = p.mustRun(4*time.Minute, "up", "--detach", "--quiet", "--caddy", wrapper)
	if strings.TrimSpace(out) != p.base() {
		t.Errorf("up --detach --quiet printed more than the URL:\n%s", out)
	}
	st = p.state()
	p.mustRun(90*time.Second, "down")
	p.assertGone(st)
}

// TestUpRefusesCaddyWithoutJWT: a --caddy binary without the JWT module,
// or one that is not a Caddy, is refused before anything starts.
func TestUpRefusesCaddyWithoutJWT(t *testing.T) {
	p := newProject(t)
	marker := filepath.Join(t.TempDir(), "ran")
	noJWT := script(t, "caddy-nojwt", `if [ "$1" = list-modules ]; then
  printf 'admin.api.load\nhttp.handlers.reverse_proxy\nhttp.handlers.file_server\n\n  Standard modules: 3\n'
  exit 0
fi
touch `+marker+`
sleep 60
`)
	notCaddy := script(t, "not-caddy", `[ "$1" = list-modules ] || touch `+marker+`
echo "unknown command: $1" >&2
exit 2
`)
	for _, tc := range []struct {
		bin  string
		want []string
	}{
		{noJWT, []string{stack.JWTModule, "xcaddy build --with github.com/ggicci/caddy-jwt@v1.1.1"}},
		{notCaddy, []string{"list-modules` failed", "unknown command"}},
		{filepath.Join(p.dir, "no-such-caddy"), []string{"--caddy=", "not an executable"}},
	} {
		out, code := p.run(time.Minute, "up", "--detach", "--caddy", tc.bin)
		if code != 1 {
			t.Errorf("up --caddy %s: exit %d, want 1\n%s", tc.bin, code, out)
		}
		if strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("up --caddy %s: more than a one-line error:\n%s", tc.bin, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("up --caddy %s: output lacks %q:\n%s", tc.bin, w, out)
			}
		}
		for _, f := range []string{filepath.Join(p.dir, ".env"), p.stateDir()} {
			if _, err := os.Stat(f); err == nil {
				t.Errorf("up --caddy %s started something: %s exists", tc.bin, f)
			}
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a refused --caddy binary was run as Caddy (not only list-modules)")
	}
	p.assertGone(nil)
}

// TestForegroundSIGTERM: a foreground up stopped with SIGTERM (a service
// manager, `kill`) stops everything and exits 143 (128+15).
func TestForegroundSIGTERM(t *testing.T) {
	p := newProject(t)
	cmd := p.cmd("up", "--quiet")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var st *stack.State
	deadline := time.After(4 * time.Minute)
	for st == nil || st.Status != "running" {
		select {
		case err := <-done:
			t.Fatalf("up exited before the stack was up: %v\n%s", err, stderr.String())
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatal("stack not up")
		case <-time.After(100 * time.Millisecond):
		}
		st, _ = stack.ReadState(p.stateDir())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("up did not stop after SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 143 {
		t.Errorf("up after SIGTERM: exit %d, want 143\n%s", code, stderr.String())
	}
	// --quiet in the foreground: the URL line instead of the banner
	if out := stdout.String(); !strings.Contains(out, p.base()+"\n") || strings.Contains(out, "The stack is up") {
		t.Errorf("foreground --quiet stdout:\n%s", out)
	}
	p.assertGone(st)
}

// TestUpDetachProgress: `up --detach` reports each start step on stderr as
// the supervisor completes it, in order, with elapsed times, before the banner.
func TestUpDetachProgress(t *testing.T) {
	p := newProject(t)
	c := p.cmd("up", "--detach")
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		t.Fatalf("up --detach: %v\n%s", err, stderr.String())
	}
	assertInOrder(t, stderr.String(), "creating the PostgreSQL cluster", "PostgreSQL is ready", "migrated (",
		"demo users seeded (", "API engine is ready", "Caddy is ready on "+p.base()+" (")
	if !strings.Contains(stdout.String(), "The stack is up") || strings.Contains(stdout.String(), "is ready") {
		t.Errorf("stdout is the banner only:\n%s", stdout.String())
	}
	st := p.state()
	p.mustRun(90*time.Second, "down")
	p.assertGone(st)
}
