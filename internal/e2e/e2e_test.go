// Package e2e starts the whole native stack from a clean folder exactly as
// a user does (the stackctl binary built from this checkout, `stackctl up`),
// runs `stackctl smoke-test` and the README's curl lines with the real curl,
// stops it and checks that no process or port is left behind.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/pgserver"
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

// project is a clean project folder with its own free ports.
type project struct {
	t                            testing.TB
	dir                          string
	pgPort, api, admin, httpPort int
	env                          []string
}

func newProject(t testing.TB) *project {
	t.Helper()
	dir := t.TempDir()
	// what a fresh checkout has that `stackctl up` reads from disk
	copyTree(t, filepath.Join(repoRoot(), "caddy"), filepath.Join(dir, "caddy"))
	copyFile(t, filepath.Join(repoRoot(), ".env.example"), filepath.Join(dir, ".env.example"))
	p := &project{t: t, dir: dir}
	ports := map[int]bool{}
	for _, pp := range []*int{&p.pgPort, &p.api, &p.admin, &p.httpPort} {
		for {
			n, err := pgserver.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			if !ports[n] {
				ports[n] = true
				*pp = n
				break
			}
		}
	}
	// a clean environment: nothing of the developer's stack settings leaks in
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PGRST_") || strings.HasPrefix(k, "STACK_") || strings.HasPrefix(k, "POSTGREST_") ||
			strings.HasPrefix(k, "PG") || k == "DATABASE_URL" || k == "JWT_SECRET" || strings.HasSuffix(k, "_PASSWORD") {
			continue
		}
		p.env = append(p.env, kv)
	}
	p.env = append(p.env,
		"STACK_PG_PORT="+strconv.Itoa(p.pgPort),
		"POSTGREST_PORT="+strconv.Itoa(p.api),
		"POSTGREST_ADMIN_PORT="+strconv.Itoa(p.admin),
		"STACK_HTTP_PORT="+strconv.Itoa(p.httpPort),
	)
	t.Cleanup(func() {
		// never leave a stack behind, whatever failed
		_, _ = p.run(90*time.Second, "down")
	})
	return p
}

func (p *project) base() string { return fmt.Sprintf("http://localhost:%d", p.httpPort) }

func (p *project) cmd(args ...string) *exec.Cmd {
	c := exec.Command(stackctlBin, args...)
	c.Dir, c.Env = p.dir, p.env
	return c
}

// run runs stackctl and returns its combined output and exit status.
func (p *project) run(timeout time.Duration, args ...string) (string, int) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := exec.CommandContext(ctx, stackctlBin, args...)
	c.Dir, c.Env = p.dir, p.env
	out, err := c.CombinedOutput()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return string(out), code
}

