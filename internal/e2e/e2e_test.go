// Package e2e starts the whole native stack from a clean folder exactly as
// a user does (the stackctl binary built from this checkout, `stackctl up`),
// runs `stackctl smoke-test` and the README's curl lines with the real curl,
// stops it and checks that no process or port is left behind.
package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/internal/stack"
)

var stackctlBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "e2e-bin-")
	if err != nil {
		panic(err)
	}
	stackctlBin = filepath.Join(dir, "stackctl")
	build := exec.Command("go", "build", "-o", stackctlBin, "./cmd/stackctl")
	build.Dir = repoRoot()
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: build stackctl: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	pgtest.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

func repoRoot() string {
	d, _ := filepath.Abs("../..")
	return d
}

func TestNativeStack(t *testing.T) {
	p := newProject(t)

	st := upFromCleanFolder(t, p)
	checkStatusHealthy(t, p)
	secondUpChangesNothing(t, p, st)
	checkSmokeTest(t, p)
	// 5. the README's curl lines, with the real curl
	runDocCurl(t, p)
	checkLogs(t, p)
	downLeavesNothing(t, p, st)
	dataPersistsAcrossDownUp(t, p)
}

func upFromCleanFolder(t *testing.T, p *project) *stack.State {
	// 1. up from a clean folder: .env created, stack healthy
	out := p.mustRun(4*time.Minute, "up", "--detach")
	for _, want := range []string{"The stack is up", p.base() + "/rpc/login", "curl -i -c cookies.txt"} {
		if !strings.Contains(out, want) {
			t.Errorf("up output lacks %q:\n%s", want, out)
		}
	}
	env, err := os.ReadFile(filepath.Join(p.dir, ".env"))
	if err != nil {
		t.Fatalf("up did not create .env: %v", err)
	}
	if !regexp.MustCompile(`(?m)^JWT_SECRET=\S{40,}`).Match(env) {
		t.Errorf(".env has no generated JWT_SECRET")
	}
	secret := regexp.MustCompile(`(?m)^JWT_SECRET=["']?([^"'\s]+)`).FindSubmatch(env)
	if secret != nil && strings.Contains(out, string(secret[1])) {
		t.Errorf("up printed the JWT secret")
	}
	st := p.state()
	if st == nil || st.Status != "running" || len(st.Components) != 3 {
		t.Fatalf("state after up: %+v", st)
	}
	return st
}

func checkStatusHealthy(t *testing.T, p *project) {
	// 2. status: every component healthy
	sout := p.mustRun(time.Minute, "status", "-o", "json")
	var status struct {
		Running, Healthy bool
		Components       []stack.Health
	}
	if err := json.Unmarshal([]byte(sout), &status); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, sout)
	}
	if !status.Running || !status.Healthy || len(status.Components) != 3 {
		t.Errorf("status: %s", sout)
	}
}

func secondUpChangesNothing(t *testing.T, p *project, st *stack.State) {
	// 3. a second up says a stack runs, and changes nothing
	out2, code := p.run(time.Minute, "up", "--detach")
	if code == 0 || !strings.Contains(out2, "already running") {
		t.Errorf("second up: exit %d, output:\n%s", code, out2)
	}
	if st2 := p.state(); st2 == nil || st2.SupervisorPID != st.SupervisorPID {
		t.Errorf("second up replaced the running stack's state")
	}
}

func checkSmokeTest(t *testing.T, p *project) {
	// 4. the smoke test, all green, with a throwaway user
	smoke, code := p.run(2*time.Minute, "smoke-test", "--url", p.base(), "-o", "json")
	var rep struct {
		Passed, Failed int
		Throwaway      bool `json:"throwaway_user"`
		Results        []struct {
			Name string
			Pass bool
			Why  string
		}
	}
	if err := json.Unmarshal([]byte(smoke), &rep); err != nil {
		t.Fatalf("smoke-test -o json: %v\n%s", err, smoke)
	}
	if code != 0 || rep.Failed != 0 || rep.Passed < 12 || !rep.Throwaway {
		t.Errorf("smoke-test: exit %d, %d passed, %d failed, throwaway %v", code, rep.Passed, rep.Failed, rep.Throwaway)
		for _, r := range rep.Results {
			if !r.Pass {
				t.Errorf("  FAIL %s: %s", r.Name, r.Why)
			}
		}
	}
	if strings.Contains(smoke, "eyJ") {
		t.Errorf("smoke-test output contains a token")
	}
	text, _ := p.run(2*time.Minute, "smoke-test", "--url", p.base())
	if !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(text) || !strings.Contains(text, "PASS login\n") {
		t.Errorf("smoke-test text output:\n%s", text)
	}

	// the throwaway users are gone; the stack's database is the default of the db commands
	users := p.mustRun(time.Minute, "user", "list")
	if !strings.Contains(users, "demo") || strings.Contains(users, "smoke_") {
		t.Errorf("user list after smoke-test:\n%s", users)
	}

	// the smoke test notices a gateway that does not check tokens: pointed
	// at the API engine directly (no Caddy), the Caddy checks fail
	direct, code := p.run(2*time.Minute, "smoke-test", "--url", fmt.Sprintf("http://127.0.0.1:%d", p.api))
	if code != 1 || !strings.Contains(direct, "FAIL task without cookie (401 from Caddy)") ||
		!regexp.MustCompile(`(?m)^\d+ passed, [1-9]\d* failed$`).MatchString(direct) {
		t.Errorf("smoke-test against the engine without Caddy: exit %d\n%s", code, direct)
	}
}

