package stack

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/authstack/authstack/internal/pgserver"
)

// Restart policies, the values of compose's `restart:` that make sense for
// a supervisor that lives as long as the stack.
const (
	RestartNo        = "no"
	RestartOnFailure = "on-failure"
	RestartAlways    = "always"
)

// DefaultMaxRestarts bounds on-failure's restarts in a row.
const DefaultMaxRestarts = 10

// RestartPolicy is what the supervisor does when a component exits while
// the stack runs.
type RestartPolicy struct {
	Mode string // RestartNo, RestartOnFailure or RestartAlways
	// MaxRestarts bounds the restarts in a row (each run shorter than
	// ResetAfter) before the supervisor gives up; 0: no bound.
	MaxRestarts int
	// MinDelay doubles at each restart in a row, up to MaxDelay.
	MinDelay, MaxDelay time.Duration
	// ResetAfter: a run at least this long resets the delay and the count.
	ResetAfter time.Duration
}

// DefaultRestartPolicy is `--restart on-failure`.
func DefaultRestartPolicy() RestartPolicy {
	return RestartPolicy{Mode: RestartOnFailure, MaxRestarts: DefaultMaxRestarts,
		MinDelay: time.Second, MaxDelay: 30 * time.Second, ResetAfter: 30 * time.Second}
}

// ParseRestartPolicy reads a --restart value: no, on-failure[:N] (at most N
// restarts in a row, default 10) or always (no bound).
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	p := DefaultRestartPolicy()
	mode, max, hasMax := strings.Cut(s, ":")
	switch mode {
	case RestartNo, RestartAlways:
		if hasMax {
			return p, fmt.Errorf("--restart %s: only on-failure takes a :N bound (e.g. on-failure:5)", s)
		}
		p.Mode, p.MaxRestarts = mode, 0
	case RestartOnFailure:
		if hasMax {
			n, err := strconv.Atoi(max)
			if err != nil || n < 1 || n > 1000000 {
				return p, fmt.Errorf("--restart %s: N in on-failure:N must be a whole number from 1 to 1000000", s)
			}
			p.MaxRestarts = n
		}
	default:
		return p, fmt.Errorf("--restart %q: use no, on-failure, on-failure:N or always", s)
	}
	return p, nil
}

// String is the policy as --restart takes it.
func (p RestartPolicy) String() string {
	if p.Mode == RestartOnFailure && p.MaxRestarts > 0 {
		return fmt.Sprintf("%s:%d", p.Mode, p.MaxRestarts)
	}
	return p.Mode
}

// Delay is the wait before the n-th restart in a row (n >= 1).
func (p RestartPolicy) Delay(n int) time.Duration {
	d := p.MinDelay
	if d <= 0 {
		return 0
	}
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// ExitReason says how a process ended, from its Wait error.
func ExitReason(err error) string {
	if err == nil {
		return "exit status 0"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			if ws.Signaled() {
				return fmt.Sprintf("killed by signal %d (%v)", int(ws.Signal()), ws.Signal())
			}
			if ws.Exited() {
				return fmt.Sprintf("exit status %d", ws.ExitStatus())
			}
		}
	}
	return err.Error()
}

// unit is one supervised component.
type unit struct {
	name    string
	proc    *proc // an API engine or Caddy; nil for PostgreSQL
	standby bool  // PostgreSQL's standby (proc is nil), not the primary
	streak  int   // restarts in a row
	started time.Time
}

// cluster is the unit's PostgreSQL server (nil for an engine or Caddy).
func (s *Supervisor) cluster(u *unit) *pgserver.Cluster {
	switch {
	case u.proc != nil:
		return nil
	case u.standby:
		return s.replica
	}
	return s.pg
}

// event is a unit's exit (exited) or the end of its restart delay.
type event struct {
	u      *unit
	exited bool
	err    error
}

func (s *Supervisor) send(ev event) {
	select {
	case s.events <- ev:
	case <-s.quit:
	}
}

// watch reports the exit of the unit's current run as an event.
func (s *Supervisor) watch(u *unit) {
	var done <-chan struct{}
	var errf func() error
	if pg := s.cluster(u); pg != nil {
		done, errf = pg.Done(), pg.Err
	} else {
		p := u.proc
		done, errf = p.done, func() error { return p.err }
	}
	go func() {
		select {
		case <-done:
			s.send(event{u: u, exited: true, err: errf()})
		case <-s.quit:
		}
	}()
}

