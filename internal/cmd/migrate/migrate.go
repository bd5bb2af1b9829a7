// Package migrate implements `stackctl migrate`.
package migrate

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
)

// NewCmd returns the `migrate` command. Placeholder until its issue lands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "migrate",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("migrate: not implemented yet")
		},
	}
}
