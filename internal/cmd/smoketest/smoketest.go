// Package smoketest implements `stackctl smoke-test`.
package smoketest

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/smoketest"
	"github.com/authstack/authstack/internal/stack"
)

// NewCmd returns the `smoke-test` command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var url, dbURL, output string
	cmd := &cobra.Command{
		Use:   "smoke-test",
		Short: "Run the guide's curl flows and the security checks end to end through Caddy (exit 1 on any failure)",
		Long: `Run the guide's flows through the gateway: login (cookies and JWT claims), GET /rest/task with and
without the cookie, forged / expired / alg:none tokens, wrong password, refresh (and reuse of the old
refresh token), logout (cookies cleared, refresh refused afterwards) and the public OpenAPI root.
Each check prints PASS name or FAIL name: why, then "N passed, N failed".

With database access (--db-url, DATABASE_URL, or the stack's own PostgreSQL on STACK_PG_PORT with
POSTGRES_PASSWORD from .env) it creates a throwaway user and removes it afterwards; otherwise it uses
the demo user and says so. Works against the native and the Docker stack. Never prints tokens.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			wd, err := os.Getwd()
			if err != nil {
				return err
			}
			cfg, cfgErr := stack.LoadConfig(wd, f.EnvFile)
			if url == "" {
				url = "http://localhost:8000"
				if cfgErr == nil {
					url = cfg.BaseURL()
				}
			}
			var notes []string
			if dbURL == "" {
				dbURL = os.Getenv("DATABASE_URL")
			}
			if dbURL == "" && !cmd.Flags().Changed("db-url") && cfgErr == nil && cfg.PostgresPassword != "" {
				// the stack's own database (native, or compose's published port)
				cand := cfg.DatabaseURL()
				cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				if conn, err := pgx.Connect(cctx, cand); err == nil {
					conn.Close(cctx)
					dbURL = cand
				} else {
					notes = append(notes, fmt.Sprintf("the stack's database on 127.0.0.1:%d is not reachable", cfg.PGPort))
				}
				cancel()
			}
			rep, err := smoketest.Run(ctx, smoketest.Options{
				BaseURL:   url,
				DBURL:     dbURL,
				JWTSecret: os.Getenv("JWT_SECRET"),
			})
			if output == "json" {
				return writeJSON(f, url, notes, rep, err)
			}
			if err != nil {
				return err
			}
			rep.Notes = append(notes, rep.Notes...)
			for _, n := range rep.Notes {
				fmt.Fprintf(f.ErrOut, "note: %s\n", n)
			}
			if rep.Throwaway {
				fmt.Fprintf(f.ErrOut, "note: using the throwaway user %s (removed afterwards)\n", rep.User)
			}
			smoketest.Print(f.Out, rep)
			if !rep.OK() {
				return &cmdutil.ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "gateway URL (default http://localhost:$STACK_HTTP_PORT, i.e. http://localhost:8000)")
	cmd.Flags().StringVar(&dbURL, "db-url", "", "superuser URL of the stack's database, for a throwaway user (default $DATABASE_URL)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// report is `smoke-test -o json` (docs/json-output.md): the same keys when
// the gateway cannot be reached; ok is true exactly when the exit status is 0.
type report struct {
	OK        bool               `json:"ok"`
	Error     *string            `json:"error"`
	URL       string             `json:"url"`
	User      string             `json:"user"`
	Throwaway bool               `json:"throwaway_user"`
	Notes     []string           `json:"notes"`
	Results   []smoketest.Result `json:"results"`
	Passed    int                `json:"passed"`
	Failed    int                `json:"failed"`
	Elapsed   float64            `json:"elapsed_seconds"`
}

func writeJSON(f *cmdutil.Factory, url string, notes []string, rep *smoketest.Report, err error) error {
	out := report{URL: url, Notes: append([]string{}, notes...), Results: []smoketest.Result{}}
	if rep != nil {
		out.URL, out.User, out.Throwaway = rep.URL, rep.User, rep.Throwaway
		out.Notes = append(out.Notes, rep.Notes...)
		out.Results = append(out.Results, rep.Results...)
		out.Passed, out.Failed, out.Elapsed = rep.Passed, rep.Failed, rep.Elapsed
		if err == nil && !rep.OK() {
			err = fmt.Errorf("%d checks failed, %d passed", rep.Failed, rep.Passed)
		}
	}
	out.OK, out.Error = err == nil, cmdutil.ErrString(err)
	if werr := cmdutil.WriteJSON(f.Out, out); werr != nil {
		return werr
	}
	return cmdutil.JSONExit(err)
}
