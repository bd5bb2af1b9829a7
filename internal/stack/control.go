package stack

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/authstack/authstack/internal/pgserver"
)

// ErrNotRunning is returned by Stop when no stack runs.
var ErrNotRunning = fmt.Errorf("no stack is running")

// Stop stops the supervisor of stateDir (SIGTERM; it stops its components
// in order) and waits until it and every component it recorded are gone.
// Components left behind by a supervisor that was killed are stopped too,
// and so is any PostgreSQL server running on the stack's data directory
// (one `pg_ctl restart` started, say), whose pid it returns (0: none).
// With no supervisor, no state and no such server it returns ErrNotRunning.
func Stop(stateDir string, timeout time.Duration) (strayPG int, err error) {
	st, err := ReadState(stateDir)
	if err != nil {
		return 0, err
	}
	if !Running(stateDir) {
		if st != nil {
			// stale state: the supervisor died without cleaning up
			killLeftovers(st)
			_ = os.Remove(statePath(stateDir))
		}
		pid, err := StopStrayPostgres(stateDir)
		if err == nil && st == nil && pid == 0 {
			err = ErrNotRunning
		}
		return pid, err
	}
	if st == nil || !Alive(st.SupervisorPID) {
		return 0, fmt.Errorf("the stack's lock is held but %s names no live supervisor", statePath(stateDir))
	}
	if err := syscall.Kill(st.SupervisorPID, syscall.SIGTERM); err != nil {
		return 0, fmt.Errorf("stop supervisor pid %d: %w", st.SupervisorPID, err)
	}
	deadline := time.Now().Add(timeout)
	for Running(stateDir) || Alive(st.SupervisorPID) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(st.SupervisorPID, syscall.SIGKILL)
			killLeftovers(st)
			_, _ = StopStrayPostgres(stateDir)
			return 0, fmt.Errorf("the supervisor (pid %d) did not stop within %s; killed it and its components", st.SupervisorPID, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	killLeftovers(st)
	_ = os.Remove(statePath(stateDir))
	return StopStrayPostgres(stateDir)
}

// StrayPostgres returns the PostgreSQL server running on the stack's data
// directory (nil: none). Without a running supervisor, it is one nobody
// supervises.
func StrayPostgres(stateDir string) *pgserver.PidFile {
	return pgserver.Postmaster(DataDir(stateDir))
}

// StopStrayPostgres stops the PostgreSQL server running on the stack's
// data directory, if any (a fast shutdown), and returns its pid. A standby
// left running on the standby's data directory is stopped first.
func StopStrayPostgres(stateDir string) (int, error) {
	if err := stopStrayStandby(stateDir); err != nil {
		return 0, err
	}
	pf := StrayPostgres(stateDir)
	if pf == nil {
		return 0, nil
	}
	if err := pgserver.StopPostmaster(DataDir(stateDir), pf.PID, 30*time.Second); err != nil {
		return 0, fmt.Errorf("stop the PostgreSQL server on %s: %w", DataDir(stateDir), err)
	}
	return pf.PID, nil
}

// StrayStoppedMessage says that StopStrayPostgres stopped pid.
func StrayStoppedMessage(stateDir string, pid int) string {
	return fmt.Sprintf("stopped PostgreSQL (pid %d), which was running on %s without a supervisor (started by `pg_ctl restart`, or left by a stackctl that was killed)",
		pid, DataDir(stateDir))
}

// killLeftovers kills the recorded API engine and Caddy processes that
// still run and still are what was recorded (guarding against reused
// pids). PostgreSQL is stopped by StopStrayPostgres, from its postmaster.pid.
func killLeftovers(st *State) {
	for _, c := range st.Components {
		if c.Name == CompPG || c.Name == CompPGReplica || !Alive(c.PID) || !sameProgram(c) {
			continue
		}
		_ = syscall.Kill(c.PID, syscall.SIGTERM)
		for i := 0; i < 250 && Alive(c.PID); i++ {
			time.Sleep(20 * time.Millisecond)
		}
		if Alive(c.PID) {
			_ = syscall.Kill(c.PID, syscall.SIGKILL)
		}
	}
}

func sameProgram(c Component) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", c.PID))
	if err != nil {
		return false
	}
	args := strings.Split(string(b), "\x00")
	want := strings.Fields(c.Command)
	return len(args) > 0 && len(want) > 0 && filepath.Base(args[0]) == filepath.Base(want[0])
}

// Health is one line of `stackctl status`.
type Health struct {
	Component string `json:"component"`
	PID       int    `json:"pid"`
	// Host is the listen address (the native engines each have their own
	// 127.0.0.x); Port, AdminPort (engines) and Role as in state.json.
	Host       string     `json:"host"`
	Port       int        `json:"port"`
	AdminPort  int        `json:"admin_port,omitempty"`
	Role       string     `json:"role,omitempty"`
	Running    bool       `json:"running"`
	Healthy    bool       `json:"healthy"`
	Detail     string     `json:"detail"`
	Restarts   int        `json:"restarts"`
	LastExit   string     `json:"last_exit,omitempty"`
	LastExitAt *time.Time `json:"last_exit_at,omitempty"`
	Adopted    bool       `json:"adopted,omitempty"`
}

// Check returns the health of each recorded component.
func Check(st *State) []Health {
	var out []Health
	for _, c := range st.Components {
		host := c.Host
		if host == "" {
			host = "127.0.0.1"
		}
		h := Health{Component: c.Name, PID: c.PID, Host: host, Port: c.Port, AdminPort: c.AdminPort, Role: c.Role, Running: Alive(c.PID),
			Restarts: c.Restarts, LastExit: c.LastExit, LastExitAt: c.LastExitAt, Adopted: c.Adopted}
		switch {
		case c.Name == CompPG || c.Name == CompPGReplica:
			conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(c.Port)), time.Second)
			if err == nil {
				conn.Close()
				h.Healthy, h.Detail = true, "accepting connections"
			} else {
				h.Detail = "not accepting connections"
			}
			if c.Role == "standby" {
				h.Detail += " (standby, read-only)"
			}
		case c.AdminPort != 0: // an API engine
			u := "http://" + net.JoinHostPort(host, strconv.Itoa(c.AdminPort)) + "/ready"
			h.Healthy = Healthy(u)
			h.Detail = "admin " + u
		case c.Name == CompCaddy:
			u := fmt.Sprintf("http://127.0.0.1:%d/healthz", c.Port)
			h.Healthy = Healthy(u)
			h.Detail = u
		}
		switch {
		case !h.Running && c.State == "restarting":
			h.Healthy = false
			h.Detail = "restarting"
		case !h.Running:
			h.Healthy = false
			h.Detail = "not running"
		case c.Adopted:
			h.Detail += " (adopted: started outside the supervisor)"
		}
		out = append(out, h)
	}
	return out
}
