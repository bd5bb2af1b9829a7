// Package seed implements `stackctl seed demo`.
package seed

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/dbconn"
)

// NewCmd returns the `seed` command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Load demo data",
	}
	demo := &cobra.Command{
		Use:   "demo",
		Short: "Create the demo users demo/demo and alice/alice (basic_subscriber) and their tasks (idempotent)",
		Args:  cobra.NoArgs,
	}
	db := dbconn.AddFlags(demo)
	demo.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		conn, err := db.Connect(ctx)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		if err := authdb.SeedDemo(ctx, conn); err != nil {
			return err
		}
		fmt.Fprintln(f.Out, "demo data present: users demo/demo and alice/alice (role basic_subscriber) with their tasks")
		return nil
	}
	cmd.AddCommand(demo)
	return cmd
}
