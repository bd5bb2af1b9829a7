// Package postgrest implements `stackctl postgrest`.
package postgrest

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
)

// NewCmd returns the `postgrest` command. Placeholder until its issue lands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "postgrest",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("postgrest: not implemented yet")
		},
	}
}
