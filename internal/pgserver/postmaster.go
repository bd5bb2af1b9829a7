package pgserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PidFile is what a data directory's postmaster.pid says. The layout is
// PostgreSQL's (pidfile.h at REL_15: line 1 the postmaster's pid, 2 the data
// directory, 3 the start time, 4 the port, 5 the socket directory, 6 the
// listen address, 7 the shared memory key, 8 the status).
type PidFile struct {
	PID     int
	DataDir string
	Port    int
	Status  string // "starting", "ready", "stopping", "standby" (may be empty early on)
}

// maxPidFile bounds how much of postmaster.pid is read: the real file is a
// few hundred bytes.
const maxPidFile = 8 << 10

// ReadPidFile parses dataDir/postmaster.pid; (nil, nil) when there is none.
func ReadPidFile(dataDir string) (*PidFile, error) {
	f, err := os.Open(filepath.Join(dataDir, "postmaster.pid"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, maxPidFile)
	n, err := f.Read(buf)
	if err != nil && n == 0 {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	pf, err := parsePidFile(buf[:n])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return pf, nil
}

func parsePidFile(b []byte) (*PidFile, error) {
	if len(b) > maxPidFile {
		b = b[:maxPidFile]
	}
	lines := strings.SplitN(string(b), "\n", 9)
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid <= 0 {
		return nil, fmt.Errorf("first line %.40q is not a pid", lines[0])
	}
	pf := &PidFile{PID: pid}
	if len(lines) > 1 {
		pf.DataDir = strings.TrimSpace(lines[1])
	}
	if len(lines) > 3 {
		pf.Port, _ = strconv.Atoi(strings.TrimSpace(lines[3]))
	}
	if len(lines) > 7 {
		pf.Status = strings.TrimSpace(lines[7])
	}
	return pf, nil
}

// Alive reports whether pid exists and is not a zombie.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist)
	}
	if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) {
		return b[i+2] != 'Z' && b[i+2] != 'X'
	}
	return true
}

// servesDir reports whether pid is a postgres process whose working
// directory is dataDir (the postmaster and every backend chdir into the
// data directory: PostgreSQL's ChangeToDataDir in miscinit.c).
func servesDir(pid int, dataDir string) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(comm)), "postgres") {
		return false
	}
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		return false
	}
	return sameDir(cwd, dataDir)
}

func sameDir(a, b string) bool {
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	if err1 != nil || err2 != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return ra == rb
}

// Postmaster returns the postmaster running on dataDir, whoever started it
// (this process, pg_ctl, an earlier supervisor): postmaster.pid must name a
// live postgres process working in dataDir, so a stale file or a reused pid
// is not mistaken for one. It returns nil when none runs.
func Postmaster(dataDir string) *PidFile {
	pf, err := ReadPidFile(dataDir)
	if err != nil || pf == nil || !Alive(pf.PID) || !servesDir(pf.PID, dataDir) {
		return nil
	}
	return pf
}

// StopPostmaster stops the postmaster pid (not necessarily our child):
// fast shutdown (SIGINT), then after timeout an immediate shutdown
// (SIGQUIT), then SIGKILL; it returns once the process is gone. It refuses
// a pid that is not a postgres working in dataDir.
func StopPostmaster(dataDir string, pid int, timeout time.Duration) error {
	if !Alive(pid) {
		return nil
	}
	if !servesDir(pid, dataDir) {
		return fmt.Errorf("pid %d is not a PostgreSQL server on %s; not stopping it", pid, dataDir)
	}
	for _, step := range []struct {
		sig  syscall.Signal
		wait time.Duration
	}{{syscall.SIGINT, timeout}, {syscall.SIGQUIT, 5 * time.Second}, {syscall.SIGKILL, 5 * time.Second}} {
		if err := syscall.Kill(pid, step.sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("signal PostgreSQL pid %d: %w", pid, err)
		}
		if waitGone(pid, step.wait) {
			return nil
		}
	}
	return fmt.Errorf("PostgreSQL pid %d did not exit after SIGKILL", pid)
}

func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for Alive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// maxProcScan bounds the /proc entries looked at by Processes.
const maxProcScan = 1 << 16

// Processes returns the pids of the postgres processes working in dataDir:
// a postmaster and its backends, or the backends a killed postmaster left.
func Processes(dataDir string) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for i, e := range ents {
		if i >= maxProcScan {
			break
		}
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if servesDir(pid, dataDir) && Alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// ClearOrphans waits up to wait for the backends a dead postmaster left
// on dataDir to exit (they notice the postmaster's death by themselves),
// then SIGKILLs those that remain: while they are attached to the old
// shared memory a new postmaster refuses to start ("pre-existing shared
// memory block is still in use"). It does nothing while a postmaster runs
// there, and returns how many processes it killed.
func ClearOrphans(dataDir string, wait time.Duration) int {
	if Postmaster(dataDir) != nil {
		return 0
	}
	deadline := time.Now().Add(wait)
	for len(Processes(dataDir)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	left := Processes(dataDir)
	for _, pid := range left {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, pid := range left {
		waitGone(pid, 5*time.Second)
	}
	return len(left)
}
