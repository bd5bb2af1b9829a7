package stack

import (
	"context"
	"fmt"
	"time"

	"github.com/authstack/authstack/internal/pgserver"
)

// pgHandoverGrace is how long the supervisor looks for a new postmaster
// after PostgreSQL stopped cleanly without being asked to: `pg_ctl restart`
// waits for the old postmaster to exit, then starts a new one.
const pgHandoverGrace = 10 * time.Second

// orphanWait is how long the backends of a killed postmaster get to exit
// by themselves before a new postmaster is started.
const orphanWait = 10 * time.Second

// awaitPostmaster polls for a live postmaster on the data directory, for
// up to d.
func (s *Supervisor) awaitPostmaster(ctx context.Context, d time.Duration) *pgserver.PidFile {
	deadline := time.Now().Add(d)
	for {
		if pf := pgserver.Postmaster(s.pg.DataDir); pf != nil {
			return pf
		}
		if time.Now().After(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// pgExited handles the end of the postmaster. A clean exit nobody asked
// for is an operator's `pg_ctl stop` or `pg_ctl restart`: a postmaster
// that appears on the data directory is adopted (or, with --restart no,
// stopped with the rest of the stack). A crash is restarted on the same
// data directory, where PostgreSQL runs its crash recovery.
func (s *Supervisor) pgExited(ctx context.Context, u *unit, err error) error {
	reason := s.recordExit(u, err)
	var pf *pgserver.PidFile
	if err == nil {
		pf = s.awaitPostmaster(ctx, pgHandoverGrace)
	} else {
		pf = pgserver.Postmaster(s.pg.DataDir)
	}
	if ctx.Err() != nil {
		return nil
	}
	switch {
	case s.Restart.Mode == RestartNo:
		// stopAll stops pf too: nothing is left holding the data directory
		return &DiedError{Component: CompPG, Err: fmt.Errorf("postgres stopped: %s", reason), Tail: s.pgLog.Tail(15)}
	case pf != nil:
		return s.adoptPG(u, pf)
	case err == nil && s.Restart.Mode == RestartOnFailure:
		return &DiedError{Component: CompPG, Tail: s.pgLog.Tail(15),
			Err: fmt.Errorf("postgres stopped (%s) and no new postmaster started on %s within %s", reason, s.pg.DataDir, pgHandoverGrace)}
	}
	return s.schedule(u, err, reason)
}

// adoptPG keeps supervising a postmaster the supervisor did not start, by
// its pid, when it serves the stack's port; one on another port is stopped
// and PostgreSQL restarted the usual way.
func (s *Supervisor) adoptPG(u *unit, pf *pgserver.PidFile) error {
	if pf.Port != s.Config.PGPort {
		s.Mux.Printf("a PostgreSQL server (pid %d) was started on %s outside the supervisor, on port %d instead of %s=%d: stopping it",
			pf.PID, s.pg.DataDir, pf.Port, EnvPGPort, s.Config.PGPort)
		if err := pgserver.StopPostmaster(s.pg.DataDir, pf.PID, 30*time.Second); err != nil {
			return &DiedError{Component: CompPG, Err: err, Tail: s.pgLog.Tail(15)}
		}
		return s.schedule(u, nil, "replaced by a postmaster on the wrong port")
	}
	if err := s.pg.Adopt(pf.PID); err != nil {
		// it went away meanwhile: start our own
		return s.schedule(u, nil, "replaced by a postmaster that exited")
	}
	u.started = time.Now()
	s.setComp(CompPG, func(c *Component) { c.PID, c.State, c.Adopted = pf.PID, "running", true; c.Restarts++ })
	s.Mux.Printf("PostgreSQL was restarted outside the supervisor (e.g. pg_ctl restart): supervising the new postmaster, pid %d", pf.PID)
	s.watch(u)
	return nil
}

// restartPG starts PostgreSQL again on its data directory, after the
// backends of the dead postmaster are gone.
func (s *Supervisor) restartPG(ctx context.Context, u *unit) error {
	if pf := pgserver.Postmaster(s.pg.DataDir); pf != nil {
		return s.adoptPG(u, pf)
	}
	if n := pgserver.ClearOrphans(s.pg.DataDir, orphanWait); n > 0 {
		s.Mux.Printf("killed %d PostgreSQL backend(s) the dead postmaster left behind", n)
	}
	u.started = time.Now()
	if err := s.pg.Start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		if pf := pgserver.Postmaster(s.pg.DataDir); pf != nil {
			return s.adoptPG(u, pf)
		}
		s.Mux.Printf("PostgreSQL did not start again: %v", err)
		return s.schedule(u, err, "start failed")
	}
	s.setComp(CompPG, func(c *Component) { c.PID, c.State, c.Adopted = s.pg.Pid(), "running", false; c.Restarts++ })
	s.Mux.Printf("PostgreSQL restarted (pid %d) on %s", s.pg.Pid(), s.pg.DataDir)
	s.watch(u)
	return nil
}
