// Package secret implements `stackctl secret gen|rotate|reset-pg-password`.
package secret

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/dbconn"
	"github.com/authstack/authstack/internal/dotenv"
	"github.com/authstack/authstack/internal/pgserver"
	"github.com/authstack/authstack/internal/secret"
	"github.com/authstack/authstack/internal/stack"
)

// NewCmd returns the `secret` command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Generate the JWT secret and passwords in .env, rotate the JWT secret, reset the cluster's postgres password",
		// Replaces the root's hook: a missing --env-file is what `secret gen`
		// creates, so it is not an error here (rotate reports it itself).
		PersistentPreRunE: func(c *cobra.Command, args []string) error {
			f.EnvFileExplicit = c.Flags().Changed("env-file")
			if _, err := os.Stat(f.EnvFile); errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return f.LoadEnv()
		},
	}
	cmd.AddCommand(genCmd(f), rotateCmd(f), resetPGPasswordCmd(f))
	return cmd
}

func genCmd(f *cmdutil.Factory) *cobra.Command {
	var force, print bool
	c := &cobra.Command{
		Use:   "gen",
		Short: "Write a new JWT_SECRET (32 random bytes, base64) and fill empty passwords in .env",
		Long: `Writes JWT_SECRET into .env (created from .env.example when missing; every other
line and comment is kept) and fills AUTHENTICATOR_PASSWORD and POSTGRES_PASSWORD when empty.
An existing JWT_SECRET is replaced only with --force (that ends every session: prefer
` + "`stackctl secret rotate`" + ` on a running stack). --print writes a new secret to stdout only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if print {
				s, err := secret.NewJWTSecret()
				if err != nil {
					return err
				}
				fmt.Fprintln(f.Out, s)
				return nil
			}
			before, _ := fileValue(f.EnvFile, secret.JWTSecret)
			res, err := secret.Gen(f.EnvFile, force)
			if err != nil {
				return err
			}
			if res.Created {
				if res.FromFile != "" {
					fmt.Fprintf(f.ErrOut, "created %s from %s\n", res.Path, res.FromFile)
				} else {
					fmt.Fprintf(f.ErrOut, "created %s (no .env.example next to it: only the secrets are written)\n", res.Path)
				}
			}
			if len(res.Written) > 0 {
				fmt.Fprintf(f.ErrOut, "wrote %s to %s (values not shown)\n", strings.Join(res.Written, ", "), res.Path)
			}
			if res.ReplacedJ {
				fmt.Fprintln(f.ErrOut, "note: JWT_SECRET was replaced: run `stackctl migrate up` / restart the stack, or use `stackctl secret rotate` to update the database too; sessions signed with the old secret end")
			}
			if env := os.Getenv(secret.JWTSecret); env != "" && env != before {
				fmt.Fprintln(f.ErrOut, "warning: JWT_SECRET is also set in the environment, which wins over .env")
			}
			// Nothing needed doing is success (exit 0): the message says what
			// was kept and how to replace it.
			if res.KeptJWT {
				kept := "JWT_SECRET is already set"
				if len(res.Written) == 0 {
					kept = "JWT_SECRET, AUTHENTICATOR_PASSWORD and POSTGRES_PASSWORD are already set; nothing was changed"
				}
				fmt.Fprintf(f.ErrOut, "%s in %s and kept: `stackctl secret gen --force` replaces JWT_SECRET (ends every session; `stackctl secret rotate` replaces it in .env and the database together)\n", kept, res.Path)
			}
			if slices.Contains(res.Written, secret.PostgresPassword) && !res.Created && pgClusterExists(f) {
				fmt.Fprintln(f.ErrOut, "note: the existing PostgreSQL cluster still has its old postgres password: run `"+ResetPGPasswordCmd+"` with the stack stopped to set the new one (keeps the data)")
			}
			return nil
		},
	}
	c.Flags().BoolVar(&force, "force", false, "replace an existing JWT_SECRET")
	c.Flags().BoolVar(&print, "print", false, "print a new secret to stdout and change nothing")
	return c
}

// pgClusterExists reports whether the project's native stack has a cluster.
func pgClusterExists(f *cmdutil.Factory) bool {
	root, err := f.Project()
	if err != nil {
		return false
	}
	c, err := stack.LoadConfig(root, f.EnvFile)
	if err != nil {
		return false
	}
	return (&pgserver.Cluster{DataDir: stack.DataDir(c.StateDir)}).Initialized()
}

func fileValue(path, key string) (string, bool) {
	f, err := dotenv.Load(path)
	if err != nil {
		return "", false
	}
	return f.Get(key)
}

func rotateCmd(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "rotate",
		Short: "Replace the JWT secret in .env and in the database (auth.jwt_secret) in one step",
		Long: `Generates a new JWT secret, stores it in auth.jwt_secret, revokes every refresh token and
writes it into .env, all or nothing. No session can be renewed afterwards. Caddy and the API
engine read JWT_SECRET at start: restart them so that they refuse old tokens and accept new ones.
Refuses (and changes nothing) while the native stack runs on the database: stop it first.`,
		Args: cobra.NoArgs,
	}
	db := dbconn.AddFlags(c)
	c.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		envf, err := dotenv.Load(f.EnvFile)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%s does not exist: run `stackctl secret gen` first", f.EnvFile)
			}
			return err
		}
		if err := refuseIfStackUses(f, db); err != nil {
			return err
		}
		old := envf.Bytes()
		oldSecret, _ := envf.Get(secret.JWTSecret)
		s, err := secret.NewJWTSecret()
		if err != nil {
			return err
		}
		conn, err := db.Connect(ctx)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) //nolint:errcheck
		revoked, err := authdb.RotateSecret(ctx, tx, s)
		if err != nil {
			return fmt.Errorf("rotate the database copy: %w", err)
		}
		if err := envf.Set(secret.JWTSecret, s); err != nil {
			return err
		}
		if err := envf.Save(); err != nil {
			return fmt.Errorf("write %s (the database was not changed): %w", f.EnvFile, err)
		}
		if err := tx.Commit(ctx); err != nil {
			restore := dotenv.Parse(f.EnvFile, old)
			if rerr := restore.Save(); rerr != nil {
				return fmt.Errorf("commit failed (%v) and restoring %s failed too (%v): run `stackctl secret rotate` again", err, f.EnvFile, rerr)
			}
			return fmt.Errorf("commit failed, %s restored, nothing changed: %w", f.EnvFile, err)
		}
		fmt.Fprintf(f.Out, "JWT secret rotated in %s and in the database (auth.jwt_secret); %d refresh token(s) revoked.\n", f.EnvFile, revoked)
		fmt.Fprintln(f.Out, "No session can be renewed: users must log in again. Caddy and the API engine check tokens with the")
		fmt.Fprintln(f.Out, "secret they started with: until they restart, access tokens signed with the old secret stay valid")
		fmt.Fprintln(f.Out, "(at most JWT_EXP seconds) and new logins get tokens they refuse. Restart them now (Docker:")
		fmt.Fprintln(f.Out, "`docker compose restart postgrest caddy`).")
		if env := os.Getenv(secret.JWTSecret); env != "" && env != oldSecret {
			fmt.Fprintln(f.ErrOut, "warning: JWT_SECRET is set in the environment, which wins over .env: update it there too")
		}
		return nil
	}
	return c
}

// refuseIfStackUses stops a rotation of the database a running native
// stack serves: its API engine and Caddy keep the secret they started
// with, so old tokens would keep working and new logins would fail.
func refuseIfStackUses(f *cmdutil.Factory, db *dbconn.Options) error {
	root, err := f.Project()
	if err != nil {
		return nil
	}
	c, err := stack.LoadConfig(root, f.EnvFile)
	if err != nil || !stack.Running(c.StateDir) {
		return nil
	}
	cfg, err := db.Config()
	if err != nil || cfg.Port != uint16(c.PGPort) || !isLoopback(cfg.Host) {
		return nil
	}
	return fmt.Errorf("the native stack is running on this database: its API engine and Caddy keep the secret they started with, so nothing was changed. Rotate with the stack stopped: `stackctl down && stackctl secret rotate && stackctl up --detach`")
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasPrefix(host, "/") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
