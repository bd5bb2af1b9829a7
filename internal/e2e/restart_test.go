package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/pgserver"
	"github.com/authstack/authstack/internal/stack"
)

// statusOut is `stackctl status -o json`.
type statusOut struct {
	Running, Healthy bool
	Components       []struct {
		Component string
		PID       int
		Healthy   bool
		Restarts  int
		LastExit  string `json:"last_exit"`
		Adopted   bool
	}
	Stray *struct{ PID int } `json:"stray_postgres"`
}

func (p *project) status() (statusOut, int) {
	p.t.Helper()
	out, code := p.run(time.Minute, "status", "-o", "json")
	var s statusOut
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		p.t.Fatalf("status -o json (exit %d): %v\n%s", code, err, out)
	}
	return s, code
}

func (s statusOut) comp(name string) (pid int, healthy bool, restarts int, lastExit string, adopted bool) {
	for _, c := range s.Components {
		if c.Component == name {
			return c.PID, c.Healthy, c.Restarts, c.LastExit, c.Adopted
		}
	}
	return 0, false, 0, "", false
}

// eventually polls cond (bounded) and fails the test with what when it
// never holds.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func getOK(url string) bool {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (p *project) stateDir() string { return filepath.Join(p.dir, ".stack") }

// pgCtl runs pg_ctl on the stack's data directory as the account the
// cluster runs as, as an operator would.
func (p *project) pgCtl(args ...string) {
	p.t.Helper()
	if out, err := p.tryPgCtl(args...); err != nil {
		p.t.Fatalf("pg_ctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (p *project) tryPgCtl(args ...string) ([]byte, error) {
	p.t.Helper()
	bin, err := pgserver.FindBinDir()
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "pg_ctl"), append(args, "-D", stack.DataDir(p.stateDir()), "-w", "-t", "60", "-l", "/dev/null")...)
	cmd.Dir = "/"
	if acct, err := pgserver.Account(); err != nil {
		p.t.Fatal(err)
	} else if acct != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: acct.UID, Gid: acct.GID}}
	}
	return cmd.CombinedOutput()
}

func (p *project) postmaster() int {
	if pf := pgserver.Postmaster(stack.DataDir(p.stateDir())); pf != nil {
		return pf.PID
	}
	return 0
}

// A killed engine, then a killed Caddy, come back by themselves; the rest
// of the stack is untouched.
func TestRestartEngineAndCaddy(t *testing.T) {
	p := newProject(t)
	p.mustRun(4*time.Minute, "up", "--detach")
	st := p.state()
	pgPID := st.Component(stack.CompPG).PID
	for _, name := range []string{stack.CompAPI, stack.CompCaddy} {
		old := p.state().Component(name).PID
		if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		eventually(t, name+" restarted and healthy", func() bool {
			s, _ := p.status()
			pid, healthy, restarts, _, _ := s.comp(name)
			return s.Running && pid != old && healthy && restarts == 1
		})
		s, code := p.status()
		if _, _, _, last, _ := s.comp(name); !strings.Contains(last, "killed by signal 9") {
			t.Errorf("%s last exit = %q, want killed by signal 9", name, last)
		}
		eventually(t, "/healthz through Caddy answers 200 after "+name+" came back", func() bool { return getOK(p.base() + "/healthz") })
		eventually(t, "/rest/ through Caddy answers 200 after "+name+" came back", func() bool { return getOK(p.base() + "/rest/") })
		if code != 0 {
			t.Errorf("status exit %d after %s came back", code, name)
		}
	}
	s, _ := p.status()
	if pid, _, restarts, _, _ := s.comp(stack.CompPG); pid != pgPID || restarts != 0 {
		t.Errorf("pg pid %d restarts %d, want pid %d untouched", pid, restarts, pgPID)
	}
	if text := p.mustRun(time.Minute, "status"); !strings.Contains(text, "RESTARTS") || !strings.Contains(text, "killed by signal 9") {
		t.Errorf("status text lacks the restarts and the last exit:\n%s", text)
	}

	// all three at once: each comes back, each counted once more
	olds := map[string]int{}
	for _, name := range stack.Components {
		olds[name] = p.state().Component(name).PID
	}
	for _, pid := range olds {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int{stack.CompPG: 1, stack.CompAPI: 2, stack.CompCaddy: 2}
	eventually(t, "every component back after all were killed at once", func() bool {
		s, _ := p.status()
		ok := s.Running
		for name, n := range want {
			pid, healthy, restarts, _, _ := s.comp(name)
			ok = ok && healthy && restarts == n && pid != olds[name]
		}
		return ok
	})
	eventually(t, "/rest/ through Caddy answers 200 after all came back", func() bool { return getOK(p.base() + "/rest/") })
	last := p.state()
	p.mustRun(2*time.Minute, "down")
	p.assertGone(last)
}

// A SIGKILLed postmaster is started again on the same data directory; the
// engine and Caddy keep running and the engine reconnects.
func TestRestartPostgres(t *testing.T) {
	p := newProject(t)
	p.mustRun(4*time.Minute, "up", "--detach")
	st := p.state()
	old := p.postmaster()
	if old == 0 || old != st.Component(stack.CompPG).PID {
		t.Fatalf("postmaster.pid names %d, state %d", old, st.Component(stack.CompPG).PID)
	}
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, "pg restarted and healthy", func() bool {
		s, _ := p.status()
		pid, healthy, restarts, _, _ := s.comp(stack.CompPG)
		return s.Running && pid != old && pid == p.postmaster() && healthy && restarts == 1
	})
	s, _ := p.status()
	if _, _, _, last, _ := s.comp(stack.CompPG); !strings.Contains(last, "killed by signal 9") {
		t.Errorf("pg last exit = %q, want killed by signal 9", last)
	}
	for _, name := range []string{stack.CompAPI, stack.CompCaddy} {
		if pid, _, restarts, _, _ := s.comp(name); pid != st.Component(name).PID || restarts != 0 {
			t.Errorf("%s: pid %d restarts %d; want it left running (pid %d) while PostgreSQL restarted", name, pid, restarts, st.Component(name).PID)
		}
	}
	eventually(t, "/rest/ through Caddy answers 200 (the engine reconnected)", func() bool { return getOK(p.base() + "/rest/") })
	last := p.state()
	p.mustRun(2*time.Minute, "down")
	p.assertGone(last)
}

