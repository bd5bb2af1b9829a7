// Package postgrest implements `stackctl postgrest`: the PostgREST
// v16.2-compatible engine configured from the PGRST_* environment
// variables (the root command has already loaded .env).
package postgrest

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
	engine "github.com/authstack/authstack/internal/postgrest"
)

// NewCmd returns the `postgrest` command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var dump, showSecrets bool
	cmd := &cobra.Command{
		Use:   "postgrest",
		Short: "Run the PostgREST-compatible API server (configured by PGRST_* variables)",
		Long: `Run the PostgREST v16.2-compatible engine. It reads the same environment variables as PostgREST
(PGRST_DB_URI, PGRST_DB_SCHEMAS, PGRST_DB_ANON_ROLE, PGRST_JWT_SECRET, PGRST_JWT_SECRET_IS_BASE64,
PGRST_APP_SETTINGS_*, PGRST_SERVER_HOST, PGRST_SERVER_PORT, PGRST_ADMIN_SERVER_PORT, ...).
SIGUSR1 reloads the schema cache, as does NOTIFY pgrst, 'reload schema'. SIGTERM/SIGINT stop it gracefully.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := engine.ConfigFromEnv()
			if err != nil {
				return err
			}
			if dump {
				fmt.Fprint(f.Out, cfg.Dump(showSecrets))
				return nil
			}
			cmdutil.TuneServerGC()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			srv := engine.New(cfg, f.ErrOut)
			srv.SetAccessLog(f.Out)
			usr1 := make(chan os.Signal, 1)
			signal.Notify(usr1, syscall.SIGUSR1)
			defer signal.Stop(usr1)
			go func() {
				for {
					select {
					case <-ctx.Done():
						return
					case <-usr1:
						srv.Reload()
					}
				}
			}()
			return srv.Run(ctx)
		},
	}
	cmd.Flags().BoolVar(&dump, "dump-config", false, "print the effective configuration and exit (secrets hidden)")
	cmd.Flags().BoolVar(&showSecrets, "show-secrets", false, "with --dump-config, print secrets too")
	cmd.SetContext(context.Background())
	return cmd
}
