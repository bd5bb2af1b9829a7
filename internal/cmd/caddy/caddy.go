// Package caddy implements `stackctl caddy`: real Caddy (v2.10.2, standard
// modules) with the project's caddy-jwt-compatible jwtauth module compiled
// in. The subcommands are Caddy's own command implementations (caddycmd);
// run and validate first check that the environment variables a jwtauth
// sign_key reads (JWT_SECRET in caddy/Caddyfile) are set and base64, so
// the operator is told which variable to fix.
package caddy

import (
	"fmt"
	"reflect"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/joho/godotenv"
	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/caddyrun"
	"github.com/authstack/authstack/internal/cmdutil"
)

// subcommands are the Caddy commands exposed under `stackctl caddy`.
var subcommands = []string{"run", "adapt", "validate", "fmt", "reload", "stop", "list-modules", "build-info", "version"}

// checked are the subcommands whose --config gets the sign_key pre-check.
var checked = map[string]bool{"run": true, "validate": true}

// NewCmd returns the `caddy` command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "caddy",
		Short: "Run Caddy with the jwtauth module (run, adapt, validate, list-modules, version, …)",
		Long: `Caddy v2.10.2 with its standard modules and the project's jwtauth module
(http.authentication.providers.jwt, a drop-in for caddy-jwt v1.1.1).

  stackctl caddy run --config caddy/Caddyfile
  stackctl caddy adapt --config caddy/Caddyfile --pretty
  stackctl caddy validate --config caddy/Caddyfile
  stackctl caddy list-modules

The Caddyfile adapter is inferred for files named Caddyfile*. caddy/Caddyfile
reads JWT_SECRET, SITE_ADDRESS, CADDY_ADMIN, CADDY_BIND, POSTGREST_UPSTREAM,
POSTGREST_ADMIN_UPSTREAM, DEMO_ROOT, CORS_ALLOW_ORIGINS and CADDY_DEBUG from the
environment (and the --env-file); see docs/gateway.md.`,
	}
	all := caddycmd.Commands()
	for _, name := range subcommands {
		c, ok := all[name]
		if !ok {
			continue
		}
		cmd.AddCommand(wrap(c, checked[name]))
	}
	return cmd
}

// wrap turns a Caddy command into a cobra command the way caddycmd does,
// adding the sign_key pre-check and mapping Caddy's exit statuses.
func wrap(c caddycmd.Command, precheck bool) *cobra.Command {
	cmd := &cobra.Command{
		Use:   c.Name + " " + c.Usage,
		Short: c.Short,
		Long:  c.Long,
	}
	if c.CobraFunc != nil {
		c.CobraFunc(cmd)
	} else {
		cmd.RunE = caddycmd.WrapCommandFuncForCobra(c.Func)
		cmd.Flags().AddGoFlagSet(c.Flags)
	}
	inner := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if precheck {
			if err := precheckConfig(cmd); err != nil {
				return err
			}
		}
		if c.Name == "run" {
			cmdutil.TuneServerGC()
		}
		err := inner(cmd, args)
		if code, ok := caddyExitCode(err); ok {
			return &cmdutil.ExitError{Code: code, Err: unwrapCaddyErr(err)}
		}
		return err
	}
	return cmd
}

// precheckConfig adapts --config (or ./Caddyfile) and checks the sign keys.
func precheckConfig(cmd *cobra.Command) error {
	if files, err := cmd.Flags().GetStringSlice("envfile"); err == nil && len(files) > 0 {
		if err := godotenv.Load(files...); err != nil {
			return fmt.Errorf("loading --envfile: %w", err)
		}
	}
	configFile, _ := cmd.Flags().GetString("config")
	adapter, _ := cmd.Flags().GetString("adapter")
	cfg, _, err := caddycmd.LoadConfig(configFile, adapter)
	if err != nil {
		return err
	}
	if len(cfg) == 0 {
		return nil // no config: Caddy starts empty (run) or reports it (validate)
	}
	if err := caddyrun.CheckSignKeys(cfg); err != nil {
		return &cmdutil.ExitError{Code: 1, Err: fmt.Errorf("%s: %w", configName(configFile), err)}
	}
	return nil
}

func configName(f string) string {
	if f == "" {
		return "Caddyfile"
	}
	return f
}

// caddyExitCode reads the status from caddycmd's unexported exit error
// (a struct with an ExitCode int field and an Err error field).
func caddyExitCode(err error) (int, bool) {
	if err == nil {
		return 0, false
	}
	v := reflect.ValueOf(err)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return 0, false
	}
	f := v.Elem().FieldByName("ExitCode")
	if !f.IsValid() || f.Kind() != reflect.Int {
		return 0, false
	}
	return int(f.Int()), true
}

func unwrapCaddyErr(err error) error {
	f := reflect.ValueOf(err).Elem().FieldByName("Err")
	if f.IsValid() && !f.IsNil() {
		if e, ok := f.Interface().(error); ok {
			return e
		}
	}
	return nil
}
