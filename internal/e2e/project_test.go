package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/pgserver"
	"github.com/authstack/authstack/internal/stack"
)

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
