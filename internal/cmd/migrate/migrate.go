// Package migrate implements `stackctl migrate`: golang-migrate v4 over the
// embedded postgres/migrations (or --path), templated by stackctl.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/dbconn"
	"github.com/authstack/authstack/internal/migrations"
)

// DefaultPath is where `migrate create` writes without --path.
const DefaultPath = "postgres/migrations"

// NewCmd returns the `migrate` command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var path string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply, revert and inspect the database migrations (golang-migrate)",
		Long: `Migrations are embedded in stackctl (postgres/migrations); --path DIR uses files on disk.
{{JWT_SECRET}} and {{AUTHENTICATOR_PASSWORD}} in a migration become quoted SQL literals
(from the environment / .env); their values never appear in output.
After the migrations, ` + "`up`" + ` applies SIGNUP_ENABLED and SIGNUP_ROLE (POST /rpc/signup exists
only with SIGNUP_ENABLED=true).`,
	}
	db := dbconn.AddFlags(cmd)
	cmd.PersistentFlags().StringVar(&path, "path", "", "directory of migration files to use instead of the embedded ones")
	cmd.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "print golang-migrate's progress lines")

	open := func(ctx context.Context) (*migrations.Migrator, error) {
		cfg, err := db.Ready(ctx)
		if err != nil {
			return nil, err
		}
		opts := migrations.Options{Dir: path, Vars: migrations.VarsFromEnv(os.Getenv)}
		if verbose {
			opts.Log = f.ErrOut
		}
		return migrations.Open(ctx, cfg, opts)
	}
	version := func(mg *migrations.Migrator) string {
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
	apply := func(ctx context.Context, step func(*migrations.Migrator) error) error {
		mg, err := open(ctx)
		if err != nil {
			return err
		}
		defer mg.Close()
		before := version(mg)
		if err := step(mg); err != nil {
			return err
		}
		if after := version(mg); after != before {
			fmt.Fprintf(f.Out, "migrated: version %s -> %s\n", before, after)
		} else {
			fmt.Fprintf(f.Out, "no change (version %s)\n", after)
		}
		return nil
	}
	steps := func(args []string) (int, error) {
		if len(args) == 0 {
			return 0, nil
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 {
			return 0, fmt.Errorf("N must be a positive number of migrations, got %q", args[0])
		}
		return n, nil
	}

	up := &cobra.Command{
		Use:   "up [N]",
		Short: "Apply all (or N) pending migrations",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := steps(args)
			if err != nil {
				return err
			}
			vars := migrations.VarsFromEnv(os.Getenv)
			if err := migrations.CheckVars(vars); err != nil {
				if errors.Is(err, migrations.ErrSecretMissing) && !f.EnvFound() {
					return fmt.Errorf("%w (%s was not found)", err, f.EnvFile)
				}
				return err
			}
			signup, err := authdb.SignupFromEnv(os.Getenv)
			if err != nil {
				return err
			}
			if err := apply(cmd.Context(), func(mg *migrations.Migrator) error { return mg.Up(n) }); err != nil {
				return err
			}
			return configureSignup(cmd.Context(), f, db, signup)
		},
	}

	var yes bool
	down := &cobra.Command{
		Use:   "down [N]",
		Short: "Revert the last N migrations (all of them with --yes)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := steps(args)
			if err != nil {
				return err
			}
			if n == 0 && !yes {
				return errors.New("`migrate down` without N reverts every migration and drops the auth schema and its data: add --yes to confirm, or give N")
			}
			return apply(cmd.Context(), func(mg *migrations.Migrator) error { return mg.Down(n) })
		},
	}
	down.Flags().BoolVarP(&yes, "yes", "y", false, "confirm reverting every migration")

	status := newStatus(f, open, version)

	versionCmd := &cobra.Command{
		Use:   "version",
		Short: "Print the current migration version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			mg, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer mg.Close()
			fmt.Fprintln(f.Out, version(mg))
			return nil
		},
	}

	var none, forceYes bool
	force := &cobra.Command{
		Use:   "force V",
		Short: "Set the version to V and clear the dirty flag without running anything (-1: no version)",
		Long: "Set the version to V and clear the dirty flag without running anything.\n" +
			"V must be one of the migrations' versions (see `stackctl migrate status`); `force -1` records no version.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := forceVersion(args, none)
			if err != nil {
				return err
			}
			mg, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer mg.Close()
			if v >= 0 && !forceYes {
				if known, err := mg.HasVersion(uint(v)); err != nil {
					return err
				} else if !known {
					return fmt.Errorf("no migration has version %d (see `stackctl migrate status`): nothing was changed; add --yes to force it anyway", v)
				}
			}
			if err := mg.Force(v); err != nil {
				return err
			}
			fmt.Fprintf(f.Out, "forced: version %s\n", version(mg))
			return nil
		},
	}
	// pflag reads "-1" as a shorthand flag: make it one, so `force -1`
	// works as the help says.
	force.Flags().BoolVarP(&none, "none", "1", false, "record no version (the same as V = -1)")
	force.Flags().BoolVarP(&forceYes, "yes", "y", false, "force a version that no migration has")

	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Write an empty numbered up/down migration pair into --path (default " + DefaultPath + ")",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := path
			if dir == "" {
				dir = DefaultPath
			}
			paths, err := migrations.Create(dir, args[0])
			if err != nil {
				return err
			}
			for _, p := range paths {
				fmt.Fprintln(f.Out, "created", p)
			}
			if path == "" {
				fmt.Fprintln(f.Out, "note: the embedded migrations change when stackctl is rebuilt; use --path to run them before that")
			}
			return nil
		},
	}
	cmd.AddCommand(up, down, status, versionCmd, force, create)
	return cmd
}

// forceVersion reads force's V (or -1 from the -1 flag).
func forceVersion(args []string, none bool) (int, error) {
	switch {
	case none && len(args) == 0:
		return -1, nil
	case none || len(args) == 0:
		return 0, errors.New("give one version: `stackctl migrate force V`, or `stackctl migrate force -1` for no version")
	}
	v, err := strconv.Atoi(args[0])
	if err != nil || v < -1 {
		return 0, fmt.Errorf("V must be a migration version or -1, got %q", args[0])
	}
	return v, nil
}

// configureSignup applies SIGNUP_ENABLED/SIGNUP_ROLE after `migrate up`
// (auth.configure_signup, migration 0008) and says what changed. A
// database not yet at migration 8 (`migrate up N`) keeps no sign-up.
func configureSignup(ctx context.Context, f *cmdutil.Factory, db *dbconn.Options, s authdb.Signup) error {
	conn, err := db.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	changed, err := authdb.ConfigureSignup(ctx, conn, s)
	switch {
	case errors.Is(err, authdb.ErrSignupUnavailable):
		if s.Enabled {
			fmt.Fprintln(f.Out, "signup: not enabled: the database is not at migration 8 yet (run `stackctl migrate up`)")
		}
		return nil
	case err != nil:
		return fmt.Errorf("signup: %w", err)
	case changed == "enabled" || changed == "role changed":
		fmt.Fprintf(f.Out, "signup: %s (POST /rpc/signup, role %s)\n", changed, s.Role)
	case changed == "disabled":
		fmt.Fprintln(f.Out, "signup: disabled (POST /rpc/signup is gone)")
	}
	return nil
}
