package migrate

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
)

// statusReport is `migrate status -o json` (docs/json-output.md): the same
// keys when the database cannot be reached; ok is true exactly when the
// exit status is 0.
type statusReport struct {
	OK         bool             `json:"ok"`
	Error      *string          `json:"error"`
	Version    *uint            `json:"version"`
	Dirty      bool             `json:"dirty"`
	Pending    int              `json:"pending"`
	Migrations []migrationState `json:"migrations"`
}

type migrationState struct {
	Version uint   `json:"version"`
	Name    string `json:"name"`
	State   string `json:"state"` // applied, pending or dirty
}

// StatusOptions are the flags of `migrate status`.
type StatusOptions struct {
	ExitCode bool   // exit 1 when migrations are pending or the database is dirty
	Output   string // text or json
}

func newStatus(o *Options) *cobra.Command {
	var so StatusOptions
	status := &cobra.Command{
		Use:   "status",
		Short: "List migrations as applied or pending (--exit-code: exit 1 when some are pending)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStatus(cmd.Context(), o, so)
		},
	}
	status.Flags().BoolVar(&so.ExitCode, "exit-code", false, "exit with status 1 when migrations are pending (or the database is dirty)")
	status.Flags().StringVarP(&so.Output, "output", "o", "text", "output format: text or json")
	return status
}

func runStatus(ctx context.Context, o *Options, so StatusOptions) error {
	f := o.Factory
	if err := cmdutil.CheckOutput(so.Output); err != nil {
		return err
	}
	rep, verText, err := readStatus(ctx, o)
	if err == nil && so.ExitCode && (rep.Pending > 0 || rep.Dirty) {
		err = &cmdutil.ExitError{Code: 1, Err: fmt.Errorf("%d migrations pending, dirty %v (--exit-code)", rep.Pending, rep.Dirty)}
	}
	if so.Output == "json" {
		rep.OK, rep.Error = err == nil, cmdutil.ErrString(err)
		if werr := cmdutil.WriteJSON(f.Out, rep); werr != nil {
			return werr
		}
		return cmdutil.JSONExit(err)
	}
	if rep.Migrations == nil {
		return err // no database: nothing to list
	}
	printStatus(f, rep, verText)
	if err != nil {
		return &cmdutil.ExitError{Code: 1}
	}
	return nil
}

// readStatus reads every migration's state; Migrations stays nil when the
// database could not be read.
func readStatus(ctx context.Context, o *Options) (*statusReport, string, error) {
	rep := &statusReport{}
	mg, err := o.open(ctx)
	if err != nil {
		return rep, "", err
	}
	defer mg.Close()
	st, err := mg.Status()
	if err != nil {
		return rep, "", err
	}
	if v, dirty, ok, err := mg.Version(); err == nil && ok {
		rep.Version, rep.Dirty = &v, dirty
	}
	rep.Migrations = []migrationState{}
	for _, s := range st {
		state := "applied"
		if s.Dirty {
			state, rep.Dirty = "dirty", true
		} else if !s.Applied {
			state = "pending"
			rep.Pending++
		}
		rep.Migrations = append(rep.Migrations, migrationState{Version: s.Version, Name: s.Identifier, State: state})
	}
	return rep, versionText(mg), nil
}

func printStatus(f *cmdutil.Factory, rep *statusReport, verText string) {
	tw := tabwriter.NewWriter(f.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tSTATE")
	for _, m := range rep.Migrations {
		state := m.State
		if state == "dirty" {
			state = "applied (DIRTY)"
		}
		fmt.Fprintf(tw, "%04d\t%s\t%s\n", m.Version, m.Name, state)
	}
	tw.Flush()
	fmt.Fprintf(f.Out, "version %s, %d pending\n", verText, rep.Pending)
	if rep.Dirty && rep.Version != nil {
		v := *rep.Version
		fmt.Fprintf(f.Out, "the database is dirty: fix the failed migration, then `stackctl migrate force %d` (or %d if it was rolled back)\n", v, int(v)-1)
	}
}
