// Package user implements `stackctl user`.
package user

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
)

// NewCmd returns the `user` command. Placeholder until its issue lands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "user",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("user: not implemented yet")
		},
	}
}
