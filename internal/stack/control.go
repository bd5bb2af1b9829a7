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
)

// ErrNotRunning is returned by Stop when no stack runs.
var ErrNotRunning = fmt.Errorf("no stack is running")

// Stop stops the supervisor of stateDir (SIGTERM; it stops its components
// in order) and waits until it and every component it recorded are gone.
// Components left behind by a supervisor that was killed are stopped too.
func Stop(stateDir string, timeout time.Duration) error {
	st, err := ReadState(stateDir)
	if err != nil {
		return err
	}
	if !Running(stateDir) {
		if st == nil {
			return ErrNotRunning
		}
		// stale state: the supervisor died without cleaning up
		killLeftovers(st)
		_ = os.Remove(statePath(stateDir))
		return nil
	}
	if st == nil || !Alive(st.SupervisorPID) {
		return fmt.Errorf("the stack's lock is held but %s names no live supervisor", statePath(stateDir))
	}
	if err := syscall.Kill(st.SupervisorPID, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop supervisor pid %d: %w", st.SupervisorPID, err)
	}
	deadline := time.Now().Add(timeout)
	for Running(stateDir) || Alive(st.SupervisorPID) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(st.SupervisorPID, syscall.SIGKILL)
			killLeftovers(st)
			return fmt.Errorf("the supervisor (pid %d) did not stop within %s; killed it and its components", st.SupervisorPID, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	killLeftovers(st)
	_ = os.Remove(statePath(stateDir))
	return nil
}

// killLeftovers kills the recorded component processes that still run and
// still are what was recorded (guarding against reused pids).
func killLeftovers(st *State) {
	for _, c := range st.Components {
		if !Alive(c.PID) || !sameProgram(c) {
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
	Port      int    `json:"port"`
	Running   bool   `json:"running"`
	Healthy   bool   `json:"healthy"`
	Detail    string `json:"detail"`
}

// Check returns the health of each recorded component.
func Check(st *State) []Health {
	var out []Health
	for _, c := range st.Components {
		h := Health{Component: c.Name, PID: c.PID, Port: c.Port, Running: Alive(c.PID)}
		switch c.Name {
		case CompPG:
			conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)), time.Second)
			if err == nil {
				conn.Close()
				h.Healthy, h.Detail = true, "accepting connections"
			} else {
				h.Detail = "not accepting connections"
			}
		case CompAPI:
			u := fmt.Sprintf("http://127.0.0.1:%d/ready", c.AdminPort)
			h.Healthy = Healthy(u)
			h.Detail = "admin " + u
		case CompCaddy:
			u := fmt.Sprintf("http://127.0.0.1:%d/healthz", c.Port)
			h.Healthy = Healthy(u)
			h.Detail = u
		}
		if !h.Running {
			h.Healthy = false
			h.Detail = "not running"
		}
		out = append(out, h)
	}
	return out
}
