package migrate

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newVersion(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the current migration version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVersion(cmd.Context(), o)
		},
	}
}

func runVersion(ctx context.Context, o *Options) error {
	mg, err := o.open(ctx)
	if err != nil {
		return err
	}
	defer mg.Close()
	fmt.Fprintln(o.Factory.Out, versionText(mg))
	return nil
}
