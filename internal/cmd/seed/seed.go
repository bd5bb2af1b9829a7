// Package seed implements `stackctl seed demo`.
package seed

import (
	"fmt"
	"strings"

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
		logins, err := authdb.DemoLogins(ctx, conn)
		if err != nil {
			return err
		}
		fmt.Fprintln(f.Out, demoReport(logins))
		return nil
	}
	cmd.AddCommand(demo)
	return cmd
}

// demoReport says which demo sign-ins work; a user whose password was
// changed is named as such, not advertised as name/name.
func demoReport(logins []authdb.DemoLogin) string {
	var ok, changed []string
	for _, l := range logins {
		switch {
		case l.DemoPassword:
			ok = append(ok, l.User+"/"+l.User)
		case l.Exists:
			changed = append(changed, l.User)
		}
	}
	msg := "demo data present (role basic_subscriber, with their tasks)"
	if len(ok) > 0 {
		msg += "; sign in as " + strings.Join(ok, " or ")
	}
	if len(changed) > 0 {
		msg += fmt.Sprintf("; %s kept the password set with `stackctl user passwd` (seeding never changes a password)", strings.Join(changed, " and "))
	}
	return msg
}
