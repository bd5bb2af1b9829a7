// Package pgserver finds the PostgreSQL server binaries on this machine and
// runs a private PostgreSQL cluster: initdb into a directory of ours, then a
// postmaster listening on 127.0.0.1 only. PostgreSQL refuses to run as root,
// so when we are root the cluster is created and run as an unprivileged user
// (the Debian "postgres" user when it exists, else "nobody").
//
// It is used by the tests (internal/pgtest) and by the native stack
// (stackctl up), so both start PostgreSQL the same way.
package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// InstallHint is the message given when the PostgreSQL server binaries are missing.
const InstallHint = "PostgreSQL server binaries (initdb, postgres) not found on PATH or in /usr/lib/postgresql/*/bin: " +
	"install Debian's package with `apt-get install -y postgresql` (or run scripts/install-deps.sh)"

// ErrNotInstalled is returned by FindBinDir when no PostgreSQL server is installed.
var ErrNotInstalled = errors.New(InstallHint)

// FindBinDir returns the directory holding initdb and postgres. It prefers
// $PG_BINDIR, then the PATH, then the newest /usr/lib/postgresql/<major>/bin.
func FindBinDir() (string, error) {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
		return "", fmt.Errorf("PG_BINDIR=%s does not contain initdb and postgres", d)
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		d := filepath.Dir(p)
		if isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", ErrNotInstalled
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Version returns the major version of the server binaries in binDir (e.g. 15).
func Version(binDir string) (int, error) {
	out, err := exec.Command(filepath.Join(binDir, "postgres"), "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("postgres --version: %w", err)
	}
	// "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
	f := strings.Fields(string(out))
	if len(f) < 3 {
		return 0, fmt.Errorf("unexpected postgres --version output %q", out)
	}
	major, err := strconv.Atoi(strings.SplitN(f[2], ".", 2)[0])
	if err != nil {
		return 0, fmt.Errorf("unexpected postgres --version output %q", out)
	}
	return major, nil
}

// RunAs is the unprivileged account the cluster runs as when we are root.
type RunAs struct {
	Name     string
	UID, GID uint32
}

// Account returns the account PostgreSQL must run as: nil when the current
// user is not root, else the "postgres" user, else "nobody".
func Account() (*RunAs, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &RunAs{Name: name, UID: uint32(uid), GID: uint32(gid)}, nil
	}
	return nil, errors.New("running as root, and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL as (PostgreSQL refuses to run as root)")
}

// Cluster describes a PostgreSQL data directory and how to run it.
type Cluster struct {
	BinDir    string // directory with initdb and postgres
	DataDir   string // PGDATA
	Port      int    // TCP port on Host
	Host      string // listen address, default 127.0.0.1
	SuperUser string // bootstrap superuser name, default "postgres"
	// Password of the superuser. Empty means trust authentication on
	// loopback (tests); otherwise scram-sha-256 is required for TCP.
	Password string
	// Settings are extra postgresql.conf settings passed with -c at start.
	Settings map[string]string
	// KeepRunning leaves the server running when this process exits
	// (a detached native stack). By default the server gets SIGQUIT when
	// its parent dies, so a crashed test leaves nothing behind.
	KeepRunning bool
	// Log receives the server's stdout and stderr. Nil discards them
	// (the last lines are still kept for error messages).
	Log io.Writer

	runAs   *RunAs
	cmd     *exec.Cmd
	adopted int // pid of a postmaster we did not start (Adopt)
	tail    *tailBuffer
	done    chan struct{}
	err     error
}

func (c *Cluster) defaults() error {
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.SuperUser == "" {
		c.SuperUser = "postgres"
	}
	if c.BinDir == "" {
		d, err := FindBinDir()
		if err != nil {
			return err
		}
		c.BinDir = d
	}
	if c.runAs == nil {
		a, err := Account()
		if err != nil {
			return err
		}
		c.runAs = a
	}
	return nil
}

// SocketDir is where the server puts its Unix socket (inside the data directory's parent).
func (c *Cluster) SocketDir() string { return filepath.Join(filepath.Dir(c.DataDir), "sock") }

// Initialized reports whether DataDir already holds a cluster.
func (c *Cluster) Initialized() bool {
	_, err := os.Stat(filepath.Join(c.DataDir, "PG_VERSION"))
	return err == nil
}

