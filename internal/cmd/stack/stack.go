// Package stack implements `stackctl up`, `down`, `status` and `logs`.
package stack

import (
	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
)

// NewCmds returns the stack commands. Placeholder until its issue lands.
func NewCmds(f *cmdutil.Factory) []*cobra.Command {
	return nil
}
