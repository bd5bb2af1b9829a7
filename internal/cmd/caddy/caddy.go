// Package caddy implements `stackctl caddy`.
package caddy

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
)

// NewCmd returns the `caddy` command. Placeholder until its issue lands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "caddy",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("caddy: not implemented yet")
		},
	}
}
