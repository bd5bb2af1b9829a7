// Package user implements `stackctl user add|passwd|del|list|sessions|revoke`.
package user

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/dbconn"
)

// DefaultRole is the role of new users.
const DefaultRole = "basic_subscriber"

// NewCmd returns the `user` command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage login users (auth.user)",
		Long: `Passwords are read from a prompt without echo when stdin is a terminal, else from the
first line of stdin; --password is used only when given explicitly (it is visible in the
process list and shell history).`,
	}
	db := dbconn.AddFlags(cmd)

	var role, password string
	add := &cobra.Command{
		Use:   "add USERNAME",
		Short: "Create a user (role default " + DefaultRole + ")",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			pw, err := readPassword(f, c.Flags().Changed("password"), password, true)
			if err != nil {
				return err
			}
			ctx := c.Context()
			conn, err := db.Connect(ctx)
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			if err := authdb.AddUser(ctx, conn, args[0], pw, role); err != nil {
				return err
			}
			fmt.Fprintf(f.Out, "user %s added (role %s)\n", args[0], role)
			return nil
		},
	}
	add.Flags().StringVar(&role, "role", DefaultRole, "database role of the user (must be granted to authenticator and not privileged)")
	add.Flags().StringVar(&password, "password", "", "the password (visible to other processes: prefer the prompt or stdin)")

	var pw2 string
	passwd := &cobra.Command{
		Use:   "passwd USERNAME",
		Short: "Change a user's password (their sessions end)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			pw, err := readPassword(f, c.Flags().Changed("password"), pw2, true)
			if err != nil {
				return err
			}
			ctx := c.Context()
			conn, err := db.Connect(ctx)
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			if err := authdb.SetPassword(ctx, conn, args[0], pw); err != nil {
				return err
			}
			fmt.Fprintf(f.Out, "password of %s changed; their sessions ended (refresh tokens revoked); %s\n", args[0], accessTokensRefused())
			return nil
		},
	}
	passwd.Flags().StringVar(&pw2, "password", "", "the new password (visible to other processes: prefer the prompt or stdin)")

	var yes bool
	del := &cobra.Command{
		Use:     "del USERNAME",
		Aliases: []string{"delete", "rm"},
		Short:   "Delete a user with their sessions and tasks (needs --yes)",
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if !yes {
				return fmt.Errorf("`user del %s` deletes the user with their sessions and every row they own (tasks): add --yes to confirm", args[0])
			}
			ctx := c.Context()
			conn, err := db.Connect(ctx)
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			if err := authdb.DeleteUser(ctx, conn, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(f.Out, "user %s deleted with their sessions and tasks; %s\n", args[0], accessTokensRefused())
			return nil
		},
	}
	del.Flags().BoolVarP(&yes, "yes", "y", false, "confirm deleting the user and their rows")

	list := newList(f, db)
	cmd.AddCommand(add, passwd, del, list, newSessions(f, db), newRevoke(f, db))
	return cmd
}

// readPassword takes the --password value when it was given, else prompts
// twice without echo on a terminal, else reads one line of stdin.
func readPassword(f *cmdutil.Factory, given bool, flagValue string, confirm bool) (string, error) {
	var pw string
	switch {
	case given:
		pw = flagValue
	case isTerminal(f.In):
		fd := int(f.In.(*os.File).Fd())
		fmt.Fprint(f.ErrOut, "Password: ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(f.ErrOut)
		if err != nil {
			return "", err
		}
		pw = string(b)
		if confirm {
			fmt.Fprint(f.ErrOut, "Repeat password: ")
			b2, err := term.ReadPassword(fd)
			fmt.Fprintln(f.ErrOut)
			if err != nil {
				return "", err
			}
			if string(b2) != pw {
				return "", errors.New("passwords do not match; nothing changed")
			}
		}
	default:
		line, err := bufio.NewReader(f.In).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
		if pw == "" && errors.Is(err, io.EOF) && line == "" {
			return "", errors.New("no password on stdin (pipe it in, use a terminal, or give --password)")
		}
	}
	if err := authdb.ValidatePassword(pw); err != nil {
		return "", fmt.Errorf("%w; nothing changed", err)
	}
	return pw, nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// accessTokensRefused says what ending a session does to access tokens
// already issued: the API's pre-request function (auth.check_session,
// PGRST_DB_PRE_REQUEST, on by default) refuses them from now on; a route
// that only Caddy checks accepts a signed JWT until its exp (at most
// JWT_EXP seconds after it was issued).
func accessTokensRefused() string {
	exp := "3600"
	for _, k := range []string{"PGRST_APP_SETTINGS_JWT_EXP", "JWT_EXP"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			exp = v
			break
		}
	}
	return fmt.Sprintf("the API refuses their access tokens from now on when PGRST_DB_PRE_REQUEST=auth.check_session (the default); routes only Caddy checks accept them until they expire, at most JWT_EXP (%s) seconds", exp)
}
