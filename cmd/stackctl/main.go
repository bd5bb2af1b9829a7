// Command stackctl runs and manages the cookie-based JWT auth stack
// (PostgreSQL + a PostgREST-compatible API + Caddy with jwtauth).
// It only wires commands to the packages under internal/cmd.
package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmd/caddy"
	"github.com/authstack/authstack/internal/cmd/migrate"
	"github.com/authstack/authstack/internal/cmd/postgrest"
	"github.com/authstack/authstack/internal/cmd/secret"
	"github.com/authstack/authstack/internal/cmd/seed"
	"github.com/authstack/authstack/internal/cmd/smoketest"
	"github.com/authstack/authstack/internal/cmd/stack"
	"github.com/authstack/authstack/internal/cmd/throttle"
	"github.com/authstack/authstack/internal/cmd/user"
	"github.com/authstack/authstack/internal/cmd/version"
	"github.com/authstack/authstack/internal/cmdutil"
)

func main() {
	f := cmdutil.New()
	root := &cobra.Command{
		Use:           "stackctl",
		Short:         "Run and manage the Caddy + PostgREST + PostgreSQL cookie JWT auth stack",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.String(),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			f.EnvFileExplicit = cmd.Flags().Changed("env-file")
			return f.LoadEnv()
		},
	}
	root.PersistentFlags().StringVar(&f.EnvFile, "env-file", cmdutil.DefaultEnvFile, "dotenv file to load (variables already set in the environment win)")

	root.AddCommand(
		secret.NewCmd(f),
		migrate.NewCmd(f),
		seed.NewCmd(f),
		user.NewCmd(f),
		throttle.NewCmd(f),
		postgrest.NewCmd(f),
		caddy.NewCmd(f),
	)
	root.AddCommand(stack.NewCmds(f)...)
	root.AddCommand(smoketest.NewCmd(f), version.NewCmd(f))
	root.SetVersionTemplate("stackctl {{.Version}}\n")

	if err := root.Execute(); err != nil {
		cmdutil.PrintError(f.ErrOut, err)
		os.Exit(cmdutil.ExitCode(err))
	}
}