// makeDataDir creates DataDir (owner-only) and the socket directory for
// the cluster's account, and makes the path to DataDir traversable for it;
// it returns DataDir's parent.
func (c *Cluster) makeDataDir() (string, error) {
	if err := c.defaults(); err != nil {
		return "", err
	}
	parent := filepath.Dir(c.DataDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return "", err
	}
	if err := os.MkdirAll(c.SocketDir(), 0o755); err != nil {
		return "", err
	}
	if err := c.chown(c.DataDir, c.SocketDir()); err != nil {
		return "", err
	}
	return parent, c.makeReachable(parent)
}

// Init runs initdb into DataDir, which must not exist or be empty.
func (c *Cluster) Init(ctx context.Context) error {
	parent, err := c.makeDataDir()
	if err != nil {
		return err
	}
	args := []string{"-D", c.DataDir, "-U", c.SuperUser, "-E", "UTF8", "--locale=C", "--no-sync"}
	if c.Password != "" {
		pwFile := filepath.Join(parent, ".initdb-pw")
		if err := os.WriteFile(pwFile, []byte(c.Password+"\n"), 0o600); err != nil {
			return err
		}
		defer os.Remove(pwFile)
		if err := c.chown(pwFile); err != nil {
			return err
		}
		args = append(args, "--pwfile="+pwFile, "--auth-local=trust", "--auth-host=scram-sha-256")
	} else {
		args = append(args, "--auth=trust")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, "initdb"), args...)
	c.prepare(cmd)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", c.DataDir, err, lastLines(out.String(), 15))
	}
	return nil
}

