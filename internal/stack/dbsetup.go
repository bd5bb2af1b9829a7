package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authstack/authstack/internal/authdb"
)

// PGPasswordFix is the fix for a POSTGRES_PASSWORD the existing cluster
// does not have: one that keeps the data, never `down --volumes`.
const PGPasswordFix = "keep the data: run `stackctl secret reset-pg-password` (sets the cluster's postgres password to POSTGRES_PASSWORD of .env, generating one when empty), or put the original password back in .env"

func (s *Supervisor) createDatabase(ctx context.Context) error {
	c := s.Config
	conn, err := pgx.Connect(ctx, c.AdminURL())
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "28P01" {
			return &ConfigError{Var: EnvPGPassword, Problem: "is not the password of the superuser postgres in the PostgreSQL cluster in " + DataDir(c.StateDir),
				Fix: PGPasswordFix}
		}
		return fmt.Errorf("pg: connect: %w", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, "select exists(select 1 from pg_database where datname = $1)", c.DBName).Scan(&exists); err != nil {
		return fmt.Errorf("pg: %w", err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "create database "+pgx.Identifier{c.DBName}.Sanitize()); err != nil {
		return fmt.Errorf("pg: create database %s: %w", c.DBName, err)
	}
	s.Mux.Printf("created database %s", c.DBName)
	return nil
}

// syncSecret makes the database's signing secret (auth.jwt_secret, used by
// auth.login) the one in .env, which Caddy and the engine verify with: after
// `stackctl secret gen --force` they would otherwise disagree and every
// login would produce tokens that are refused. Sessions signed with the old
// secret end (the refresh tokens are revoked). No secret is printed.
func (s *Supervisor) syncSecret(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.Config.DatabaseURL())
	if err != nil {
		return fmt.Errorf("pg: connect: %w", err)
	}
	defer conn.Close(context.Background())
	var same bool
	err = conn.QueryRow(ctx, "select secret = $1 from auth.jwt_secret", s.Config.JWTSecret).Scan(&same)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" { // no auth.jwt_secret: not our schema
		return nil
	}
	if err != nil {
		return fmt.Errorf("pg: read auth.jwt_secret: %w", err)
	}
	if same {
		return nil
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck
	revoked, err := authdb.RotateSecret(ctx, tx, s.Config.JWTSecret)
	if err != nil {
		return fmt.Errorf("update auth.jwt_secret to the JWT_SECRET of .env: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	s.Mux.Printf("JWT_SECRET in .env differs from the database's copy (auth.jwt_secret): the database now signs with the .env secret; %d refresh token(s) revoked, sessions signed with the old secret have ended", revoked)
	return nil
}

// syncAuthenticator gives the authenticator role the AUTHENTICATOR_PASSWORD
// of .env when that no longer logs in (migration 0002 sets it once only):
// the API engine connects with it and would otherwise retry until up gives
// up. The value travels in a transaction-local setting, as in 0002, so no
// statement text holds it; nothing is printed of it.
func (s *Supervisor) syncAuthenticator(ctx context.Context) error {
	c := s.Config
	probe, err := pgx.Connect(ctx, pgURL("authenticator", c.AuthenticatorPassword, c.PGPort, c.DBName))
	if err == nil {
		probe.Close(context.Background())
		return nil
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28P01" {
		return nil // the engine reports anything else itself
	}
	conn, err := pgx.Connect(ctx, c.DatabaseURL())
	if err != nil {
		return fmt.Errorf("pg: connect: %w", err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck
	if _, err := tx.Exec(ctx, "select pg_catalog.set_config('stackctl.authenticator_password', $1, true)", c.AuthenticatorPassword); err != nil {
		return fmt.Errorf("pg: %w", err)
	}
	if _, err := tx.Exec(ctx, `do $$ begin
  if exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticator') then
    execute pg_catalog.format('alter role authenticator password %L', pg_catalog.current_setting('stackctl.authenticator_password'));
  end if;
  perform pg_catalog.set_config('stackctl.authenticator_password', '', true);
end $$`); err != nil {
		return fmt.Errorf("set the authenticator role's password to AUTHENTICATOR_PASSWORD of .env: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	s.Mux.Printf("AUTHENTICATOR_PASSWORD in .env was not the authenticator role's password: the role now has the .env password")
	return nil
}

// runStep runs `stackctl <args>` against the app database, its output in
// the "migrate" log.
func (s *Supervisor) runStep(ctx context.Context, logf io.Writer, args []string) error {
	c := s.Config
	s.Mux.Printf("running stackctl %s", strings.Join(args, " "))
	w := s.Mux.Writer("migrate", logf)
	cmd := exec.CommandContext(ctx, c.Exe, args...)
	cmd.Dir = c.Dir
	cmd.Env = envList(map[string]string{"DATABASE_URL": c.DatabaseURL()})
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	w.Flush()
	if err != nil {
		return &DiedError{Component: "stackctl " + strings.Join(args, " "), Err: err, Tail: w.Tail(15)}
	}
	return nil
}
