package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/authstack/authstack/internal/pgserver"
)

// Component names, used as log prefixes, log file names and in status.
const (
	CompPG    = "pg"
	CompAPI   = "api"
	CompCaddy = "caddy"
)

// Components in start order (with more engines, api-2 ... and, with a
// standby, pg-replica and api-read come after api).
var Components = []string{CompPG, CompAPI, CompCaddy}

// State is .stack/state.json: what a running supervisor started.
type State struct {
	SupervisorPID int       `json:"supervisor_pid"`
	Status        string    `json:"status"` // starting, running
	Detached      bool      `json:"detached"`
	StartedAt     time.Time `json:"started_at"`
	Dir           string    `json:"dir"`
	URL           string    `json:"url"`
	DBName        string    `json:"db_name"`
	Restart       string    `json:"restart,omitempty"` // the restart policy, as --restart takes it
	// SecretID names the JWT secret the API engine and Caddy were started
	// with (SecretID; never the secret itself).
	SecretID string `json:"secret_id,omitempty"`
	// APIReplicas and PGReplicas are up's --api-replicas and --pg-replicas.
	APIReplicas int         `json:"api_replicas,omitempty"`
	PGReplicas  int         `json:"pg_replicas,omitempty"`
	Components  []Component `json:"components"`
}

// Component is one supervised process.
type Component struct {
	Name      string `json:"name"`
	PID       int    `json:"pid"`
	Host      string `json:"host,omitempty"` // listen address; "" is 127.0.0.1
	Port      int    `json:"port"`
	AdminPort int    `json:"admin_port,omitempty"`
	// Role: "primary" or "standby" (PostgreSQL); "primary" or "reads" (API
	// engines: the engines on the primary, or the one on the standby).
	Role    string `json:"role,omitempty"`
	Command string `json:"command"`
	Log     string `json:"log"`
	// Restarts counts the times the supervisor brought the component back
	// (a restart, or adopting a postmaster someone else started).
	Restarts   int        `json:"restarts"`
	LastExit   string     `json:"last_exit,omitempty"` // "killed by signal 9 (killed)", "exit status 1"
	LastExitAt *time.Time `json:"last_exit_at,omitempty"`
	// State is "running", or "restarting" while the supervisor waits to
	// start it again.
	State string `json:"state,omitempty"`
	// Adopted: a postmaster the supervisor did not start (e.g. after
	// `pg_ctl restart`), watched by its pid.
	Adopted bool `json:"adopted,omitempty"`
}

// Component returns the named component, or nil.
func (s *State) Component(name string) *Component {
	for i := range s.Components {
		if s.Components[i].Name == name {
			return &s.Components[i]
		}
	}
	return nil
}

func statePath(stateDir string) string { return filepath.Join(stateDir, "state.json") }

// LogDir is where the component logs are written.
func LogDir(stateDir string) string { return filepath.Join(stateDir, "logs") }

// LogPath is the log file of a component (or "supervisor").
func LogPath(stateDir, name string) string { return filepath.Join(LogDir(stateDir), name+".log") }

// DataDir is the PostgreSQL data directory of the native stack.
func DataDir(stateDir string) string { return filepath.Join(stateDir, "pgdata") }

// ReadState reads state.json; it returns (nil, nil) when there is none.
func ReadState(stateDir string) (*State, error) {
	b, err := os.ReadFile(statePath(stateDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s is damaged (%v): delete it if no stack is running", statePath(stateDir), err)
	}
	return &s, nil
}

func writeState(stateDir string, s *State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := statePath(stateDir) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, statePath(stateDir))
}

// Lock is the supervisor's exclusive lock on .stack/stack.lock: held for
// as long as a supervisor runs, so a second `up` can tell.
type Lock struct{ f *os.File }

// ErrRunning is returned when another supervisor holds the lock.
var ErrRunning = errors.New("stack already running")

// TryLock takes the lock without waiting.
func TryLock(stateDir string) (*Lock, error) {
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(stateDir, "stack.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrRunning
		}
		return nil, err
	}
	return &Lock{f: f}, nil
}

// Release drops the lock.
func (l *Lock) Release() {
	if l != nil && l.f != nil {
		_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		l.f.Close()
		l.f = nil
	}
}

// Running reports whether a supervisor holds the lock of stateDir.
func Running(stateDir string) bool {
	if _, err := os.Stat(stateDir); err != nil {
		return false
	}
	l, err := TryLock(stateDir)
	if err != nil {
		return errors.Is(err, ErrRunning)
	}
	l.Release()
	return false
}

// Alive reports whether a process with this pid exists (and is not a zombie).
func Alive(pid int) bool { return pgserver.Alive(pid) }

// PortError names a port that something else already uses.
type PortError struct {
	Host      string // "" or 127.0.0.1: the stack's usual address
	Port      int
	Var       string
	Component string
	Holder    string // "pid 123 (python3)" when it could be found
	Err       error
}

func (e *PortError) Error() string {
	by := "another program"
	if e.Holder != "" {
		by = e.Holder
	}
	on := ""
	if e.Host != "" && e.Host != "127.0.0.1" {
		on = " on " + e.Host
	}
	return fmt.Sprintf("port %d%s (%s, for %s) is already in use by %s: stop it, or set %s in .env to a free port",
		e.Port, on, e.Var, e.Component, by, e.Var)
}

// CheckPortFree fails with a *PortError when 127.0.0.1:port cannot be bound.
func CheckPortFree(port int, varName, component string) error {
	return CheckPortFreeOn("127.0.0.1", port, varName, component)
}

// CheckPortFreeOn fails with a *PortError when host:port cannot be bound
// (a *NotLocalError when host is no address of this machine).
func CheckPortFreeOn(host string, port int, varName, component string) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return bindFailure(host, port, varName, component, err)
	}
	return ln.Close()
}

// PortInUse reports whether something accepts connections on 127.0.0.1:port.
func PortInUse(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// portHolder finds the process listening on port through /proc (best effort:
// processes of other users are not visible to non-root).
func portHolder(port int) string {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fl := strings.Fields(line)
			if len(fl) < 10 || fl[3] != "0A" { // LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(fl[1], ":")
			if !ok {
				continue
			}
			if p, err := strconv.ParseInt(hexPort, 16, 32); err == nil && int(p) == port {
				inodes[fl[9]] = true
			}
		}
	}
	if len(inodes) == 0 {
		return ""
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		link, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			pid := strings.Split(fd, "/")[2]
			comm, _ := os.ReadFile("/proc/" + pid + "/comm")
			return fmt.Sprintf("pid %s (%s)", pid, strings.TrimSpace(string(comm)))
		}
	}
	return ""
}