// Start launches the postmaster and waits until it accepts connections or
// the context ends.
func (c *Cluster) Start(ctx context.Context) error {
	if err := c.defaults(); err != nil {
		return err
	}
	if c.Port == 0 {
		p, err := FreePort()
		if err != nil {
			return err
		}
		c.Port = p
	}
	if err := os.MkdirAll(c.SocketDir(), 0o755); err != nil {
		return err
	}
	if err := c.chown(c.SocketDir()); err != nil {
		return err
	}
	if ln, err := net.Listen("tcp", net.JoinHostPort(c.Host, strconv.Itoa(c.Port))); err != nil {
		return fmt.Errorf("PostgreSQL port %s:%d is already in use by another program: %w", c.Host, c.Port, err)
	} else {
		ln.Close()
	}
	args := []string{"-D", c.DataDir, "-p", strconv.Itoa(c.Port), "-k", c.SocketDir(),
		"-c", "listen_addresses=" + c.Host}
	keys := make([]string, 0, len(c.Settings))
	for k := range c.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+c.Settings[k])
	}
	cmd := exec.Command(filepath.Join(c.BinDir, "postgres"), args...)
	c.prepare(cmd)
	c.tail = &tailBuffer{max: 64 << 10}
	var w io.Writer = c.tail
	if c.Log != nil {
		w = io.MultiWriter(c.tail, c.Log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	c.cmd, c.adopted = cmd, 0
	done := make(chan struct{})
	c.done, c.err = done, nil
	go func() {
		err := cmd.Wait()
		c.err = err
		close(done)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if c.ready() {
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("postgres exited during startup (%v):\n%s", c.err, lastLines(c.tail.String(), 15))
		case <-ctx.Done():
			_ = c.Stop()
			return fmt.Errorf("postgres did not become ready: %w\n%s", ctx.Err(), lastLines(c.tail.String(), 15))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = c.Stop()
			return fmt.Errorf("postgres did not become ready within 60s:\n%s", lastLines(c.tail.String(), 15))
		}
	}
}

// ready reports whether the server accepts connections: the postmaster
// writes its pid and, once it does, "ready" into postmaster.pid.
func (c *Cluster) ready() bool {
	b, err := os.ReadFile(filepath.Join(c.DataDir, "postmaster.pid"))
	if err != nil {
		return false
	}
	lines := strings.Split(string(b), "\n")
	// a postmaster that was killed leaves its file behind, "ready" included
	if strings.TrimSpace(lines[0]) != strconv.Itoa(c.Pid()) {
		return false
	}
	if len(lines) < 8 || strings.TrimSpace(lines[7]) != "ready" {
		return false
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// Pid returns the postmaster's process id, or 0 when it is not running.
func (c *Cluster) Pid() int {
	if c.adopted != 0 {
		return c.adopted
	}
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

// Done is closed when the postmaster exits.
func (c *Cluster) Done() <-chan struct{} { return c.done }

// Err is how the postmaster exited (its *exec.ExitError, nil for exit
// status 0), once Done is closed. For an adopted postmaster, which is not
// our child, the exit status cannot be known: it is ErrAdoptedExited.
func (c *Cluster) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// ErrAdoptedExited is the Err of an adopted postmaster that exited.
var ErrAdoptedExited = errors.New("exited (not our child: exit status unknown)")

// Adopted reports whether the running postmaster is one we adopted.
func (c *Cluster) Adopted() bool { return c.adopted != 0 }

// adoptPoll is how often an adopted postmaster is checked: it is not our
// child, so its exit is seen by polling, not by wait(2).
const adoptPoll = 100 * time.Millisecond

// Adopt makes c supervise a postmaster on its data directory that it did
// not start (one `pg_ctl restart` started, say): Pid is that pid, Done is
// closed when it exits, Stop stops it. It fails unless pid is the live
// postmaster of DataDir.
func (c *Cluster) Adopt(pid int) error {
	pf := Postmaster(c.DataDir)
	if pf == nil || pf.PID != pid {
		return fmt.Errorf("pid %d is not the postmaster of %s", pid, c.DataDir)
	}
	c.cmd, c.adopted = nil, pid
	done := make(chan struct{})
	c.done, c.err = done, ErrAdoptedExited
	go func() {
		for Alive(pid) {
			time.Sleep(adoptPoll)
		}
		close(done)
	}()
	return nil
}

// Tail returns the last lines the server wrote.
func (c *Cluster) Tail(n int) string {
	if c.tail == nil {
		return ""
	}
	return lastLines(c.tail.String(), n)
}

// Stop shuts the server down with a fast shutdown (SIGINT) and waits for it;
// after 30 s it sends SIGQUIT (immediate shutdown), then SIGKILL.
func (c *Cluster) Stop() error {
	if c.adopted != 0 {
		err := StopPostmaster(c.DataDir, c.adopted, 30*time.Second)
		if err == nil {
			<-c.done
		}
		return err
	}
	if c.cmd == nil || c.cmd.Process == nil {
		return nil
	}
	select {
	case <-c.done:
		return nil
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	for _, step := range []struct {
		wait time.Duration
		sig  syscall.Signal
	}{{30 * time.Second, syscall.SIGQUIT}, {5 * time.Second, syscall.SIGKILL}} {
		select {
		case <-c.done:
			return nil
		case <-time.After(step.wait):
			_ = c.cmd.Process.Signal(step.sig)
		}
	}
	<-c.done
	return nil
}

// URL returns a connection URL for database db as the superuser.
func (c *Cluster) URL(db string) string {
	return ConnURL(c.SuperUser, c.Password, c.Host, c.Port, db)
}

// ConnURL builds a postgres:// URL with sslmode=disable; an empty password
// is left out.
func ConnURL(user, password, host string, port int, db string) string {
	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(host, strconv.Itoa(port)), Path: "/" + db, RawQuery: "sslmode=disable"}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	return u.String()
}

func (c *Cluster) prepare(cmd *exec.Cmd) {
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if !c.KeepRunning {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	}
	if c.runAs != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: c.runAs.UID, Gid: c.runAs.GID}
		cmd.Dir = "/"
		cmd.Env = append(cmd.Env, "HOME=/tmp", "USER="+c.runAs.Name)
	}
}

func (c *Cluster) chown(paths ...string) error {
	if c.runAs == nil {
		return nil
	}
	for _, p := range paths {
		err := filepath.Walk(p, func(path string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, int(c.runAs.UID), int(c.runAs.GID))
		})
		if err != nil {
			return fmt.Errorf("chown %s to %s: %w", p, c.runAs.Name, err)
		}
	}
	return nil
}

// makeReachable makes sure the unprivileged account can traverse every
// directory above dir (a root-owned 0700 temp or home directory would stop it).
func (c *Cluster) makeReachable(dir string) error {
	if c.runAs == nil {
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for d := abs; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, st.Mode().Perm()|0o011); err != nil {
				return fmt.Errorf("make %s traversable for %s: %w", d, c.runAs.Name, err)
			}
		}
		if d == "/" || d == filepath.Dir(d) {
			return nil
		}
	}
}

// FreePort returns a TCP port free on 127.0.0.1 for a server to bind a
// moment later. It is picked at random below the kernel's ephemeral range
// (ip_local_port_range): a port the kernel hands out for ":0" is one it
// also hands out as the local port of outgoing connections, and under
// load one of those took such a port between the pick and the bind
// ("address already in use"). Without a free port there, the kernel picks.
func FreePort() (int, error) {
	low := ephemeralLow()
	for i := 0; i < 64 && low > 10000; i++ {
		p := 10000 + rand.IntN(low-10000)
		if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p))); err == nil {
			ln.Close()
			return p, nil
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// default 32768 when it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1024 || n > 65535 {
		return 32768
	}
	return n
}

type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
