package user

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/dbconn"
)

// listReport is `user list -o json` (docs/json-output.md); users is null
// when the database could not be read.
type listReport struct {
	OK    bool        `json:"ok"`
	Error *string     `json:"error"`
	Users []userEntry `json:"users"`
}

type userEntry struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Sessions int    `json:"sessions"`
	// CanLogIn is false when the role was dropped or became privileged.
	CanLogIn bool `json:"can_log_in"`
}

func newList(f *cmdutil.Factory, db *dbconn.Options) *cobra.Command {
	var output string
	list := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List users, their roles and live sessions",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			users, err := listUsers(c, db)
			if output == "json" {
				rep := listReport{OK: err == nil, Error: cmdutil.ErrString(err)}
				if err == nil {
					rep.Users = []userEntry{}
					for _, u := range users {
						rep.Users = append(rep.Users, userEntry{u.Username, u.Role, u.Sessions, u.RoleAllowed})
					}
				}
				if werr := cmdutil.WriteJSON(f.Out, rep); werr != nil {
					return werr
				}
				return cmdutil.JSONExit(err)
			}
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(f.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USERNAME\tROLE\tSESSIONS\tNOTE")
			for _, u := range users {
				note := ""
				if !u.RoleAllowed {
					note = "role missing or not allowed: cannot log in"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", u.Username, u.Role, u.Sessions, note)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return list
}

func listUsers(c *cobra.Command, db *dbconn.Options) ([]authdb.User, error) {
	ctx := c.Context()
	conn, err := db.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	return authdb.ListUsers(ctx, conn)
}
