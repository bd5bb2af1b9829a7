package user

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/dbconn"
)

// sessionsReport is `user sessions USER -o json` (docs/json-output.md);
// sessions is null when the database could not be read or the user does
// not exist.
type sessionsReport struct {
	OK       bool           `json:"ok"`
	Error    *string        `json:"error"`
	User     string         `json:"user"`
	Sessions []sessionEntry `json:"sessions"`
}

type sessionEntry struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
}

func newSessions(f *cmdutil.Factory, db *dbconn.Options) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "sessions USERNAME",
		Short: "List a user's live sessions (one per sign-in; `user revoke` ends them)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			ctx := c.Context()
			var list []authdb.Session
			conn, err := db.Connect(ctx)
			if err == nil {
				list, err = authdb.ListSessions(ctx, conn, args[0])
				conn.Close(ctx)
			}
			if output == "json" {
				rep := sessionsReport{OK: err == nil, Error: cmdutil.ErrString(err), User: args[0]}
				if err == nil {
					rep.Sessions = []sessionEntry{}
					for _, s := range list {
						rep.Sessions = append(rep.Sessions, sessionEntry{s.ID, s.CreatedAt.UTC(), s.LastUsedAt.UTC(), s.UserAgent, s.IP})
					}
				}
				if werr := cmdutil.WriteJSON(f.Out, rep); werr != nil {
					return werr
				}
				return cmdutil.JSONExit(err)
			}
			if err != nil {
				return err
			}
			if len(list) == 0 {
				fmt.Fprintf(f.Out, "%s has no live session\n", args[0])
				return nil
			}
			tw := tabwriter.NewWriter(f.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCREATED\tLAST USED\tIP\tUSER AGENT")
			for _, s := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.CreatedAt.UTC().Format(time.RFC3339), s.LastUsedAt.UTC().Format(time.RFC3339),
					orDash(authdb.Printable(s.IP)), orDash(authdb.Printable(s.UserAgent)))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

func newRevoke(f *cmdutil.Factory, db *dbconn.Options) *cobra.Command {
	var session string
	cmd := &cobra.Command{
		Use:   "revoke USERNAME",
		Short: "End all of a user's sessions, or one (--session ID from `user sessions`)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if c.Flags().Changed("session") {
				if err := authdb.ValidateSessionID(session); err != nil {
					return fmt.Errorf("--session: %w; nothing changed", err)
				}
			}
			ctx := c.Context()
			conn, err := db.Connect(ctx)
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			n, err := authdb.RevokeSessions(ctx, conn, args[0], session)
			if err != nil {
				return err
			}
			what := fmt.Sprintf("%d session(s) of %s ended", n, args[0])
			if session != "" {
				what = fmt.Sprintf("session %s of %s ended", session, args[0])
			}
			fmt.Fprintf(f.Out, "%s; %s\n", what, accessTokensRefused())
			return nil
		},
	}
	cmd.Flags().StringVar(&session, "session", "", "the session to end (an id from `stackctl user sessions USERNAME`); default: all")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
