package stack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authstack/authstack/internal/pgserver"
)

// The standby of `up --pg-replicas 1` streams from the primary as this
// role through this physical slot.
const (
	replicationRole = "authstack_replicator"
	replicationSlot = "authstack_replica"
)

// ReplicaDataDir is the standby's data directory: a copy of the primary
// made afresh at every `up --pg-replicas 1`.
func ReplicaDataDir(stateDir string) string { return filepath.Join(stateDir, "pgdata-replica") }

// startReplica copies the primary into a fresh standby with pg_basebackup
// and starts it. The replication role gets a new random password each
// time; it is kept only in the standby's owner-only data directory.
func (s *Supervisor) startReplica(ctx context.Context, t0 time.Time) error {
	c := s.Config
	dir := ReplicaDataDir(c.StateDir)
	if err := stopStrayStandby(c.StateDir); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("pg-replica: remove the previous standby copy: %w", err)
	}
	password, err := randomPassword()
	if err != nil {
		return err
	}
	if err := s.prepareReplication(ctx, password); err != nil {
		return err
	}
	f, err := s.logFile(CompPGReplica)
	if err != nil {
		return err
	}
	s.replicaLog = s.Mux.Writer(CompPGReplica, f)
	settings := pgSettings()
	// queries on the standby are not cancelled for rows the primary's
	// vacuum would remove (PostgreSQL's hot standby conflicts)
	settings["hot_standby_feedback"] = "on"
	s.replica = &pgserver.Cluster{DataDir: dir, Port: c.ReplicaPGPort, Password: c.PostgresPassword, Log: s.replicaLog, Settings: settings}
	s.step("copying database %s to a streaming standby (pg_basebackup)", c.DBName)
	err = s.replica.BaseBackup(ctx, pgserver.Primary{Host: "127.0.0.1", Port: c.PGPort, User: replicationRole, Password: password, Slot: replicationSlot})
	if err != nil {
		return fmt.Errorf("pg-replica: %w", err)
	}
	if err := s.replica.Start(ctx); err != nil {
		return &DiedError{Component: CompPGReplica, Err: err, Tail: s.replicaLog.Tail(15)}
	}
	s.state.Components = append(s.state.Components, Component{Name: CompPGReplica, PID: s.replica.Pid(), Port: c.ReplicaPGPort,
		Role: "standby", Command: "postgres -D " + dir, Log: LogPath(c.StateDir, CompPGReplica), State: "running"})
	_ = writeState(c.StateDir, s.state)
	s.step("PostgreSQL standby is ready on 127.0.0.1:%d, streaming from :%d (%s)", c.ReplicaPGPort, c.PGPort, since(t0))
	return nil
}

func randomPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// prepareReplication creates the replication role when missing, gives it
// password (through a transaction-local setting, as syncAuthenticator
// does, so no statement text holds it) and drops the slot of a previous
// standby.
func (s *Supervisor) prepareReplication(ctx context.Context, password string) error {
	conn, err := pgx.Connect(ctx, s.Config.AdminURL())
	if err != nil {
		return fmt.Errorf("pg: connect: %w", err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck
	if _, err := tx.Exec(ctx, "select pg_catalog.set_config('stackctl.replication_password', $1, true)", password); err != nil {
		return fmt.Errorf("pg: %w", err)
	}
	if _, err := tx.Exec(ctx, `do $$ begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = '`+replicationRole+`') then
    create role `+replicationRole+` login replication;
  end if;
  execute pg_catalog.format('alter role `+replicationRole+` password %L', pg_catalog.current_setting('stackctl.replication_password'));
  perform pg_catalog.set_config('stackctl.replication_password', '', true);
end $$`); err != nil {
		return fmt.Errorf("pg: create the replication role %s: %w", replicationRole, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "select pg_catalog.pg_drop_replication_slot(slot_name) from pg_catalog.pg_replication_slots where slot_name = $1", replicationSlot); err != nil {
		return fmt.Errorf("pg: drop the previous standby's replication slot %s: %w", replicationSlot, err)
	}
	return nil
}

// dropStandby, for an up without --pg-replicas, drops the replication slot
// and the data directory an earlier standby left: an unused slot would
// keep WAL on the primary.
func (s *Supervisor) dropStandby(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.Config.AdminURL())
	if err != nil {
		return fmt.Errorf("pg: connect: %w", err)
	}
	defer conn.Close(context.Background())
	dir := ReplicaDataDir(s.Config.StateDir)
	var slots int
	if err := conn.QueryRow(ctx, "select count(*) from pg_catalog.pg_replication_slots where slot_name = $1", replicationSlot).Scan(&slots); err != nil {
		return fmt.Errorf("pg: %w", err)
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) && slots == 0 {
		return nil
	}
	if err := stopStrayStandby(s.Config.StateDir); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "select pg_catalog.pg_drop_replication_slot(slot_name) from pg_catalog.pg_replication_slots where slot_name = $1", replicationSlot); err != nil {
		return fmt.Errorf("pg: drop the replication slot %s of an earlier standby: %w", replicationSlot, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove the standby copy %s of an earlier `up --pg-replicas 1`: %w", dir, err)
	}
	s.Mux.Printf("removed the standby of an earlier `up --pg-replicas 1` (%s, replication slot %s): this run has none", dir, replicationSlot)
	return nil
}

// stopStrayStandby stops a standby postmaster left running on the
// standby's data directory (a supervisor that was killed).
func stopStrayStandby(stateDir string) error {
	dir := ReplicaDataDir(stateDir)
	pf := pgserver.Postmaster(dir)
	if pf == nil {
		return nil
	}
	if err := pgserver.StopPostmaster(dir, pf.PID, 30*time.Second); err != nil {
		return fmt.Errorf("stop the PostgreSQL standby on %s: %w", dir, err)
	}
	return nil
}

// restartReplica starts the standby again on its data directory, where it
// resumes streaming from its slot.
func (s *Supervisor) restartReplica(ctx context.Context, u *unit) error {
	if n := pgserver.ClearOrphans(s.replica.DataDir, orphanWait); n > 0 {
		s.Mux.Printf("killed %d PostgreSQL standby backend(s) the dead postmaster left behind", n)
	}
	u.started = time.Now()
	if err := s.replica.Start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		s.Mux.Printf("the PostgreSQL standby did not start again: %v", err)
		return s.schedule(u, err, "start failed")
	}
	s.setComp(CompPGReplica, func(c *Component) { c.PID, c.State = s.replica.Pid(), "running"; c.Restarts++ })
	s.Mux.Printf("PostgreSQL standby restarted (pid %d) on %s", s.replica.Pid(), s.replica.DataDir)
	s.watch(u)
	return nil
}
