package migrate

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/migrations"
)

// DownOptions are the flags of `migrate down`.
type DownOptions struct {
	Yes bool // confirms reverting every migration (no N)
}

func newDown(o *Options) *cobra.Command {
	var do DownOptions
	down := &cobra.Command{
		Use:   "down [N]",
		Short: "Revert the last N migrations (all of them with --yes)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDown(cmd.Context(), o, do, args)
		},
	}
	down.Flags().BoolVarP(&do.Yes, "yes", "y", false, "confirm reverting every migration")
	return down
}

func runDown(ctx context.Context, o *Options, do DownOptions, args []string) error {
	n, err := steps(args)
	if err != nil {
		return err
	}
	if n == 0 && !do.Yes {
		return errors.New("`migrate down` without N reverts every migration and drops the auth schema and its data: add --yes to confirm, or give N")
	}
	return o.apply(ctx, func(mg *migrations.Migrator) error { return mg.Down(n) })
}
