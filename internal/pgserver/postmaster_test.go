package pgserver

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func startCluster(t *testing.T) *Cluster {
	t.Helper()
	dir := t.TempDir()
	c := &Cluster{DataDir: filepath.Join(dir, "data"), Settings: map[string]string{"fsync": "off"}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Stop()
		if pf := Postmaster(c.DataDir); pf != nil {
			_ = StopPostmaster(c.DataDir, pf.PID, 10*time.Second)
		}
	})
	return c
}

// pgCtl runs pg_ctl on c's data directory as the account the server runs
// as (what an operator does), its output in a file of that account.
func pgCtl(t *testing.T, c *Cluster, args ...string) {
	t.Helper()
	logf := filepath.Join(c.SocketDir(), "pg_ctl.log")
	if err := os.WriteFile(logf, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.chown(logf); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(c.BinDir, "pg_ctl"), append(args, "-D", c.DataDir, "-w", "-t", "60", "-l", logf)...)
	c.prepare(cmd)
	cmd.SysProcAttr.Pdeathsig = 0 // pg_ctl's server must outlive it
	out, err := cmd.CombinedOutput()
	if err != nil {
		b, _ := os.ReadFile(logf)
		t.Fatalf("pg_ctl %s: %v\n%s\n%s", strings.Join(args, " "), err, out, b)
	}
}

// `pg_ctl restart -m fast` replaces our postmaster with one that is not our
// child: Postmaster finds it, Adopt supervises it, Stop stops it.
func TestAdoptAfterPgCtlRestart(t *testing.T) {
	c := startCluster(t)
	first := c.Pid()
	if pf := Postmaster(c.DataDir); pf == nil || pf.PID != first || pf.Port != c.Port {
		t.Fatalf("Postmaster = %+v, want pid %d port %d", pf, first, c.Port)
	}
	pgCtl(t, c, "restart", "-m", "fast")
	select {
	case <-c.Done():
	case <-time.After(time.Minute):
		t.Fatal("our postmaster did not exit on pg_ctl restart")
	}
	if err := c.Err(); err != nil {
		t.Errorf("fast shutdown: Err = %v, want exit status 0", err)
	}
	pf := Postmaster(c.DataDir)
	if pf == nil || pf.PID == first || pf.Port != c.Port {
		t.Fatalf("after pg_ctl restart: Postmaster = %+v (first pid %d)", pf, first)
	}
	if err := c.Adopt(pf.PID); err != nil {
		t.Fatal(err)
	}
	if c.Pid() != pf.PID || !c.Adopted() {
		t.Errorf("Pid = %d, Adopted = %v after Adopt(%d)", c.Pid(), c.Adopted(), pf.PID)
	}
	conn, err := pgx.Connect(context.Background(), c.URL("postgres"))
	if err != nil {
		t.Fatalf("connect to the adopted server: %v", err)
	}
	conn.Close(context.Background())
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	default:
		t.Error("Done not closed after Stop of the adopted postmaster")
	}
	if Alive(pf.PID) || Postmaster(c.DataDir) != nil {
		t.Errorf("the adopted postmaster %d still runs after Stop", pf.PID)
	}
	if c.Err() != ErrAdoptedExited {
		t.Errorf("Err = %v, want ErrAdoptedExited", c.Err())
	}
}

// Only a live postgres working in the data directory counts: not a stale
// postmaster.pid, not a pid that is something else.
func TestPostmasterRefusesOthers(t *testing.T) {
	c := startCluster(t)
	if err := c.Adopt(os.Getpid()); err == nil {
		t.Error("Adopt accepted the test's own pid")
	}
	if err := StopPostmaster(c.DataDir, os.Getpid(), time.Second); err == nil {
		t.Error("StopPostmaster accepted the test's own pid")
	}
	// another data directory's postmaster is not this one's
	other := t.TempDir()
	if err := StopPostmaster(other, c.Pid(), time.Second); err == nil || !Alive(c.Pid()) {
		t.Errorf("StopPostmaster on another directory: err %v, alive %v", err, Alive(c.Pid()))
	}
	pid := c.Pid()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	// the file stays, naming a dead pid
	if pf, err := ReadPidFile(c.DataDir); err != nil || pf == nil || pf.PID != pid {
		t.Fatalf("ReadPidFile after SIGKILL = %+v, %v", pf, err)
	}
	if pf := Postmaster(c.DataDir); pf != nil {
		t.Errorf("Postmaster = %+v for a killed postmaster", pf)
	}
}

// After a SIGKILLed postmaster, the backends it left are cleared and the
// server starts again on the same data directory (crash recovery).
func TestRestartAfterKilledPostmaster(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "create table t(x int); insert into t values (1)"); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(c.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	ClearOrphans(c.DataDir, 10*time.Second)
	if left := Processes(c.DataDir); len(left) != 0 {
		t.Fatalf("processes left on the data directory: %v", left)
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := c.Start(sctx); err != nil {
		t.Fatalf("start after SIGKILL: %v", err)
	}
	conn2, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close(ctx)
	var n int
	if err := conn2.QueryRow(ctx, "select count(*) from t").Scan(&n); err != nil || n != 1 {
		t.Errorf("after restart: count = %d, %v", n, err)
	}
}

func TestParsePidFile(t *testing.T) {
	pf, err := parsePidFile([]byte("4242\n/data\n1700000000\n5433\n/sock\n127.0.0.1\n  1234  5\nready   \n"))
	if err != nil || pf.PID != 4242 || pf.DataDir != "/data" || pf.Port != 5433 || pf.Status != "ready" {
		t.Errorf("parsePidFile = %+v, %v", pf, err)
	}
	for _, bad := range []string{"", "\n", "-1\n", "x\n/data\n", strconv.Itoa(0)} {
		if _, err := parsePidFile([]byte(bad)); err == nil {
			t.Errorf("parsePidFile(%q) accepted", bad)
		}
	}
}

func FuzzParsePidFile(f *testing.F) {
	f.Add([]byte("4242\n/data\n1700000000\n5433\n/sock\n127.0.0.1\n  1234  5\nready   \n"))
	f.Add([]byte("1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pf, err := parsePidFile(b)
		if err == nil && pf.PID <= 0 {
			t.Errorf("accepted pid %d", pf.PID)
		}
	})
}
