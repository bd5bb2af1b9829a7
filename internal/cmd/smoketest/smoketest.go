// Package smoketest implements `stackctl smoketest`.
package smoketest

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
)

// NewCmd returns the `smoketest` command. Placeholder until its issue lands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "smoke-test",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("smoketest: not implemented yet")
		},
	}
}
