// Package throttle implements `stackctl throttle status|reset`: a look at
// and a reset of the login throttle that auth.login keeps in SQL (see
// docs/database.md). The work is done by SQL functions of the auth schema
// (auth.throttle_status, _summary, _locked_users, _reset, _reset_all),
// which only the superuser and auth_owner may run.
package throttle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/dbconn"
)

// Settings are the app settings the throttle reads; the command takes them
// from the same PGRST_APP_SETTINGS_* variables the API engine gets, so
// that "locked" means what it means at login.
var Settings = []string{"LOGIN_WINDOW", "LOGIN_MAX_ATTEMPTS_USER", "LOGIN_MAX_ATTEMPTS_ADDR"}

// StatusOptions are the flags of `throttle status`.
type StatusOptions struct {
	User, Addr string
	Output     string // text or json
}

// ResetOptions are the flags of `throttle reset`.
type ResetOptions struct {
	User, Addr string
	All        bool
}

// Entry is one key's throttle state.
type Entry struct {
	Kind        string     `json:"kind"`
	Key         string     `json:"key"`
	Attempts    int        `json:"attempts"`
	WindowStart *time.Time `json:"window_start"`
	WindowEnd   *time.Time `json:"window_end"`
	LockedForS  int        `json:"locked_for_s"`
}

// KindSummary counts the live entries of one kind.
type KindSummary struct {
	Kind   string `json:"kind"`
	Live   int    `json:"live"`
	Locked int    `json:"locked"`
	Slots  int    `json:"slots"`
}

// LockedUser is a user of auth.user that is locked out now.
type LockedUser struct {
	Username   string `json:"username"`
	Attempts   int    `json:"attempts"`
	LockedForS int    `json:"locked_for_s"`
}

// Summary is the output of `throttle status` without keys.
type Summary struct {
	Kinds       []KindSummary `json:"kinds"`
	LockedUsers []LockedUser  `json:"locked_users"`
}

// NewCmd returns the `throttle` command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "throttle",
		Short: "Show or reset the login throttle (failed logins per user name and client address)",
		Long: `The limits and window are read from PGRST_APP_SETTINGS_LOGIN_WINDOW,
PGRST_APP_SETTINGS_LOGIN_MAX_ATTEMPTS_USER and PGRST_APP_SETTINGS_LOGIN_MAX_ATTEMPTS_ADDR
(environment or .env), as the API engine reads them; defaults 900 s, 5 and 20.`,
	}
	db := dbconn.AddFlags(cmd)

	var so StatusOptions
	status := &cobra.Command{
		Use:   "status",
		Short: "Show the throttle state of --user/--addr, or a summary and the locked-out users",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if so.Output == "json" {
				return statusJSON(c.Context(), db, so, f.Out)
			}
			return withConn(c.Context(), db, func(conn *pgx.Conn) error { return RunStatus(c.Context(), conn, so, f.Out) })
		},
	}
	status.Flags().StringVar(&so.User, "user", "", "user name (compared in lower case, as at login)")
	status.Flags().StringVar(&so.Addr, "addr", "", "client address (the last X-Forwarded-For entry)")
	status.Flags().StringVarP(&so.Output, "output", "o", "text", "output format: text or json")

	var ro ResetOptions
	reset := &cobra.Command{
		Use:   "reset",
		Short: "Forget the failed logins of --user and/or --addr, or of everyone with --all",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := ro.validate(); err != nil {
				return err
			}
			return withConn(c.Context(), db, func(conn *pgx.Conn) error { return RunReset(c.Context(), conn, ro, f.Out) })
		},
	}
	reset.Flags().StringVar(&ro.User, "user", "", "user name (compared in lower case, as at login)")
	reset.Flags().StringVar(&ro.Addr, "addr", "", "client address (the last X-Forwarded-For entry)")
	reset.Flags().BoolVar(&ro.All, "all", false, "reset every entry of both kinds")

	cmd.AddCommand(status, reset)
	return cmd
}

