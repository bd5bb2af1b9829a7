// Package dbconn gives every stackctl database command the same
// connection options: --db-url, else DATABASE_URL, else the libpq PG*
// variables (pgx parses those for an empty connection string), and dbmate's
// --wait / --wait-timeout (retry until the server answers or the timeout
// ends, then fail with the host and the driver's reason).
package dbconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/spf13/cobra"
)

// EnvURL is the environment variable read when --db-url is not given.
const EnvURL = "DATABASE_URL"

// DefaultWaitTimeout is dbmate's default.
const DefaultWaitTimeout = 60 * time.Second

// Options are the connection flags.
type Options struct {
	URL         string
	Wait        bool
	WaitTimeout time.Duration
	// Getenv defaults to os.Getenv.
	Getenv func(string) string
}

// AddFlags adds --db-url, --wait and --wait-timeout to cmd as persistent
// flags (so a parent command shares them with its subcommands).
func AddFlags(cmd *cobra.Command) *Options {
	o := &Options{}
	fl := cmd.PersistentFlags()
	fl.StringVar(&o.URL, "db-url", "", "database URL (default $"+EnvURL+", else the native stack's database when POSTGRES_PASSWORD is set, else the libpq PG* variables)")
	fl.BoolVar(&o.Wait, "wait", false, "wait for the database to accept connections (dbmate's --wait)")
	fl.DurationVar(&o.WaitTimeout, "wait-timeout", DefaultWaitTimeout, "how long --wait waits")
	return o
}

// ConnString returns the connection string in effect ("" = PG* variables).
func (o *Options) ConnString() string {
	if o.URL != "" {
		return o.URL
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if u := getenv(EnvURL); u != "" {
		return u
	}
	return stackURL(getenv)
}

// stackURL is the native stack's own database (what .env.example promises
// for an empty DATABASE_URL): the superuser on 127.0.0.1:STACK_PG_PORT
// (default 54329), database POSTGRES_DB (default app), when POSTGRES_PASSWORD
// is set and no libpq PG* variable says otherwise; "" (PG* variables) else.
func stackURL(getenv func(string) string) string {
	pw := getenv("POSTGRES_PASSWORD")
	if pw == "" {
		return ""
	}
	for _, k := range []string{"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"} {
		if getenv(k) != "" {
			return ""
		}
	}
	port, db := getenv("STACK_PG_PORT"), getenv("POSTGRES_DB")
	if port == "" {
		port = "54329"
	}
	if db == "" {
		db = "app"
	}
	return (&url.URL{Scheme: "postgres", User: url.UserPassword("postgres", pw), Host: "127.0.0.1:" + port,
		Path: "/" + db, RawQuery: "sslmode=disable"}).String()
}

// Config parses the connection string. Errors never echo the password.
func (o *Options) Config() (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(o.ConnString())
	if err != nil {
		// pgx's parse errors redact the password already; keep them short.
		return nil, fmt.Errorf("invalid database URL (--db-url / %s): %v", EnvURL, err)
	}
	return cfg, nil
}

// Describe names the target without credentials: host:port/database.
func Describe(cfg *pgx.ConnConfig) string {
	host := cfg.Host
	if strings.HasPrefix(host, "/") {
		host = "socket " + host
	}
	return fmt.Sprintf("%s:%d/%s", host, cfg.Port, cfg.Database)
}

// Connect opens one connection, retrying while --wait is on.
func (o *Options) Connect(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := o.Config()
	if err != nil {
		return nil, err
	}
	return o.connect(ctx, cfg)
}

// Ready waits (with --wait) until the database accepts a connection and
// returns the parsed configuration, for callers that open their own pool.
func (o *Options) Ready(ctx context.Context) (*pgx.ConnConfig, error) {
	cfg, err := o.Config()
	if err != nil {
		return nil, err
	}
	conn, err := o.connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	conn.Close(ctx)
	return cfg, nil
}

func (o *Options) connect(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	start := time.Now()
	deadline := start.Add(o.WaitTimeout)
	if !o.Wait {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("cannot connect to database %s: %s", Describe(cfg), reason(err))
		}
		return conn, nil
	}
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var last error
	for {
		attempt := cfg.Copy()
		if attempt.ConnectTimeout == 0 || attempt.ConnectTimeout > time.Until(deadline) {
			attempt.ConnectTimeout = max(time.Until(deadline), 100*time.Millisecond)
		}
		conn, err := pgx.ConnectConfig(wctx, attempt)
		if err == nil {
			return conn, nil
		}
		last = keepReason(last, err)
		if !retryable(err) {
			break
		}
		select {
		case <-wctx.Done():
		case <-time.After(time.Second):
			continue
		}
		break
	}
	return nil, fmt.Errorf("cannot connect to database %s (waited %s): %s",
		Describe(cfg), time.Since(start).Round(time.Second), reason(last))
}

// keepReason picks the error to report after another failed attempt. An
// attempt cut short by a timeout (the wait's deadline or connect_timeout,
// both likelier on a loaded machine) says nothing about the server, so an
// earlier attempt's real reason (e.g. "connection refused") is kept.
func keepReason(last, err error) error {
	if last != nil && isTimeout(err) && !isTimeout(last) {
		return last
	}
	return err
}

func isTimeout(err error) bool {
	if pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// retryable is false for errors waiting cannot fix (bad password, missing
// database, bad configuration).
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P03": // cannot_connect_now: the server is starting
			return true
		}
		return false
	}
	return true
}

// reason is the driver's reason without the connection string.
func reason(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s (SQLSTATE %s)", pe.Message, pe.Code)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		if u := ce.Unwrap(); u != nil {
			// pgx lists one line per attempt (e.g. TLS then plain): keep each once.
			var parts []string
			seen := map[string]bool{}
			for _, l := range strings.Split(u.Error(), "\n") {
				l = strings.Join(strings.Fields(l), " ")
				if l != "" && !seen[l] {
					seen[l] = true
					parts = append(parts, l)
				}
			}
			return strings.Join(parts, "; ")
		}
	}
	return err.Error()
}
