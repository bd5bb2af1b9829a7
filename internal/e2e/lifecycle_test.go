package e2e

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/internal/stack"
)

// The stack's life beyond TestNativeStack's: a foreground up stopped by
// Ctrl-C, taken ports, dying components, a broken .env, and up --docker.

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
