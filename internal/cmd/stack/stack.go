// Package stack implements `stackctl up`, `down`, `status` and `logs`: the
// commands around the native stack supervisor (internal/stack) and the
// Docker path (compose.yaml).
package stack

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/joho/godotenv"
	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/pgserver"
	"github.com/authstack/authstack/internal/stack"
)

// NewCmds returns up, down, status and logs.
func NewCmds(f *cmdutil.Factory) []*cobra.Command {
	return []*cobra.Command{newUp(f), newDown(f), newStatus(f), newLogs(f)}
}

type upOpts struct {
	detach, noSeed, docker, supervise, quiet bool
	postgrest, caddy, restart                string
	timeout                                  time.Duration
	// apiReplicas is --api-replicas (0: not given, POSTGREST_REPLICAS or
	// 1); pgReplicas is --pg-replicas
	apiReplicas, pgReplicas int
	// progressFD is the supervisor's end of the pipe startDetached reads
	// the start steps from (0: none)
	progressFD int
}

func newUp(f *cmdutil.Factory) *cobra.Command {
	o := &upOpts{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the whole stack natively: PostgreSQL, migrations + demo seed, the API engine and Caddy on :8000",
		Long: `Start the whole stack without Docker, from the project directory (the one with caddy/Caddyfile):
PostgreSQL from the binaries on PATH with its data in .stack/pgdata (kept across up/down), the app
database migrated and seeded, the PostgREST-compatible engine and Caddy on STACK_HTTP_PORT (8000).
Creates .env with fresh secrets when it is missing. Runs in the foreground with one prefixed log
stream (Ctrl-C stops everything; exit status 130, 143 for SIGTERM) unless --detach is given, which
prints each start step on stderr as it completes. --quiet prints only errors and, once the stack is
up, its URL on stdout.

--caddy PATH runs an external Caddy (one built with xcaddy and caddy-jwt, say) with the same
caddy/Caddyfile instead of the built-in one; up refuses a binary without the
http.authentication.providers.jwt module.

A component that fails while the stack runs is started again (--restart on-failure, the default:
after 1 s, doubling to 30 s, at most 10 times in a row; a run of 30 s resets both); PostgreSQL is
restarted on the same data directory, and a postmaster started outside the supervisor (pg_ctl
restart) is supervised by its pid. --restart no stops the whole stack instead.

--api-replicas N runs N API engines behind Caddy (default POSTGREST_REPLICAS from .env, else 1),
engine i on 127.0.0.i with the same two ports (POSTGREST_PORT, POSTGREST_ADMIN_PORT); Caddy
checks each one's /ready every second and retries a GET or HEAD (never a POST that reached an
engine) on another, so losing one engine loses no read. --pg-replicas 1 adds a streaming standby
(pg_basebackup, on STACK_PG_REPLICA_PORT, default STACK_PG_PORT+1, made afresh at each up) and an
engine on it (api-read): Caddy sends GET and HEAD on /rest/* there, everything else to the
primary's engines, and reads to the primary's engines while the standby is down. Reads from the
standby can lag behind a write: docs/stack.md says how an app reads its own writes.

With --docker it runs compose.yaml instead: docker compose up -d --build (--api-replicas N adds
--scale postgrest=N), then migrate and seed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("api-replicas") {
				o.apiReplicas = 0
			} else if o.apiReplicas < 1 || o.apiReplicas > stack.MaxAPIReplicas {
				return fmt.Errorf("--api-replicas %d: give a number of API engines from 1 to %d", o.apiReplicas, stack.MaxAPIReplicas)
			}
			return runUp(cmd.Context(), f, o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&o.detach, "detach", "d", false, "run in the background (logs in .stack/logs, manage with status/logs/down)")
	fl.BoolVar(&o.noSeed, "no-seed", false, "skip seeding the demo users (stackctl seed demo)")
	fl.BoolVar(&o.docker, "docker", false, "run compose.yaml with Docker instead of the native stack")
	fl.StringVar(&o.postgrest, "postgrest", "builtin", "API engine: builtin (stackctl postgrest) or the path of a real postgrest binary")
	fl.StringVar(&o.caddy, "caddy", "builtin", "gateway: builtin (stackctl caddy) or the path of a Caddy binary with the caddy-jwt module")
	fl.BoolVarP(&o.quiet, "quiet", "q", false, "print only errors and, once the stack is up, its URL (no progress, no banner)")
	fl.DurationVar(&o.timeout, "timeout", 120*time.Second, "how long to wait for the stack to become healthy")
	fl.StringVar(&o.restart, "restart", stack.DefaultRestartPolicy().String(), "when a component exits: no (stop the stack), on-failure[:N] (restart it, at most N times in a row) or always")
	fl.IntVar(&o.apiReplicas, "api-replicas", 1, "API engines behind Caddy, each on its own 127.0.0.x (default: POSTGREST_REPLICAS from .env, else 1)")
	fl.IntVar(&o.pgReplicas, "pg-replicas", 0, "1: a streaming PostgreSQL standby with an engine on it for GET/HEAD on /rest/* (native only)")
	fl.BoolVar(&o.supervise, "supervise", false, "run as the detached supervisor (internal)")
	_ = fl.MarkHidden("supervise")
	fl.IntVar(&o.progressFD, "progress-fd", 0, "write start steps to this file descriptor (internal)")
	_ = fl.MarkHidden("progress-fd")
	return cmd
}

func exePath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot find the stackctl binary: %w", err)
	}
	return exe, nil
}

// ensureEnv creates .env with fresh secrets (`stackctl secret gen`) when
// it is missing, then loads it.
func ensureEnv(f *cmdutil.Factory, exe string, quiet bool) error {
	if f.EnvFound() {
		return nil
	}
	if _, err := os.Stat(f.EnvFile); err == nil {
		return nil
	}
	var notes io.Writer = f.ErrOut
	var buf bytes.Buffer
	if quiet {
		notes = &buf // shown only if secret gen fails
	}
	fmt.Fprintf(notes, "stackctl: %s is missing; creating it with fresh secrets (stackctl secret gen)\n", f.EnvFile)
	// (a missing explicit --env-file already failed in LoadEnv, so this is
	// the default .env, which is where `secret gen` writes)
	gen := exec.Command(exe, "secret", "gen")
	gen.Dir = filepath.Dir(f.EnvFile) // the project root: .env.example is there
	gen.Stdout, gen.Stderr = notes, notes
	if err := gen.Run(); err != nil {
		_, _ = buf.WriteTo(f.ErrOut)
		return fmt.Errorf("stackctl secret gen: %w", err)
	}
	if err := godotenv.Load(f.EnvFile); err != nil {
		return fmt.Errorf("env file %s is not valid dotenv syntax: %w", f.EnvFile, err)
	}
	return nil
}

// loadConfig reads the project's settings; the project is found from any
// of its subdirectories (cmdutil.FindProject).
func loadConfig(f *cmdutil.Factory) (*stack.Config, error) {
	root, err := f.Project()
	if err != nil {
		return nil, err
	}
	return stack.LoadConfig(root, f.EnvFile)
}

func envError(f *cmdutil.Factory, err error) error {
	var ce *stack.ConfigError
	if errors.As(err, &ce) {
		return fmt.Errorf("%s (in %s or the environment): %w", ce.Var, f.EnvFile, err)
	}
	return err
}

func runUp(ctx context.Context, f *cmdutil.Factory, o *upOpts) error {
	if ctx == nil {
		ctx = context.Background()
	}
	exe, err := exePath()
	if err != nil {
		return err
	}
	// Outside a project nothing is written (not even .env).
	if _, err := f.Project(); err != nil {
		return err
	}
	// a wrong --postgrest, --caddy or --pg-replicas changes nothing either
	if o.docker && o.pgReplicas != 0 {
		return errors.New("--pg-replicas is for the native stack: compose.yaml runs one PostgreSQL (replicated PostgreSQL belongs to an operator: deploy/kubernetes)")
	}
	if o.pgReplicas < 0 || o.pgReplicas > stack.MaxPGReplicas {
		return fmt.Errorf("--pg-replicas %d: the native stack runs 0 or 1 standby", o.pgReplicas)
	}
	if !o.docker {
		if err := resolveBinaries(ctx, o); err != nil {
			return err
		}
	}
	if err := ensureEnv(f, exe, o.quiet); err != nil {
		return err
	}
	c, err := loadConfig(f)
	if err != nil {
		return envError(f, err)
	}
	c.Exe, c.NoSeed = exe, o.noSeed
	if err := c.Validate(); err != nil {
		return envError(f, err)
	}
	if o.docker {
		return runDockerUp(ctx, f, c, o)
	}
	if err := setScale(f, c, o); err != nil {
		return err
	}
	policy, err := stack.ParseRestartPolicy(o.restart)
	if err != nil {
		return err
	}
	if o.postgrest != "builtin" {
		c.Postgrest = o.postgrest
	}
	if _, err := pgserver.FindBinDir(); err != nil {
		return err
	}
	if _, err := os.Stat(c.Caddyfile); err != nil {
		return fmt.Errorf("%s not found: run stackctl up from the project directory (the one with caddy/Caddyfile)", c.Caddyfile)
	}
	if stack.Running(c.StateDir) {
		return stack.AlreadyRunningError(c.StateDir)
	}
	if err := stopStray(f, c, o.quiet); err != nil {
		return err
	}
	if err := c.CheckPorts(); err != nil {
		return err
	}
	if o.detach && !o.supervise {
		return startDetached(f, c, o)
	}
	return runSupervisor(ctx, f, c, o, policy)
}

// setScale applies --api-replicas (or POSTGREST_REPLICAS) and --pg-replicas.
func setScale(f *cmdutil.Factory, c *stack.Config, o *upOpts) error {
	if o.apiReplicas == 0 {
		n, err := stack.DefaultAPIReplicas()
		if err != nil {
			return envError(f, err)
		}
		o.apiReplicas = n
	}
	if err := c.SetScale(o.apiReplicas, o.pgReplicas); err != nil {
		return envError(f, err)
	}
	return nil
}

// resolveBinaries makes --postgrest and --caddy absolute paths of
// executables (the detached supervisor runs elsewhere than the shell's
// PATH lookup), and checks that an external Caddy has the JWT module.
func resolveBinaries(ctx context.Context, o *upOpts) error {
	if o.postgrest != "builtin" {
		p, err := exec.LookPath(o.postgrest)
		if err != nil {
			return fmt.Errorf("--postgrest=%s: not an executable postgrest binary (%v); use --postgrest=builtin for the built-in engine", o.postgrest, err)
		}
		if o.postgrest, err = filepath.Abs(p); err != nil {
			return err
		}
	}
	if o.caddy != "builtin" {
		p, err := exec.LookPath(o.caddy)
		if err != nil {
			return fmt.Errorf("--caddy=%s: not an executable Caddy binary (%v); use --caddy=builtin for the built-in Caddy", o.caddy, err)
		}
		if p, err = filepath.Abs(p); err != nil {
			return err
		}
		// the detached parent checked it already
		if !o.supervise {
			if err := stack.CheckCaddyBinary(ctx, p, stack.CaddyCheckTimeout); err != nil {
				return err
			}
		}
		o.caddy = p
	}
	return nil
}

// runSupervisor runs the stack in this process: the foreground `up`, or
// the detached supervisor (--supervise). A foreground stack stopped by a
// signal exits 128+signal (130 for Ctrl-C, 143 for SIGTERM), as shells do.
func runSupervisor(ctx context.Context, f *cmdutil.Factory, c *stack.Config, o *upOpts, policy stack.RestartPolicy) error {
	sigCtx, caught, stop := stopSignals(ctx)
	defer stop()
	if o.supervise {
		signal.Ignore(syscall.SIGHUP)
	}
	// The stream also goes to .stack/logs/stack.log for `stackctl logs`,
	// rotated at its cap; the foreground run moves the previous run's file
	// aside, the detached supervisor appends to the one startDetached made.
	lf, err := openStackLog(c, !o.supervise)
	if err != nil {
		return err
	}
	defer lf.Close()
	var out io.Writer = io.MultiWriter(f.Out, lf)
	if o.supervise {
		// stdout is the raw stack.log (for early errors): write once
		out = lf
	}
	sup := &stack.Supervisor{
		Config:       c,
		Mux:          stack.NewMux(out),
		Detached:     o.supervise,
		StartTimeout: o.timeout,
		Restart:      policy,
		Caddy:        o.caddy,
		Ready: func(st *stack.State) {
			if !o.supervise {
				printUp(f, c, st, o.quiet, false)
			}
		},
	}
	if o.progressFD > 0 {
		// not inherited by the components: the parent reads to EOF
		syscall.CloseOnExec(o.progressFD)
		sup.Progress = os.NewFile(uintptr(o.progressFD), "progress")
	}
	err = sup.Run(sigCtx)
	if o.supervise {
		// into the rotating log, where `status` looks for how the run ended
		// (stderr may be a rotated-away file by now)
		if err != nil {
			cmdutil.PrintError(lf, err)
			return &cmdutil.ExitError{Code: 1}
		}
		fmt.Fprintln(lf, "stackctl: stack stopped")
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(f.ErrOut, "stackctl: stack stopped")
	if sig := caught(); sig != 0 {
		return &cmdutil.ExitError{Code: 128 + int(sig)}
	}
	return nil
}

// printUp is what up prints once the stack is healthy: the banner, or with
// --quiet only the URL (for scripts).
func printUp(f *cmdutil.Factory, c *stack.Config, st *stack.State, quiet, detached bool) {
	if quiet {
		fmt.Fprintln(f.Out, c.BaseURL())
		return
	}
	stack.PrintBanner(f.Out, c, st, detached)
}

// stopSignals is signal.NotifyContext for SIGINT and SIGTERM that also
// tells which one arrived first (0: none).
func stopSignals(parent context.Context) (context.Context, func() syscall.Signal, func()) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	var got atomic.Int32
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			if ss, ok := s.(syscall.Signal); ok {
				got.Store(int32(ss))
			}
			cancel()
		case <-done:
		}
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel()
		})
	}
	return ctx, func() syscall.Signal { return syscall.Signal(got.Load()) }, stop
}

// stopStray stops a PostgreSQL left running on the stack's data directory
// with no supervisor (one `pg_ctl restart` started under a supervisor that
// was killed since): it would hold the port and the data directory.
func stopStray(f *cmdutil.Factory, c *stack.Config, quiet bool) error {
	pid, err := stack.StopStrayPostgres(c.StateDir)
	if err != nil {
		return fmt.Errorf("%w: stop it by hand (`pg_ctl stop -m fast -D %s`) and run up again", err, stack.DataDir(c.StateDir))
	}
	if pid != 0 && !quiet {
		fmt.Fprintf(f.ErrOut, "stackctl: %s\n", stack.StrayStoppedMessage(c.StateDir, pid))
	}
	return nil
}

// startDetached starts `stackctl up --supervise` in its own session, its
// output in .stack/logs/stack.log, and waits until it reports the stack
// running, or reports why it stopped.
func startDetached(f *cmdutil.Factory, c *stack.Config, o *upOpts) error {
	// The previous run's stack.log becomes a backup; the supervisor's raw
	// stdout and stderr (errors before its own log is open) append to the
	// new file, which the supervisor then writes through the rotating writer.
	prev, err := openStackLog(c, true)
	if err != nil {
		return err
	}
	prev.Close()
	logPath := stack.LogPath(c.StateDir, "stack")
	lf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer lf.Close()
	args := []string{"--env-file", f.EnvFile, "up", "--supervise", "--detach", "--postgrest", c.Postgrest,
		"--caddy", o.caddy, "--timeout", o.timeout.String(), "--restart", o.restart, "--progress-fd", "3",
		"--api-replicas", strconv.Itoa(c.APIReplicas), "--pg-replicas", strconv.Itoa(c.PGReplicas)}
	if o.noSeed {
		args = append(args, "--no-seed")
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devnull.Close()
	// the start steps come through a pipe (fd 3 of the supervisor), as
	// they happen; it closes once the stack is up or the start failed
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	cmd := exec.Command(c.Exe, args...)
	cmd.Dir = c.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, lf, lf
	cmd.ExtraFiles = []*os.File{pw}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return fmt.Errorf("start the supervisor: %w", err)
	}
	progress := make(chan string, 64)
	go readProgress(pr, progress)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(o.timeout + 10*time.Second)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	for {
		select {
		case s := <-sig:
			// interrupted while starting: do not leave a half-started stack behind
			_ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
			<-exited
			return &cmdutil.ExitError{Code: 128 + int(s.(syscall.Signal)), Err: errors.New("interrupted: the stack was stopped")}
		case line, ok := <-progress:
			if !ok {
				progress = nil // closed: no more steps
			} else if !o.quiet {
				fmt.Fprintf(f.ErrOut, "stackctl: %s\n", line)
			}
			continue
		case err := <-exited:
			return fmt.Errorf("the stack did not start (supervisor %v); last lines of %s:\n%s", err, logPath, indent(tailFile(logPath, 20)))
		case <-deadline:
			_ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
			return fmt.Errorf("the stack did not become healthy in %s; stopping it. Last lines of %s:\n%s", o.timeout, logPath, indent(tailFile(logPath, 20)))
		case <-tick.C:
		}
		st, _ := stack.ReadState(c.StateDir)
		if st != nil && st.SupervisorPID == cmd.Process.Pid && st.Status == "running" {
			drainProgress(f, progress, o.quiet)
			printUp(f, c, st, o.quiet, true)
			return nil
		}
	}
}

// maxProgressLine bounds one start step line read from the supervisor.
const maxProgressLine = 4096

// readProgress sends the supervisor's start steps to out, closing it at EOF.
func readProgress(r io.Reader, out chan<- string) {
	defer close(out)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxProgressLine)
	for sc.Scan() {
		out <- sc.Text()
	}
}

// drainProgress prints the steps still in the pipe once the stack is
// running (the supervisor closes it before it marks the stack running;
// bounded all the same).
func drainProgress(f *cmdutil.Factory, progress <-chan string, quiet bool) {
	limit := time.After(5 * time.Second)
	for progress != nil {
		select {
		case line, ok := <-progress:
			if !ok {
				return
			}
			if !quiet {
				fmt.Fprintf(f.ErrOut, "stackctl: %s\n", line)
			}
		case <-limit:
			return
		}
	}
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// lastError is the supervisor's final error line in the combined log, if
// the last run ended with one.
func lastError(path string) string {
	lines := strings.Split(tailFile(path, 40), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "stackctl: ") {
			return strings.TrimPrefix(lines[i], "stackctl: ")
		}
	}
	return ""
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// openStackLog opens .stack/logs/stack.log (the combined stream) through
// the rotating writer, the log directory made owner-only first.
func openStackLog(c *stack.Config, keepOld bool) (*stack.RotatingLog, error) {
	if err := stack.PrepareLogDir(stack.LogDir(c.StateDir)); err != nil {
		return nil, err
	}
	return stack.OpenLog(stack.LogPath(c.StateDir, "stack"), c.LogLimits, keepOld)
}

func runDockerUp(ctx context.Context, f *cmdutil.Factory, c *stack.Config, o *upOpts) error {
	if _, err := os.Stat(filepath.Join(c.Dir, "compose.yaml")); err != nil {
		return fmt.Errorf("compose.yaml not found in %s: run stackctl up --docker from the project directory", c.Dir)
	}
	if err := stack.CheckDocker(ctx); err != nil {
		return err
	}
	cmds := stack.DockerCommands(c.Exe, o.noSeed)
	if o.apiReplicas > 0 {
		cmds[0] = append(cmds[0], "--scale", fmt.Sprintf("postgrest=%d", o.apiReplicas))
	}
	run := func(argv []string, env []string) error {
		fmt.Fprintf(f.ErrOut, "stackctl: running %s\n", strings.Join(argv, " "))
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir = c.Dir
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = f.Out, f.ErrOut
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
		}
		return nil
	}
	if err := run(cmds[0], os.Environ()); err != nil {
		return err
	}
	deadline := time.Now().Add(o.timeout + 60*time.Second)
	for !stack.Healthy(c.DockerHealthURL()) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the compose stack did not answer %s; see `docker compose ps` and `docker compose logs`", c.DockerHealthURL())
		}
		time.Sleep(250 * time.Millisecond)
	}
	env := append(os.Environ(), "DATABASE_URL="+c.DockerDatabaseURL())
	for _, argv := range cmds[1:] {
		if err := run(argv, env); err != nil {
			return err
		}
	}
	fmt.Fprintf(f.Out, "\nThe Docker stack is up: %s (stop it with `stackctl down --docker`)\n\n%s\n", c.BaseURL(), stack.CurlFlows(c.BaseURL()))
	return nil
}