// `pg_ctl restart -m fast` by an operator: the supervisor adopts the new
// postmaster. When the supervisor is gone, status reports the postmaster
// left running, and down, or up, stops it.
func TestPgCtlRestart(t *testing.T) {
	p := newProject(t)
	p.mustRun(4*time.Minute, "up", "--detach")
	st := p.state()
	old := p.postmaster()
	p.pgCtl("restart", "-m", "fast")
	eventually(t, "the new postmaster adopted", func() bool {
		s, _ := p.status()
		pid, healthy, restarts, _, adopted := s.comp(stack.CompPG)
		return s.Running && pid != old && pid == p.postmaster() && adopted && healthy && restarts == 1
	})
	s, _ := p.status()
	for _, name := range []string{stack.CompAPI, stack.CompCaddy} {
		if pid, _, restarts, _, _ := s.comp(name); pid != st.Component(name).PID || restarts != 0 {
			t.Errorf("%s: pid %d restarts %d; want it left running (pid %d)", name, pid, restarts, st.Component(name).PID)
		}
	}
	eventually(t, "/rest/ through Caddy answers 200 after pg_ctl restart", func() bool { return getOK(p.base() + "/rest/") })
	adopted := p.postmaster()
	p.mustRun(2*time.Minute, "down")
	if stack.Alive(adopted) {
		t.Errorf("the adopted postmaster %d still runs after down", adopted)
	}
	p.assertGone(st)

	// the supervisor killed: the adopted postmaster (not its child) stays
	p.mustRun(4*time.Minute, "up", "--detach")
	st = p.state()
	p.pgCtl("restart", "-m", "fast")
	eventually(t, "the new postmaster adopted", func() bool {
		s, _ := p.status()
		_, _, _, _, adopted := s.comp(stack.CompPG)
		return adopted
	})
	orphan := p.orphanPostmaster()
	if s, code := p.status(); code != 3 || s.Stray == nil || s.Stray.PID != orphan {
		t.Errorf("status with an orphaned postmaster %d: exit %d, %+v", orphan, code, s.Stray)
	}
	if text, _ := p.run(time.Minute, "status"); !strings.Contains(text, "without a supervisor") {
		t.Errorf("status text does not report the orphaned postmaster:\n%s", text)
	}
	out := p.mustRun(2*time.Minute, "down")
	if !strings.Contains(out, "stopped PostgreSQL") || stack.Alive(orphan) || p.postmaster() != 0 {
		t.Errorf("down with an orphaned postmaster %d (alive after: %v):\n%s", orphan, stack.Alive(orphan), out)
	}
	p.assertGone(st)

	// up with an orphaned postmaster stops it and starts the stack
	p.mustRun(4*time.Minute, "up", "--detach")
	p.pgCtl("restart", "-m", "fast")
	eventually(t, "the new postmaster adopted", func() bool {
		s, _ := p.status()
		_, _, _, _, adopted := s.comp(stack.CompPG)
		return adopted
	})
	orphan = p.orphanPostmaster()
	out = p.mustRun(4*time.Minute, "up", "--detach")
	if !strings.Contains(out, "stopped PostgreSQL (pid") || stack.Alive(orphan) {
		t.Errorf("up with an orphaned postmaster %d:\n%s", orphan, out)
	}
	if s, code := p.status(); code != 0 || !s.Healthy {
		t.Errorf("status after up: exit %d %+v", code, s)
	}
	last := p.state()
	p.mustRun(2*time.Minute, "down")
	p.assertGone(last)
}