func (p *project) mustRun(timeout time.Duration, args ...string) string {
	p.t.Helper()
	out, code := p.run(timeout, args...)
	if code != 0 {
		p.t.Fatalf("stackctl %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

func (p *project) state() *stack.State {
	p.t.Helper()
	st, err := stack.ReadState(filepath.Join(p.dir, ".stack"))
	if err != nil {
		p.t.Fatal(err)
	}
	return st
}

// assertGone checks that no process of the stack and none of its ports remain.
func (p *project) assertGone(st *stack.State) {
	p.t.Helper()
	if st != nil {
		for _, pid := range append([]int{st.SupervisorPID}, pids(st)...) {
			if stack.Alive(pid) {
				p.t.Errorf("process %d is still running after down", pid)
			}
		}
	}
	// nothing running from the project folder or the test binary
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range procs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		cl := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cl, p.dir) || strings.Contains(cl, stackctlBin) {
			pid, _ := strconv.Atoi(strings.Split(f, "/")[2])
			if stack.Alive(pid) {
				p.t.Errorf("process left behind: %s (%s)", filepath.Dir(f), cl)
			}
		}
	}
	for _, port := range []int{p.pgPort, p.api, p.admin, p.httpPort} {
		if err := stack.CheckPortFree(port, "port", "test"); err != nil {
			p.t.Errorf("port %d still in use after down: %v", port, err)
		}
	}
}

func pids(st *stack.State) []int {
	var out []int
	for _, c := range st.Components {
		out = append(out, c.PID)
	}
	return out
}

func TestNativeStack(t *testing.T) {
	p := newProject(t)

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

	// 3. a second up says a stack runs, and changes nothing
	out2, code := p.run(time.Minute, "up", "--detach")
	if code == 0 || !strings.Contains(out2, "already running") {
		t.Errorf("second up: exit %d, output:\n%s", code, out2)
	}
	if st2 := p.state(); st2 == nil || st2.SupervisorPID != st.SupervisorPID {
		t.Errorf("second up replaced the running stack's state")
	}

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

	// 5. the README's curl lines, with the real curl
	runDocCurl(t, p)

	// 6. logs
	if l := p.mustRun(time.Minute, "logs", "pg"); !strings.Contains(l, "ready to accept connections") {
		t.Errorf("logs pg lacks PostgreSQL's start:\n%s", l)
	}
	p.mustRun(time.Minute, "logs", "api")
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
	if out, code := p.run(time.Minute, "logs", "nosuch"); code == 0 || !strings.Contains(out, "unknown component") {
		t.Errorf("logs nosuch: exit %d\n%s", code, out)
	}
	if l := p.mustRun(time.Minute, "logs"); !strings.Contains(l, "caddy  |") && !strings.Contains(l, "Caddy is ready") {
		t.Errorf("combined log lacks the caddy stream:\n%s", l)
	}

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

	// 8. data persists across down/up; a new JWT_SECRET in .env (secret gen
	// --force) reaches the database too; --volumes needs --yes, then deletes it
	p.mustRun(time.Minute, "secret", "gen", "--force")
	out = p.mustRun(4*time.Minute, "up", "--detach", "--no-seed")
	logf, _ := os.ReadFile(stack.LogPath(filepath.Join(p.dir, ".stack"), "stack"))
	if !strings.Contains(string(logf), "the database now signs with the .env secret") {
		t.Errorf("up after secret gen --force did not sync auth.jwt_secret:\n%s", tail(string(logf)))
	}
	smoke, code = p.run(2*time.Minute, "smoke-test", "--url", p.base())
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
	st = p.state()
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

// docCurlBlock returns the curl block of README.md: the fenced block with
// the login command.
func docCurlBlock(t *testing.T) (string, string) {
	t.Helper()
	for _, f := range []string{"README.md"} {
		b, err := os.ReadFile(filepath.Join(repoRoot(), f))
		if err != nil {
			continue
		}
		for _, blk := range regexp.MustCompile("(?s)```(?:sh|bash|shell)\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
			if strings.Contains(blk[1], "curl -i -c cookies.txt") && strings.Contains(blk[1], "/rpc/login") {
				return f, blk[1]
			}
		}
	}
	t.Fatal("README.md has no curl block (```sh with `curl -i -c cookies.txt ... /rpc/login`)")
	return "", ""
}

// commands joins `\` continuations and drops comments and blank lines.
func commands(block string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(block, "\n") {
		trim := strings.TrimSpace(line)
		if cur.Len() == 0 && (trim == "" || strings.HasPrefix(trim, "#")) {
			continue
		}
		if strings.HasSuffix(trim, "\\") {
			cur.WriteString(strings.TrimSuffix(trim, "\\") + " ")
			continue
		}
		cur.WriteString(trim)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

func runDocCurl(t *testing.T, p *project) {
	file, block := docCurlBlock(t)
	cmds := commands(block)
	if len(cmds) < 5 {
		t.Fatalf("%s: only %d commands in the curl block", file, len(cmds))
	}
	statusRe := regexp.MustCompile(`(?m)^HTTP/1\.1 (\d{3})`)
	for _, c := range cmds {
		if c == "rm -f cookies.txt" {
			if err := os.Remove(filepath.Join(p.dir, "cookies.txt")); err != nil {
				t.Errorf("%s: %s: %v", file, c, err)
			}
			continue
		}
		if !strings.HasPrefix(c, "curl ") {
			t.Errorf("%s: not a curl command: %s", file, c)
			continue
		}
		want := 0
		switch {
		case strings.Contains(c, "/rpc/login"), strings.Contains(c, "/rpc/refresh_token"), strings.Contains(c, "/rpc/logout"):
			want = 204
		case strings.Contains(c, "/rest/task") && strings.Contains(c, "-b cookies.txt"):
			want = 200
		case strings.Contains(c, "/rest/task"):
			want = 401
		}
		run := strings.ReplaceAll(c, "http://localhost:8000", p.base())
		cmd := exec.Command("bash", "-c", run)
		cmd.Dir = p.dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s: %s: %v\n%s", file, c, err, out)
			continue
		}
		m := statusRe.FindSubmatch(out)
		if m == nil {
			t.Errorf("%s: %s: no HTTP status line in the output (is -i there?)", file, c)
			continue
		}
		if got, _ := strconv.Atoi(string(m[1])); want != 0 && got != want {
			t.Errorf("%s: %s: HTTP %d, want %d\n%s", file, c, got, want, redact(out))
		}
		if strings.Contains(c, "/rpc/login") && bytes.Count(out, []byte("Set-Cookie:"))+bytes.Count(out, []byte("set-cookie:")) != 2 {
			t.Errorf("%s: login did not set two cookies:\n%s", file, redact(out))
		}
	}
	if _, err := os.Stat(filepath.Join(p.dir, "cookies.txt")); !os.IsNotExist(err) {
		t.Errorf("the curl flow leaves cookies.txt behind")
	}
}

func redact(b []byte) string {
	return regexp.MustCompile(`eyJ[\w-]*\.[\w-]*\.[\w-]*`).ReplaceAllString(string(b), "<token>")
}

func TestForegroundCtrlC(t *testing.T) {
	p := newProject(t)
	cmd := p.cmd("up")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var seen []string
	up := false
	timeout := time.After(4 * time.Minute)
	for !up {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("up exited before the stack was up:\n%s\n%s", strings.Join(seen, "\n"), stderr.String())
			}
			seen = append(seen, l)
			up = strings.Contains(l, "Press Ctrl-C")
		case <-timeout:
			_ = cmd.Process.Kill()
			t.Fatalf("stack not up:\n%s", strings.Join(seen, "\n"))
		}
	}
	all := strings.Join(seen, "\n")
	for _, prefix := range []string{"pg     | ", "caddy  | ", "stack  | "} {
		if !strings.Contains(all, prefix) {
			t.Errorf("foreground stream has no %q lines:\n%s", prefix, all)
		}
	}
	st := p.state()
	if st == nil || st.Detached {
		t.Fatalf("state of the foreground stack: %+v", st)
	}
	// status works against a foreground stack too
	if out, code := p.run(time.Minute, "status"); code != 0 {
		t.Errorf("status: exit %d\n%s", code, out)
	}
	// Ctrl-C
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range lines {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		// stopped by SIGINT: 128+2, as a shell reports it
		if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.Contains(stderr.String(), "stack stopped") {
			t.Errorf("up after Ctrl-C: %v (exit %d, want 130)\n%s", err, code, stderr.String())
		}
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("up did not stop after Ctrl-C")
	}
	p.assertGone(st)
}

func TestComponentDiesAndPortTaken(t *testing.T) {
	p := newProject(t)

	// a port taken by another program is named, and nothing is started
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.httpPort)))
	if err != nil {
		t.Fatal(err)
	}
	out, code := p.run(4*time.Minute, "up", "--detach")
	ln.Close()
	if code == 0 || !strings.Contains(out, strconv.Itoa(p.httpPort)) || !strings.Contains(out, "STACK_HTTP_PORT") {
		t.Errorf("up with the HTTP port taken: exit %d\n%s", code, out)
	}
	p.assertGone(nil)

	// with --restart no, a component that dies takes the stack down, saying which and why
	p.mustRun(4*time.Minute, "up", "--detach", "--restart", "no")
	st := p.state()
	api := st.Component(stack.CompAPI)
	if api == nil {
		t.Fatalf("no api component in %+v", st)
	}
	if err := syscall.Kill(api.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for stack.Running(filepath.Join(p.dir, ".stack")) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if stack.Running(filepath.Join(p.dir, ".stack")) {
		t.Fatal("the supervisor kept running after the api died")
	}
	logf, _ := os.ReadFile(stack.LogPath(filepath.Join(p.dir, ".stack"), "stack"))
	if !regexp.MustCompile(`api exited \(signal: killed\)`).Match(logf) {
		t.Errorf("the stack log does not say the api died:\n%s", tail(string(logf)))
	}
	if out, code := p.run(time.Minute, "status"); code != 3 || !strings.Contains(out, "the last run ended with: api exited") {
		t.Errorf("status after the api died: exit %d\n%s", code, out)
	}
	p.assertGone(st)

	// a killed supervisor takes its components with it; down cleans up
	p.mustRun(4*time.Minute, "up", "--detach")
	st = p.state()
	if err := syscall.Kill(st.SupervisorPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		alive := false
		for _, pid := range pids(st) {
			alive = alive || stack.Alive(pid)
		}
		if !alive {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out, code := p.run(time.Minute, "status"); code != 3 {
		t.Errorf("status after the supervisor was killed: exit %d\n%s", code, out)
	}
	p.mustRun(time.Minute, "down")
	p.assertGone(st)

	// --postgrest=PATH runs that binary as the API engine (here a wrapper
	// around the built-in one, standing in for a real postgrest)
	wrapper := filepath.Join(t.TempDir(), "postgrest")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec "+stackctlBin+" postgrest\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p.mustRun(4*time.Minute, "up", "--detach", "--no-seed", "--postgrest", wrapper)
	st = p.state()
	if api := st.Component(stack.CompAPI); api == nil || api.Command != wrapper {
		t.Errorf("api component with --postgrest: %+v", api)
	}
	if out, code := p.run(time.Minute, "status"); code != 0 {
		t.Errorf("status with --postgrest: exit %d\n%s", code, out)
	}
	p.mustRun(2*time.Minute, "down")
	p.assertGone(st)
	if out, code := p.run(time.Minute, "up", "--postgrest", filepath.Join(p.dir, "nosuch")); code == 0 || !strings.Contains(out, "--postgrest") {
		t.Errorf("up --postgrest with a missing binary: exit %d\n%s", code, out)
	}
}

// A broken .env stops up before anything starts, naming the variable and the fix.
func TestBrokenEnv(t *testing.T) {
	p := newProject(t)
	if err := os.WriteFile(filepath.Join(p.dir, ".env"), []byte("JWT_SECRET=c2hvcnQ=\nPOSTGRES_PASSWORD=x\nAUTHENTICATOR_PASSWORD=y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := p.run(time.Minute, "up")
	if code == 0 || !strings.Contains(out, "JWT_SECRET") || !strings.Contains(out, "stackctl secret gen") {
		t.Errorf("up with a short JWT_SECRET: exit %d\n%s", code, out)
	}
	if strings.Contains(out, "c2hvcnQ=") {
		t.Errorf("the error shows the secret")
	}
	if _, err := os.Stat(filepath.Join(p.dir, ".stack", "pgdata")); !os.IsNotExist(err) {
		t.Errorf("a broken .env still created the data directory")
	}
	p.env = append(p.env, "STACK_HTTP_PORT=80x")
	out, code = p.run(time.Minute, "up")
	if code == 0 || !strings.Contains(out, "STACK_HTTP_PORT") || !strings.Contains(out, "not a TCP port") {
		t.Errorf("up with STACK_HTTP_PORT=80x: exit %d\n%s", code, out)
	}
}

// `up --docker` cannot reach a Docker engine here. This runs it with a
// recording `docker` first on PATH, a real PostgreSQL standing in for the
// compose database, and a gateway answering /healthz: the compose command
// it would run is checked, and its migrate + seed really reach the database.
func TestUpDockerCommands(t *testing.T) {
	p := newProject(t)
	dbURL := pgtest.NewDatabase(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	record := filepath.Join(bin, "docker.args")
	script := "#!/bin/sh\necho \"$PWD: $*\" >> " + record + "\n"
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.httpPort)))
	if err != nil {
		t.Fatal(err)
	}
	gw := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	})}
	go gw.Serve(ln)
	defer gw.Close()
	copyFile(t, filepath.Join(repoRoot(), "compose.yaml"), filepath.Join(p.dir, "compose.yaml"))
	for i, kv := range p.env {
		if strings.HasPrefix(kv, "PATH=") {
			p.env[i] = "PATH=" + bin + ":" + strings.TrimPrefix(kv, "PATH=")
		}
	}
	p.env = append(p.env, "STACK_PG_PORT="+u.Port(), "POSTGRES_DB="+strings.TrimPrefix(u.Path, "/"))
	out := p.mustRun(3*time.Minute, "up", "--docker")
	args, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("docker was not run: %v\n%s", err, out)
	}
	// The probes (Compose plugin, engine) come first, then the one real command.
	if got, want := strings.TrimSpace(string(args)), p.dir+": compose version\n"+p.dir+": info --format {{.ServerVersion}}\n"+p.dir+": compose up -d --build"; got != want {
		t.Errorf("docker ran %q, want %q", got, want)
	}
	pool := pgtest.NewPool(t, dbURL)
	var n int
	if err := pool.QueryRow(context.Background(), "select count(*) from auth.user where username in ('demo', 'alice')").Scan(&n); err != nil || n != 2 {
		t.Errorf("up --docker did not migrate and seed the database: %d demo users, %v\n%s", n, err, out)
	}
	if !strings.Contains(out, "stackctl down --docker") {
		t.Errorf("up --docker output:\n%s", out)
	}
}

func tail(s string) string {
	l := strings.Split(s, "\n")
	if len(l) > 30 {
		l = l[len(l)-30:]
	}
	return strings.Join(l, "\n")
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
}

func copyTree(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		copyFile(t, path, filepath.Join(to, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
