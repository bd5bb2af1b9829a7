package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrClusterRunning is returned by SetPassword when a postmaster serves the
// data directory.
var ErrClusterRunning = errors.New("a PostgreSQL server is running on this data directory")

// SetPassword sets role's password in the stopped cluster in DataDir
// without knowing the old one: it runs a single-user backend (`postgres
// --single`, no socket, no TCP, no pg_hba.conf involved) as the account
// that owns the data directory and feeds it ALTER ROLE on stdin, so the
// password is in no argv. The statement is never logged
// (log_statement=none, log_min_error_statement=panic), an error ends the
// backend with a non-zero status (exit_on_error), and the password is
// stored as a SCRAM verifier (the stack's pg_hba.conf asks for
// scram-sha-256). Nothing of the output that could hold the password is
// returned.
func (c *Cluster) SetPassword(ctx context.Context, role, password string) error {
	if password == "" || strings.ContainsAny(password, "\x00\r\n") {
		return errors.New("the password must be non-empty and on one line")
	}
	if !c.Initialized() {
		return fmt.Errorf("%s holds no PostgreSQL cluster", c.DataDir)
	}
	if pf := Postmaster(c.DataDir); pf != nil {
		return fmt.Errorf("%w (pid %d): stop it first", ErrClusterRunning, pf.PID)
	}
	if c.BinDir == "" {
		d, err := FindBinDir()
		if err != nil {
			return err
		}
		c.BinDir = d
	}
	owner, err := dataOwner(c.DataDir)
	if err != nil {
		return err
	}
	c.runAs = owner
	stmt := "ALTER ROLE " + quoteIdent(role) + " PASSWORD '" + strings.ReplaceAll(password, "'", "''") + "'\n"
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, "postgres"), "--single", "-D", c.DataDir,
		"-c", "exit_on_error=on", "-c", "log_statement=none", "-c", "log_min_error_statement=panic",
		"-c", "standard_conforming_strings=on", "-c", "password_encryption=scram-sha-256", "postgres")
	c.prepare(cmd)
	cmd.Stdin = strings.NewReader(stmt)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("postgres --single: %w\n%s", err, redact(lastLines(out.String(), 10), password))
	}
	return nil
}

// dataOwner is the account to run as: nil when we are not root (PostgreSQL
// itself checks that we own the directory), else the directory's owner.
func dataOwner(dataDir string) (*RunAs, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	st, err := os.Stat(dataDir)
	if err != nil {
		return nil, err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || sys.Uid == 0 {
		return nil, fmt.Errorf("%s is owned by root: PostgreSQL refuses to run as root", dataDir)
	}
	name := strconv.Itoa(int(sys.Uid))
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	return &RunAs{Name: name, UID: sys.Uid, GID: sys.Gid}, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func redact(s, secret string) string { return strings.ReplaceAll(s, secret, "***") }