// orphanPostmaster SIGKILLs the supervisor and returns the postmaster it
// leaves behind.
func (p *project) orphanPostmaster() int {
	p.t.Helper()
	st := p.state()
	if err := syscall.Kill(st.SupervisorPID, syscall.SIGKILL); err != nil {
		p.t.Fatal(err)
	}
	eventually(p.t, "the supervisor gone", func() bool { return !stack.Running(p.stateDir()) })
	pid := p.postmaster()
	if pid == 0 {
		p.t.Fatal("no postmaster left after the supervisor was killed")
	}
	return pid
}

// With --restart no, a component that fails takes the stack down, and a
// postmaster pg_ctl restart started does not outlive it.
func TestRestartNo(t *testing.T) {
	p := newProject(t)
	p.mustRun(4*time.Minute, "up", "--detach", "--restart", "no")
	st := p.state()
	if err := syscall.Kill(st.Component(stack.CompCaddy).PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the stack stopped after Caddy died", func() bool { return !stack.Running(p.stateDir()) })
	if out, code := p.run(time.Minute, "status"); code != 3 || !strings.Contains(out, "caddy exited (signal: killed)") {
		t.Errorf("status after caddy died with --restart no: exit %d\n%s", code, out)
	}
	p.assertGone(st)

	p.mustRun(4*time.Minute, "up", "--detach", "--restart", "no")
	st = p.state()
	// pg_ctl may fail: the supervisor stops the server it starts
	_, _ = p.tryPgCtl("restart", "-m", "fast")
	eventually(t, "the stack stopped after pg_ctl restart", func() bool { return !stack.Running(p.stateDir()) })
	if pid := p.postmaster(); pid != 0 {
		t.Errorf("postmaster %d left running on the data directory", pid)
	}
	if out, code := p.run(time.Minute, "status"); code != 3 || !strings.Contains(out, "pg exited") {
		t.Errorf("status after pg_ctl restart with --restart no: exit %d\n%s", code, out)
	}
	p.assertGone(st)
	if out, code := p.run(time.Minute, "up", "--restart", "sometimes"); code == 0 || !strings.Contains(out, "on-failure") {
		t.Errorf("up --restart sometimes: exit %d\n%s", code, out)
	}
}

// on-failure:N gives up after N restarts in a row and stops the stack.
func TestRestartBound(t *testing.T) {
	p := newProject(t)
	p.mustRun(4*time.Minute, "up", "--detach", "--no-seed", "--restart", "on-failure:1")
	first := p.state()
	old := first.Component(stack.CompAPI).PID
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var again int
	eventually(t, "api restarted once", func() bool {
		s, _ := p.status()
		pid, _, restarts, _, _ := s.comp(stack.CompAPI)
		again = pid
		return restarts == 1 && pid != old && stack.Alive(pid)
	})
	last := p.state()
	// the second failure in a row (well within the 30 s that reset the count)
	if err := syscall.Kill(again, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the stack stopped after the second failure", func() bool { return !stack.Running(p.stateDir()) })
	if out, code := p.run(time.Minute, "status"); code != 3 || !strings.Contains(out, "gave up after 1 restarts in a row") {
		t.Errorf("status after giving up: exit %d\n%s", code, out)
	}
	p.assertGone(last)
}

// A postmaster started by hand on the data directory but on another port is
// stopped and PostgreSQL started again on the stack's port; `pg_ctl stop`
// with no new postmaster stops the stack (on-failure) and says why.
func TestForeignPostmaster(t *testing.T) {
	p := newProject(t)
	p.mustRun(4*time.Minute, "up", "--detach", "--no-seed")
	p.pgCtl("stop", "-m", "fast")
	port, err := pgserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, filepath.Join(p.stateDir(), "sock"))
	// may fail: the supervisor stops that server, possibly before it is ready
	_, _ = p.tryPgCtl("start", "-o", opts)
	eventually(t, "PostgreSQL back on the stack's port", func() bool {
		s, _ := p.status()
		pid, healthy, restarts, _, adopted := s.comp(stack.CompPG)
		pf := pgserver.Postmaster(stack.DataDir(p.stateDir()))
		return s.Running && healthy && !adopted && restarts == 1 && pf != nil && pf.PID == pid && pf.Port == p.pgPort
	})
	logf, _ := os.ReadFile(stack.LogPath(p.stateDir(), "stack"))
	if !strings.Contains(string(logf), fmt.Sprintf("on port %d instead of STACK_PG_PORT", port)) {
		t.Errorf("the stack log does not say why the foreign postmaster was stopped:\n%s", tail(string(logf)))
	}

	st := p.state()
	p.pgCtl("stop", "-m", "fast")
	eventually(t, "the stack stopped after pg_ctl stop", func() bool { return !stack.Running(p.stateDir()) })
	if out, code := p.run(time.Minute, "status"); code != 3 || !strings.Contains(out, "no new postmaster started") {
		t.Errorf("status after pg_ctl stop: exit %d\n%s", code, out)
	}
	p.assertGone(st)
}
