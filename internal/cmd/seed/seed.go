// Package seed implements `stackctl seed`.
package seed

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
)

// NewCmd returns the `seed` command. Placeholder until its issue lands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "seed",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("seed: not implemented yet")
		},
	}
}