func withConn(ctx context.Context, db *dbconn.Options, f func(*pgx.Conn) error) error {
	conn, err := db.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if err := ApplySettings(ctx, conn, os.Getenv); err != nil {
		return err
	}
	return f(conn)
}

func (o ResetOptions) validate() error {
	switch {
	case o.All && (o.User != "" || o.Addr != ""):
		return errors.New("--all resets every entry: give it without --user/--addr")
	case !o.All && o.User == "" && o.Addr == "":
		return errors.New("nothing to reset: give --user NAME, --addr ADDRESS or --all")
	}
	return nil
}

// ApplySettings sets app.settings.* of the session from the
// PGRST_APP_SETTINGS_* variables in Settings that are set.
func ApplySettings(ctx context.Context, conn *pgx.Conn, getenv func(string) string) error {
	for _, name := range Settings {
		v := getenv("PGRST_APP_SETTINGS_" + name)
		if v == "" {
			continue
		}
		if _, err := conn.Exec(ctx, "select set_config($1, $2, false)", "app.settings."+strings.ToLower(name), v); err != nil {
			return explain(err)
		}
	}
	return nil
}

// StatusReport is `throttle status -o json` (docs/json-output.md): the same
// keys with or without --user/--addr and when the database cannot be read.
// kinds and locked_users are the summary (null with --user/--addr), entries
// the asked keys (null without); all null on error.
type StatusReport struct {
	OK          bool          `json:"ok"`
	Error       *string       `json:"error"`
	Kinds       []KindSummary `json:"kinds"`
	LockedUsers []LockedUser  `json:"locked_users"`
	Entries     []Entry       `json:"entries"`
}

// statusJSON writes the StatusReport and exits as text mode would.
func statusJSON(ctx context.Context, db *dbconn.Options, o StatusOptions, out io.Writer) error {
	var rep StatusReport
	err := withConn(ctx, db, func(conn *pgx.Conn) error {
		r, err := readStatus(ctx, conn, o)
		rep = r
		return err
	})
	if err != nil {
		rep = StatusReport{}
	}
	rep.OK, rep.Error = err == nil, cmdutil.ErrString(err)
	if werr := writeJSON(out, rep); werr != nil {
		return werr
	}
	return cmdutil.JSONExit(err)
}

func readStatus(ctx context.Context, conn *pgx.Conn, o StatusOptions) (StatusReport, error) {
	var rep StatusReport
	if o.User == "" && o.Addr == "" {
		s, err := ReadSummary(ctx, conn)
		rep.Kinds, rep.LockedUsers = s.Kinds, s.LockedUsers
		if rep.Kinds == nil {
			rep.Kinds = []KindSummary{}
		}
		return rep, err
	}
	rep.Entries = []Entry{}
	for _, k := range [][2]string{{"user", o.User}, {"addr", o.Addr}} {
		if k[1] == "" {
			continue
		}
		e, err := ReadEntry(ctx, conn, k[0], k[1])
		if err != nil {
			return rep, err
		}
		rep.Entries = append(rep.Entries, e)
	}
	return rep, nil
}