func checkLogs(t *testing.T, p *project) {
	// 6. logs
	if l := p.mustRun(time.Minute, "logs", "pg"); !strings.Contains(l, "ready to accept connections") {
		t.Errorf("logs pg lacks PostgreSQL's start:\n%s", l)
	}
	p.mustRun(time.Minute, "logs", "api")
	checkLogsFollow(t, p)
	if out, code := p.run(time.Minute, "logs", "nosuch"); code == 0 || !strings.Contains(out, "unknown component") {
		t.Errorf("logs nosuch: exit %d\n%s", code, out)
	}
	if l := p.mustRun(time.Minute, "logs"); !strings.Contains(l, "caddy  |") && !strings.Contains(l, "Caddy is ready") {
		t.Errorf("combined log lacks the caddy stream:\n%s", l)
	}
}

func checkLogsFollow(t *testing.T, p *project) {
	// logs -f follows until Ctrl-C: after its first (last old) line, new requests show up
	follow := p.cmd("logs", "-f", "-n", "1", "caddy")
	fout, err := follow.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	flines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(fout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			flines <- sc.Text()
		}
		close(flines)
	}()
	<-flines // the one old line
	p.run(time.Minute, "smoke-test", "--url", p.base())
	followed := false
	for !followed {
		select {
		case l, ok := <-flines:
			if !ok {
				t.Fatal("logs -f ended by itself")
			}
			followed = strings.Contains(l, `"uri":"/rpc/login"`)
		case <-time.After(30 * time.Second):
			t.Fatal("logs -f caddy did not follow the new requests")
		}
	}
	_ = follow.Process.Signal(os.Interrupt)
	go func() {
		for range flines {
		}
	}()
	if err := follow.Wait(); err != nil {
		t.Errorf("logs -f after Ctrl-C: %v", err)
	}
}

func downLeavesNothing(t *testing.T, p *project, st *stack.State) {
	// 7. down: nothing left
	p.mustRun(2*time.Minute, "down")
	p.assertGone(st)
	if p.state() != nil {
		t.Errorf("state.json left after down")
	}
	if _, code := p.run(time.Minute, "status"); code != 3 {
		t.Errorf("status after down: exit %d, want 3", code)
	}
	if out, code := p.run(time.Minute, "smoke-test", "--url", p.base()); code != 1 || !strings.Contains(out, "nothing answers at "+p.base()) {
		t.Errorf("smoke-test with the stack down: exit %d\n%s", code, out)
	}
}

func dataPersistsAcrossDownUp(t *testing.T, p *project) {
	// 8. data persists across down/up; a new JWT_SECRET in .env (secret gen
	// --force) reaches the database too; --volumes needs --yes, then deletes it
	p.mustRun(time.Minute, "secret", "gen", "--force")
	p.mustRun(4*time.Minute, "up", "--detach", "--no-seed")
	logf, _ := os.ReadFile(stack.LogPath(filepath.Join(p.dir, ".stack"), "stack"))
	if !strings.Contains(string(logf), "the database now signs with the .env secret") {
		t.Errorf("up after secret gen --force did not sync auth.jwt_secret:\n%s", tail(string(logf)))
	}
	smoke, code := p.run(2*time.Minute, "smoke-test", "--url", p.base())
	if code != 0 {
		t.Errorf("smoke-test after restart with a new secret, without seeding:\n%s", smoke)
	}
	// the demo user seeded by the first up is still there
	login := exec.Command("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
		"-H", "Content-Profile: auth", "-H", "Content-Type: application/json",
		"--data", `{"user_": "demo", "pass": "demo"}`, p.base()+"/rpc/login")
	if code, err := login.Output(); err != nil || string(code) != "204" {
		t.Errorf("demo login after down/up: %s %v (data did not persist?)", code, err)
	}
	st := p.state()
	if out, code := p.run(time.Minute, "down", "--volumes"); code == 0 || !strings.Contains(out, "--yes") {
		t.Errorf("down --volumes without --yes: exit %d\n%s", code, out)
	}
	if !stack.Running(filepath.Join(p.dir, ".stack")) {
		t.Fatalf("down --volumes without --yes stopped the stack")
	}
	p.mustRun(2*time.Minute, "down", "--volumes", "--yes")
	p.assertGone(st)
	if _, err := os.Stat(filepath.Join(p.dir, ".stack", "pgdata")); !os.IsNotExist(err) {
		t.Errorf("down --volumes --yes left the data directory: %v", err)
	}
}
