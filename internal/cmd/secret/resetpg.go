package secret

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/dotenv"
	"github.com/authstack/authstack/internal/pgserver"
	"github.com/authstack/authstack/internal/secret"
	"github.com/authstack/authstack/internal/stack"
)

// ResetPGPasswordCmd is how the hints name the command.
const ResetPGPasswordCmd = "stackctl secret reset-pg-password"

func resetPGPasswordCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "reset-pg-password",
		Short: "Set the native cluster's postgres password to POSTGRES_PASSWORD of .env, keeping the data",
		Long: `Sets the password of the superuser "postgres" in the native stack's existing cluster
(.stack/pgdata) to POSTGRES_PASSWORD of .env, without the old password and keeping every
database. When POSTGRES_PASSWORD is empty a new one is generated into .env first. The stack
must be stopped (` + "`stackctl down`" + `): it runs PostgreSQL once in single-user mode, as the
account that owns the data directory. The password is never printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return resetPGPassword(cmd, f) },
	}
}

func resetPGPassword(cmd *cobra.Command, f *cmdutil.Factory) error {
	root, err := f.Project()
	if err != nil {
		return err
	}
	c, err := stack.LoadConfig(root, f.EnvFile)
	if err != nil {
		return err
	}
	data := stack.DataDir(c.StateDir)
	pg := &pgserver.Cluster{DataDir: data}
	if !pg.Initialized() {
		return fmt.Errorf("%s holds no PostgreSQL cluster, so there is no password to reset: `stackctl up` creates one with POSTGRES_PASSWORD of .env", data)
	}
	lock, err := stack.TryLock(c.StateDir)
	if errors.Is(err, stack.ErrRunning) {
		return errors.New("the native stack is running: nothing was changed. Stop it first: `stackctl down && " + ResetPGPasswordCmd + "`")
	}
	if err != nil {
		return err
	}
	defer lock.Release()
	envf, err := dotenv.Load(f.EnvFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%s does not exist: run `stackctl secret gen` first", f.EnvFile)
	}
	pw, generated := c.PostgresPassword, false
	if pw == "" {
		if pw, err = secret.NewPassword(); err != nil {
			return err
		}
		if err := envf.Set(secret.PostgresPassword, pw); err != nil {
			return err
		}
		generated = true
	} else if v, _ := envf.Get(secret.PostgresPassword); v != pw {
		fmt.Fprintln(f.ErrOut, "note: POSTGRES_PASSWORD is set in the environment, which wins over .env: the cluster gets that value")
	}
	if err := pg.SetPassword(cmd.Context(), "postgres", pw); err != nil {
		if errors.Is(err, pgserver.ErrClusterRunning) {
			return fmt.Errorf("%w; nothing was changed (a PostgreSQL left over from the stack stops with `stackctl down`)", err)
		}
		return fmt.Errorf("nothing was changed: %w", err)
	}
	if generated {
		if err := envf.Save(); err != nil {
			return fmt.Errorf("the cluster has a new password but writing it into %s failed (%v): run `%s` again", f.EnvFile, err, ResetPGPasswordCmd)
		}
		fmt.Fprintf(f.Out, "wrote a new POSTGRES_PASSWORD to %s (value not shown)\n", f.EnvFile)
	}
	fmt.Fprintf(f.Out, "the postgres password of the cluster in %s is now POSTGRES_PASSWORD of %s; its data is unchanged. Start the stack with `stackctl up`.\n", data, f.EnvFile)
	return nil
}