// RunStatus prints the entries of the given keys, or the summary.
func RunStatus(ctx context.Context, conn *pgx.Conn, o StatusOptions, out io.Writer) error {
	if o.Output != "text" && o.Output != "json" {
		return fmt.Errorf("unknown output format %q: use -o text or -o json", o.Output)
	}
	rep, err := readStatus(ctx, conn, o)
	if err != nil {
		return err
	}
	if o.Output == "json" {
		rep.OK = true
		return writeJSON(out, rep)
	}
	if rep.Entries == nil {
		return printSummary(out, Summary{Kinds: rep.Kinds, LockedUsers: rep.LockedUsers})
	}
	entries := rep.Entries
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tKEY\tATTEMPTS\tWINDOW\tLOCKED FOR")
	for _, e := range entries {
		window := "-"
		if e.WindowStart != nil {
			window = e.WindowStart.Local().Format(time.DateTime) + " – " + e.WindowEnd.Local().Format(time.TimeOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", e.Kind, e.Key, e.Attempts, window, lockedFor(e.LockedForS))
	}
	return tw.Flush()
}

func lockedFor(s int) string {
	if s <= 0 {
		return "not locked"
	}
	return (time.Duration(s) * time.Second).String()
}

func printSummary(out io.Writer, s Summary) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tLIVE ENTRIES\tLOCKED\tSLOTS")
	for _, k := range s.Kinds {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", k.Kind, k.Live, k.Locked, k.Slots)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.LockedUsers) == 0 {
		_, err := fmt.Fprintln(out, "\nno user of auth.user is locked out")
		return err
	}
	fmt.Fprintln(out, "\nlocked-out users:")
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tATTEMPTS\tLOCKED FOR")
	for _, u := range s.LockedUsers {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", u.Username, u.Attempts, lockedFor(u.LockedForS))
	}
	return tw.Flush()
}

func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// RunReset resets what o names and says exactly what was reset.
func RunReset(ctx context.Context, conn *pgx.Conn, o ResetOptions, out io.Writer) error {
	if err := o.validate(); err != nil {
		return err
	}
	if o.All {
		var user, addr int
		err := conn.QueryRow(ctx, `select coalesce(sum(cleared) filter (where kind = 'user'), 0),
			coalesce(sum(cleared) filter (where kind = 'addr'), 0) from auth.throttle_reset_all()`).Scan(&user, &addr)
		if err != nil {
			return explain(err)
		}
		_, err = fmt.Fprintf(out, "throttle reset: %d live user-name entries and %d live address entries cleared\n", user, addr)
		return err
	}
	for _, k := range [][3]string{{"user", o.User, "user name"}, {"addr", o.Addr, "address"}} {
		if k[1] == "" {
			continue
		}
		var n int
		if err := conn.QueryRow(ctx, "select auth.throttle_reset($1, $2)", k[0], k[1]).Scan(&n); err != nil {
			return explain(err)
		}
		if n == 0 {
			fmt.Fprintf(out, "%s %q had no live throttle entry; nothing reset\n", k[2], k[1])
		} else {
			fmt.Fprintf(out, "%s %q: %d counted attempts cleared\n", k[2], k[1], n)
		}
	}
	return nil
}

// ReadEntry returns the throttle state of one key (kind user or addr).
func ReadEntry(ctx context.Context, conn *pgx.Conn, kind, key string) (Entry, error) {
	e := Entry{Kind: kind, Key: key}
	err := conn.QueryRow(ctx, "select attempts, window_start, window_end, locked_for_s from auth.throttle_status($1, $2)",
		kind, key).Scan(&e.Attempts, &e.WindowStart, &e.WindowEnd, &e.LockedForS)
	return e, explain(err)
}

// ReadSummary returns the live entries per kind and the locked-out users.
func ReadSummary(ctx context.Context, conn *pgx.Conn) (Summary, error) {
	var s Summary
	rows, err := conn.Query(ctx, "select kind, live, locked, slots from auth.throttle_summary()")
	if err != nil {
		return s, explain(err)
	}
	s.Kinds, err = pgx.CollectRows(rows, pgx.RowToStructByPos[KindSummary])
	if err != nil {
		return s, explain(err)
	}
	rows, err = conn.Query(ctx, "select username, attempts, locked_for_s from auth.throttle_locked_users()")
	if err != nil {
		return s, explain(err)
	}
	s.LockedUsers, err = pgx.CollectRows(rows, pgx.RowToStructByPos[LockedUser])
	if s.LockedUsers == nil {
		s.LockedUsers = []LockedUser{}
	}
	return s, explain(err)
}

// explain says what to do when the throttle functions are missing.
func explain(err error) error {
	var pe interface{ SQLState() string }
	if errors.As(err, &pe) {
		switch pe.SQLState() {
		case "42883", "3F000", "42P01":
			return fmt.Errorf("%w: the throttle functions are missing: run `stackctl migrate up` first", err)
		case "42501":
			return fmt.Errorf("%w: connect as the database superuser (--db-url or DATABASE_URL)", err)
		}
	}
	return err
}