// wait supervises the running stack until ctx ends (nil) or a component
// fails in a way the restart policy does not cover (a *DiedError).
func (s *Supervisor) wait(ctx context.Context) error {
	s.quit = make(chan struct{})
	defer close(s.quit)
	s.events = make(chan event)
	now := time.Now()
	s.watch(&unit{name: CompPG, started: now})
	if s.replica != nil {
		s.watch(&unit{name: CompPGReplica, standby: true, started: now})
	}
	for _, p := range s.procs {
		s.watch(&unit{name: p.name, proc: p, started: now})
	}
	for {
		select {
		case <-ctx.Done():
			s.Mux.Printf("stopping")
			return nil
		case ev := <-s.events:
			var err error
			switch {
			case ev.exited && ev.u.standby:
				// a standby is restarted like an engine: nothing else
				// starts postmasters on its data directory
				err = s.procExited(ev.u, ev.err)
			case ev.exited && ev.u.proc == nil:
				err = s.pgExited(ctx, ev.u, ev.err)
			case ev.exited:
				err = s.procExited(ev.u, ev.err)
			default:
				err = s.restart(ctx, ev.u)
			}
			if err != nil {
				return err
			}
		}
	}
}

// setComp changes the named component in state.json.
func (s *Supervisor) setComp(name string, f func(*Component)) {
	if c := s.state.Component(name); c != nil {
		f(c)
		_ = writeState(s.Config.StateDir, s.state)
	}
}

func (s *Supervisor) recordExit(u *unit, err error) string {
	reason := ExitReason(err)
	now := time.Now().UTC()
	s.setComp(u.name, func(c *Component) { c.LastExit, c.LastExitAt, c.State = reason, &now, "restarting" })
	return reason
}

func (s *Supervisor) tail(u *unit) string {
	switch {
	case u.standby:
		return s.replicaLog.Tail(15)
	case u.proc == nil:
		return s.pgLog.Tail(15)
	}
	return u.proc.log.Tail(15)
}

func (s *Supervisor) procExited(u *unit, err error) error {
	reason := s.recordExit(u, err)
	if s.Restart.Mode == RestartNo || (err == nil && s.Restart.Mode == RestartOnFailure) {
		return &DiedError{Component: u.name, Err: err, Tail: s.tail(u)}
	}
	return s.schedule(u, err, reason)
}

// schedule arranges the unit's next restart after the policy's delay, or
// gives up (a *DiedError) after MaxRestarts restarts in a row.
func (s *Supervisor) schedule(u *unit, err error, reason string) error {
	p := s.Restart
	if time.Since(u.started) >= p.ResetAfter {
		u.streak = 0
	}
	u.streak++
	if p.MaxRestarts > 0 && u.streak > p.MaxRestarts {
		return &DiedError{Component: u.name, Tail: s.tail(u),
			Err: fmt.Errorf("%s; gave up after %d restarts in a row (--restart %s)", reason, p.MaxRestarts, p)}
	}
	d := p.Delay(u.streak)
	s.Mux.Printf("%s %s; restarting it in %s (--restart %s)", u.name, reason, d, p)
	time.AfterFunc(d, func() { s.send(event{u: u}) })
	return nil
}

// restart starts the unit again once its delay is over.
func (s *Supervisor) restart(ctx context.Context, u *unit) error {
	if u.standby {
		return s.restartReplica(ctx, u)
	}
	if u.proc == nil {
		return s.restartPG(ctx, u)
	}
	old := u.proc
	p := &proc{name: old.name, argv: old.argv, env: old.env, log: old.log}
	u.started = time.Now()
	if err := s.spawn(p); err != nil {
		s.Mux.Printf("%v", err)
		return s.schedule(u, err, "start failed: "+err.Error())
	}
	for i := range s.procs {
		if s.procs[i] == old {
			s.procs[i] = p
		}
	}
	u.proc = p
	s.setComp(u.name, func(c *Component) { c.PID, c.State = p.cmd.Process.Pid, "running"; c.Restarts++ })
	s.Mux.Printf("%s restarted (pid %d)", u.name, p.cmd.Process.Pid)
	s.watch(u)
	return nil
}
