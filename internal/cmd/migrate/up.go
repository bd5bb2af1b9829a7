package migrate

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/dbconn"
	"github.com/authstack/authstack/internal/migrations"
)

func newUp(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "up [N]",
		Short: "Apply all (or N) pending migrations",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUp(cmd.Context(), o, args)
		},
	}
}

// runUp checks the secrets and the sign-up settings before anything runs,
// applies the migrations, then the sign-up settings.
func runUp(ctx context.Context, o *Options, args []string) error {
	f := o.Factory
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
	if err := o.apply(ctx, func(mg *migrations.Migrator) error { return mg.Up(n) }); err != nil {
		return err
	}
	return configureSignup(ctx, f, o.DB, signup)
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
