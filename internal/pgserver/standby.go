package pgserver

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
)

// Primary is the server a standby is copied from and streams from.
type Primary struct {
	Host     string
	Port     int
	User     string // a role with REPLICATION and LOGIN
	Password string
	// Slot, when set, is a physical replication slot pg_basebackup creates
	// for the standby, so the primary keeps the WAL the standby has not
	// received yet (bound it with max_slot_wal_keep_size on the primary).
	Slot string
}

// BaseBackup makes DataDir (which must not exist or be empty) a streaming
// standby of p with pg_basebackup, from the same PostgreSQL binaries:
// the WAL is streamed alongside the copy (-X stream) and standby.signal and
// primary_conninfo are written (-R). It runs as the cluster's account. The
// password goes through PGPASSWORD, never argv; -R keeps it in the
// standby's postgresql.auto.conf, inside the owner-only DataDir. Start then
// runs the standby, which replays and streams from p (hot_standby is on by
// default, so it serves read-only queries).
func (c *Cluster) BaseBackup(ctx context.Context, p Primary) error {
	if _, err := c.makeDataDir(); err != nil {
		return err
	}
	args := []string{"-D", c.DataDir, "-h", p.Host, "-p", strconv.Itoa(p.Port), "-U", p.User,
		"-X", "stream", "-R", "--checkpoint=fast", "--no-sync", "--no-password"}
	if p.Slot != "" {
		args = append(args, "--create-slot", "--slot="+p.Slot)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, "pg_basebackup"), args...)
	c.prepare(cmd)
	cmd.Env = append(cmd.Env, "PGPASSWORD="+p.Password, "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_basebackup from %s:%d into %s: %w\n%s", p.Host, p.Port, c.DataDir, err, lastLines(out.String(), 15))
	}
	return nil
}
