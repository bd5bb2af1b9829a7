// Package secret implements `stackctl secret`.
package secret

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
)

// NewCmd returns the `secret` command. Placeholder until its issue lands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "secret",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("secret: not implemented yet")
		},
	}
}
