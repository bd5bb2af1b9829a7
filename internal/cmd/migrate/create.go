package migrate

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/migrations"
)

func newCreate(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "create NAME",
		Short: "Write an empty numbered up/down migration pair into --path (default " + DefaultPath + ")",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCreate(o, args[0])
		},
	}
}

func runCreate(o *Options, name string) error {
	dir := o.Path
	if dir == "" {
		dir = DefaultPath
	}
	paths, err := migrations.Create(dir, name)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintln(o.Factory.Out, "created", p)
	}
	if o.Path == "" {
		fmt.Fprintln(o.Factory.Out, "note: the embedded migrations change when stackctl is rebuilt; use --path to run them before that")
	}
	return nil
}
