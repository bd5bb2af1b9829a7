package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/authstack/authstack/internal/pgserver"
)

// DiedError is returned when a component exits while the stack runs (or
// while it starts): which one, how, and its last log lines.
type DiedError struct {
	Component string
	Err       error
	Tail      string
}

func (e *DiedError) Error() string {
	how := "exited"
	if e.Err != nil {
		how = fmt.Sprintf("exited (%v)", e.Err)
	}
	msg := fmt.Sprintf("%s %s; the other components were stopped", e.Component, how)
	if e.Tail != "" {
		msg += fmt.Sprintf("\nlast lines of %s's log:\n%s", e.Component, indent(e.Tail))
	}
	return msg
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// Supervisor runs one native stack.
type Supervisor struct {
	Config   *Config
	Mux      *Mux
	Detached bool
	// Ready, when set, is called once every component is healthy.
	Ready func(*State)
	// StartTimeout bounds the whole start (default 120 s).
	StartTimeout time.Duration
	// Restart is what happens when a component exits while the stack
	// runs; the zero value is DefaultRestartPolicy.
	Restart RestartPolicy
	// Caddy is "builtin" or "" (`stackctl caddy run`) or the absolute path
	// of an external Caddy binary (CheckCaddyBinary checked it).
	Caddy string
	// Progress, when set, gets each start step's line as it happens (the
	// detached supervisor's pipe to `up --detach`); closed once started.
	Progress io.WriteCloser

	lock  *Lock
	pg    *pgserver.Cluster
	pgLog *LineWriter
	// replica is the streaming standby (up --pg-replicas 1), else nil
	replica    *pgserver.Cluster
	replicaLog *LineWriter
	procs      []*proc
	files      []io.Closer
	state      *State
	events     chan event
	quit       chan struct{}
}

type proc struct {
	name string
	argv []string
	env  map[string]string
	cmd  *exec.Cmd
	log  *LineWriter
	done chan struct{}
	err  error
}

// Run starts the stack, blocks until ctx ends (then stops it cleanly and
// returns nil) or a component dies and the restart policy does not bring
// it back (then stops the others and returns a *DiedError). A stack
// already running in the same state directory is an error that says so.
func (s *Supervisor) Run(ctx context.Context) (err error) {
	c := s.Config
	if s.Mux == nil {
		s.Mux = NewMux(nil)
	}
	if s.Restart.Mode == "" {
		s.Restart = DefaultRestartPolicy()
	}
	lock, err := TryLock(c.StateDir)
	if errors.Is(err, ErrRunning) {
		return AlreadyRunningError(c.StateDir)
	}
	if err != nil {
		return err
	}
	s.lock = lock
	defer s.lock.Release()
	defer func() {
		s.stopAll()
		_ = os.Remove(statePath(c.StateDir))
		for _, f := range s.files {
			f.Close()
		}
	}()

	if pid, err := StopStrayPostgres(c.StateDir); err != nil {
		return err
	} else if pid != 0 {
		s.Mux.Printf("%s", StrayStoppedMessage(c.StateDir, pid))
	}
	if err := c.CheckPorts(); err != nil {
		return err
	}
	if err := PrepareLogDir(LogDir(c.StateDir)); err != nil {
		return err
	}
	s.state = &State{SupervisorPID: os.Getpid(), Status: "starting", Detached: s.Detached,
		StartedAt: time.Now().UTC(), Dir: c.Dir, URL: c.BaseURL(), DBName: c.DBName, Restart: s.Restart.String(),
		SecretID: SecretID(c.JWTSecret), APIReplicas: max(c.APIReplicas, 1), PGReplicas: c.PGReplicas}
	if err := writeState(c.StateDir, s.state); err != nil {
		return err
	}

	timeout := s.StartTimeout
	if timeout == 0 {
		timeout = 120 * time.Second
	}
	startCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = s.start(startCtx)
	s.endProgress()
	if err != nil {
		if ctx.Err() != nil {
			s.Mux.Printf("interrupted during start; stopping")
			return nil
		}
		return err
	}
	s.state.Status = "running"
	if err := writeState(c.StateDir, s.state); err != nil {
		return err
	}
	if s.Ready != nil {
		s.Ready(s.state)
	}
	return s.wait(ctx)
}

// AlreadyRunningError describes the running stack of stateDir.
func AlreadyRunningError(stateDir string) error {
	msg := "a stack is already running from " + filepath.Dir(stateDir)
	if st, _ := ReadState(stateDir); st != nil {
		msg = fmt.Sprintf("a stack is already running from %s (supervisor pid %d, %s)", st.Dir, st.SupervisorPID, st.URL)
	}
	return fmt.Errorf("%s: see `stackctl status`, stop it with `stackctl down`", msg)
}

func (s *Supervisor) logFile(name string) (io.Writer, error) {
	return openLogOnce(&s.files, LogPath(s.Config.StateDir, name), s.Config.LogLimits)
}

func (s *Supervisor) start(ctx context.Context) error {
	t0 := time.Now()
	if err := s.startPG(ctx, t0); err != nil {
		return err
	}
	if err := s.prepareDB(ctx, t0); err != nil {
		return err
	}
	if s.Config.PGReplicas > 0 {
		if err := s.startReplica(ctx, t0); err != nil {
			return err
		}
	} else if err := s.dropStandby(ctx); err != nil {
		return err
	}
	if err := s.startEngines(ctx, t0); err != nil {
		return err
	}
	return s.startCaddy(ctx, t0)
}

// pgSettings are the postgresql.conf settings of the stack's clusters.
func pgSettings() map[string]string {
	// The cluster trusts its Unix socket (initdb --auth-local=trust, for
	// pg_ctl and single-user recovery): only its own OS user may reach it.
	return map[string]string{"timezone": "UTC", "unix_socket_permissions": "0700"}
}

// startPG creates the cluster when needed and starts PostgreSQL.
func (s *Supervisor) startPG(ctx context.Context, t0 time.Time) error {
	c := s.Config
	f, err := s.logFile(CompPG)
	if err != nil {
		return err
	}
	s.pgLog = s.Mux.Writer(CompPG, f)
	settings := pgSettings()
	if c.PGReplicas > 0 {
		// the standby's slot keeps WAL on the primary while the standby is
		// down; past this much, the slot is given up instead of the disk
		settings["max_slot_wal_keep_size"] = "1GB"
	}
	s.pg = &pgserver.Cluster{DataDir: DataDir(c.StateDir), Port: c.PGPort, Password: c.PostgresPassword, Log: s.pgLog, Settings: settings}
	if !s.pg.Initialized() {
		s.step("creating the PostgreSQL cluster in %s", s.pg.DataDir)
		if err := s.pg.Init(ctx); err != nil {
			return fmt.Errorf("pg: %w", err)
		}
	}
	if err := s.pg.Start(ctx); err != nil {
		return &DiedError{Component: CompPG, Err: err, Tail: s.pgLog.Tail(15)}
	}
	role := ""
	if c.PGReplicas > 0 {
		role = "primary"
	}
	s.state.Components = append(s.state.Components, Component{Name: CompPG, PID: s.pg.Pid(), Port: c.PGPort, Role: role,
		Command: "postgres -D " + s.pg.DataDir, Log: LogPath(c.StateDir, CompPG), State: "running"})
	_ = writeState(c.StateDir, s.state)
	s.step("PostgreSQL is ready on 127.0.0.1:%d (%s)", c.PGPort, since(t0))
	return nil
}

// prepareDB creates the app database, migrates and seeds it, and makes its
// secret and the authenticator's password those of .env.
func (s *Supervisor) prepareDB(ctx context.Context, t0 time.Time) error {
	c := s.Config
	if err := s.createDatabase(ctx); err != nil {
		return err
	}
	mf, err := s.logFile("migrate")
	if err != nil {
		return err
	}
	if err := s.runStep(ctx, mf, []string{"migrate", "up"}); err != nil {
		return err
	}
	s.step("database %s migrated (%s)", c.DBName, since(t0))
	if !c.NoSeed {
		if err := s.runStep(ctx, mf, []string{"seed", "demo"}); err != nil {
			return err
		}
		s.step("demo users seeded (%s)", since(t0))
	}
	if err := s.syncSecret(ctx); err != nil {
		return err
	}
	return s.syncAuthenticator(ctx)
}

// startEngines starts every API engine (Config.Engines), then waits until
// each one's admin /ready answers 200.
func (s *Supervisor) startEngines(ctx context.Context, t0 time.Time) error {
	c := s.Config
	argv := []string{c.Exe, "postgrest"}
	if c.Postgrest != "" && c.Postgrest != "builtin" {
		argv = []string{c.Postgrest}
	}
	engines := c.Engines()
	procs := make([]*proc, len(engines))
	for i, e := range engines {
		p, err := s.startProc(e.Name, argv, c.EngineEnv(e))
		if err != nil {
			return err
		}
		procs[i] = p
		role := ""
		switch {
		case e.Reads:
			role = "reads"
		case c.PGReplicas > 0:
			role = "primary"
		}
		host := e.Host
		if host == "127.0.0.1" {
			host = "" // as before there were several engines
		}
		s.state.Components = append(s.state.Components, Component{Name: e.Name, PID: p.cmd.Process.Pid, Host: host, Port: e.Port,
			AdminPort: e.AdminPort, Role: role, Command: strings.Join(argv, " "), Log: LogPath(c.StateDir, e.Name), State: "running"})
	}
	_ = writeState(c.StateDir, s.state)
	var addrs []string
	for i, e := range engines {
		if err := s.waitHealthy(ctx, procs[i], "http://"+e.AdminAddr()+"/ready"); err != nil {
			return err
		}
		addrs = append(addrs, e.Addr())
	}
	if len(engines) == 1 {
		s.step("API engine is ready on %s (%s)", addrs[0], since(t0))
	} else {
		s.step("%d API engines are ready on %s (%s)", len(engines), strings.Join(addrs, ", "), since(t0))
	}
	return nil
}

// startCaddy starts the gateway and waits until its /healthz answers 200.
func (s *Supervisor) startCaddy(ctx context.Context, t0 time.Time) error {
	c := s.Config
	if _, err := os.Stat(c.Caddyfile); err != nil {
		return fmt.Errorf("caddy: %s not found: run stackctl up from the project directory (the one with caddy/Caddyfile)", c.Caddyfile)
	}
	caddyArgv := CaddyArgv(c, s.Caddy)
	cd, err := s.startProc(CompCaddy, caddyArgv, c.CaddyEnv())
	if err != nil {
		return err
	}
	s.state.Components = append(s.state.Components, Component{Name: CompCaddy, PID: cd.cmd.Process.Pid, Port: c.HTTPPort,
		Command: strings.Join(caddyArgv, " "), Log: LogPath(c.StateDir, CompCaddy), State: "running"})
	_ = writeState(c.StateDir, s.state)
	if err := s.waitHealthy(ctx, cd, fmt.Sprintf("http://127.0.0.1:%d/healthz", c.HTTPPort)); err != nil {
		return err
	}
	s.step("Caddy is ready on %s (%s)", c.BaseURL(), since(t0))
	return nil
}

// step reports a start step in the log and, when set, to Progress.
func (s *Supervisor) step(format string, a ...any) {
	s.Mux.Printf(format, a...)
	if s.Progress != nil {
		// a parent that went away (EPIPE) must not stop the start
		_, _ = fmt.Fprintf(s.Progress, format+"\n", a...)
	}
}

func (s *Supervisor) endProgress() {
	if s.Progress != nil {
		s.Progress.Close()
		s.Progress = nil
	}
}

func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }

func (s *Supervisor) startProc(name string, argv []string, env map[string]string) (*proc, error) {
	f, err := s.logFile(name)
	if err != nil {
		return nil, err
	}
	p := &proc{name: name, argv: argv, env: env, log: s.Mux.Writer(name, f)}
	if err := s.spawn(p); err != nil {
		return nil, err
	}
	s.procs = append(s.procs, p)
	return p, nil
}

// spawn starts p's program; a restart spawns a new proc with the same
// program, environment and log writer.
func (s *Supervisor) spawn(p *proc) error {
	p.done = make(chan struct{})
	p.cmd = exec.Command(p.argv[0], p.argv[1:]...)
	p.cmd.Dir = s.Config.Dir
	p.cmd.Env = envList(p.env)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	// own process group: Ctrl-C reaches the supervisor only, which stops
	// the components in order; SIGTERM if the supervisor itself dies.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("%s: start %s: %w", p.name, p.argv[0], err)
	}
	go func() {
		p.err = p.cmd.Wait()
		p.log.Flush()
		close(p.done)
	}()
	return nil
}

var healthClient = &http.Client{Timeout: 2 * time.Second}

// Healthy reports whether url answers 200.
func Healthy(url string) bool {
	resp, err := healthClient.Get(url)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (s *Supervisor) waitHealthy(ctx context.Context, p *proc, url string) error {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		if Healthy(url) {
			return nil
		}
		select {
		case <-p.done:
			return &DiedError{Component: p.name, Err: p.err, Tail: p.log.Tail(15)}
		case <-ctx.Done():
			return fmt.Errorf("%s did not become healthy (%s): %w\nlast lines of %s's log:\n%s", p.name, url, ctx.Err(), p.name, indent(p.log.Tail(15)))
		case <-tick.C:
		}
	}
}

// stopAll stops the components in reverse start order.
func (s *Supervisor) stopAll() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		select {
		case <-p.done:
			continue
		default:
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		// anything the component left in its process group goes too
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	s.procs = nil
	if s.replica != nil {
		_ = s.replica.Stop()
		s.replica = nil
	}
	if s.pg != nil {
		_ = s.pg.Stop()
		s.pg = nil
	}
	// a postmaster someone else started on the data directory (pg_ctl
	// restart while --restart no) must not outlive the stack either
	if pid, err := StopStrayPostgres(s.Config.StateDir); err != nil {
		s.Mux.Printf("%v", err)
	} else if pid != 0 {
		s.Mux.Printf("stopped PostgreSQL pid %d, started on %s outside the supervisor", pid, DataDir(s.Config.StateDir))
	}
}
