// Package migrate implements `stackctl migrate`: golang-migrate v4 over the
// embedded postgres/migrations (or --path), templated by stackctl.
package migrate

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/dbconn"
	"github.com/authstack/authstack/internal/migrations"
)

// DefaultPath is where `migrate create` writes without --path.
const DefaultPath = "postgres/migrations"

// Options are the flags of `migrate` that every subcommand shares.
type Options struct {
	Factory *cmdutil.Factory
	DB      *dbconn.Options
	Path    string // --path: migration files on disk instead of the embedded ones
	Verbose bool   // --verbose: golang-migrate's progress lines on ErrOut
}

// NewCmd returns the `migrate` command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	o := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply, revert and inspect the database migrations (golang-migrate)",
		Long: `Migrations are embedded in stackctl (postgres/migrations); --path DIR uses files on disk.
{{JWT_SECRET}} and {{AUTHENTICATOR_PASSWORD}} in a migration become quoted SQL literals
(from the environment / .env); their values never appear in output.
After the migrations, ` + "`up`" + ` applies SIGNUP_ENABLED and SIGNUP_ROLE (POST /rpc/signup exists
only with SIGNUP_ENABLED=true).`,
	}
	o.DB = dbconn.AddFlags(cmd)
	cmd.PersistentFlags().StringVar(&o.Path, "path", "", "directory of migration files to use instead of the embedded ones")
	cmd.PersistentFlags().BoolVarP(&o.Verbose, "verbose", "v", false, "print golang-migrate's progress lines")

	cmd.AddCommand(newUp(o), newDown(o), newStatus(o), newVersion(o), newForce(o), newCreate(o))
	return cmd
}

// open waits for the database (with --wait) and opens the migrations.
func (o *Options) open(ctx context.Context) (*migrations.Migrator, error) {
	cfg, err := o.DB.Ready(ctx)
	if err != nil {
		return nil, err
	}
	opts := migrations.Options{Dir: o.Path, Vars: migrations.VarsFromEnv(os.Getenv)}
	if o.Verbose {
		opts.Log = o.Factory.ErrOut
	}
	return migrations.Open(ctx, cfg, opts)
}

// versionText is the database's migration version as the commands print it.
func versionText(mg *migrations.Migrator) string {
	v, dirty, ok, err := mg.Version()
	switch {
	case err != nil:
		return "unknown (" + err.Error() + ")"
	case !ok:
		return "none"
	case dirty:
		return fmt.Sprintf("%d (dirty)", v)
	}
	return strconv.FormatUint(uint64(v), 10)
}

// apply runs one up/down step and reports the version change.
func (o *Options) apply(ctx context.Context, step func(*migrations.Migrator) error) error {
	mg, err := o.open(ctx)
	if err != nil {
		return err
	}
	defer mg.Close()
	before := versionText(mg)
	if err := step(mg); err != nil {
		return err
	}
	if after := versionText(mg); after != before {
		fmt.Fprintf(o.Factory.Out, "migrated: version %s -> %s\n", before, after)
	} else {
		fmt.Fprintf(o.Factory.Out, "no change (version %s)\n", after)
	}
	return nil
}

// steps reads up's and down's optional N (0: all of them).
func steps(args []string) (int, error) {
	if len(args) == 0 {
		return 0, nil
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		return 0, fmt.Errorf("N must be a positive number of migrations, got %q", args[0])
	}
	return n, nil
}
