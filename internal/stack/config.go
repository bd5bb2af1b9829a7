// Package stack runs the whole native stack: a private PostgreSQL cluster
// (internal/pgserver), the migrations and demo seed, the PostgREST-compatible
// engine and Caddy, each of the last two as a child process of the same
// stackctl binary (`stackctl postgrest`, `stackctl caddy run`). A supervisor
// starts them in order, waits until each is healthy, multiplexes their logs,
// records pids and ports in .stack/state.json and stops everything in reverse
// order on Ctrl-C, SIGTERM, `stackctl down` or when one component dies.
package stack

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/pgserver"
)

// Environment variable names the native stack reads (from .env or the
// environment; the environment wins).
const (
	EnvPGPort       = "STACK_PG_PORT"
	EnvAPIPort      = "POSTGREST_PORT"
	EnvAdminPort    = "POSTGREST_ADMIN_PORT"
	EnvHTTPPort     = "STACK_HTTP_PORT"
	EnvDBName       = "POSTGRES_DB"
	EnvPGPassword   = "POSTGRES_PASSWORD"
	EnvAuthPassword = "AUTHENTICATOR_PASSWORD"
	EnvJWTSecret    = "JWT_SECRET"
	EnvStateDir     = "STACK_DIR"
	// Gateway limits and log rotation.
	EnvBodyMax       = "REQUEST_BODY_MAX_SIZE"
	EnvHeaderMax     = "REQUEST_HEADER_MAX_SIZE"
	EnvLogMaxMB      = "STACK_LOG_MAX_SIZE"
	EnvLogBackups    = "STACK_LOG_BACKUPS"
	DefaultPGPort    = 54329
	DefaultAPIPort   = 3000
	DefaultAdminPort = 3001
	DefaultHTTPPort  = 8000
	DefaultDBName    = "app"
	DefaultBodyMax   = "1MB"
	DefaultHeaderMax = "64KB"
)

// Config is everything the supervisor needs, read from the environment.
type Config struct {
	Dir       string // project directory (absolute): caddy/Caddyfile, .env
	StateDir  string // .stack under Dir unless STACK_DIR is set
	EnvFile   string // the .env file (absolute), passed to children
	PGPort    int
	APIPort   int
	AdminPort int
	HTTPPort  int
	DBName    string

	PostgresPassword      string
	AuthenticatorPassword string
	JWTSecret             string

	Caddyfile string // absolute path of the Caddyfile
	DemoRoot  string // absolute path of the demo page directory
	// Postgrest is "builtin" (the `stackctl postgrest` engine) or the path
	// of a real postgrest binary.
	Postgrest string
	// Exe is the stackctl binary the children are started from.
	Exe string
	// NoSeed skips `stackctl seed demo`.
	NoSeed bool

	// APIReplicas is how many API engines serve the primary (up
	// --api-replicas, at least 1); PGReplicas (0 or 1) adds a streaming
	// standby on ReplicaPGPort and an engine on it for reads (Engines).
	APIReplicas, PGReplicas int
	ReplicaPGPort           int

	// BodyMax and HeaderMax are Caddy's request body and header limits
	// (sizes as Caddy parses them: 1MB, 512KiB, ...).
	BodyMax, HeaderMax string
	// LogLimits cap and rotate every log file under .stack/logs.
	LogLimits LogLimits
}

// ConfigError is a broken setting: which variable, what is wrong, the fix.
type ConfigError struct {
	Var, Problem, Fix string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Var, e.Problem, e.Fix)
}

// LoadConfig reads the stack's settings from the environment (the caller
// has loaded .env already). dir is the project directory.
func LoadConfig(dir, envFile string) (*Config, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	c := &Config{Dir: abs, Postgrest: "builtin", APIReplicas: 1}
	if envFile != "" {
		if c.EnvFile, err = filepath.Abs(envFile); err != nil {
			return nil, err
		}
	}
	c.StateDir = filepath.Join(abs, ".stack")
	if d := os.Getenv(EnvStateDir); d != "" {
		if c.StateDir, err = filepath.Abs(d); err != nil {
			return nil, err
		}
	}
	ports := []struct {
		p    *int
		name string
		def  int
	}{
		{&c.PGPort, EnvPGPort, DefaultPGPort},
		{&c.APIPort, EnvAPIPort, DefaultAPIPort},
		{&c.AdminPort, EnvAdminPort, DefaultAdminPort},
		{&c.HTTPPort, EnvHTTPPort, DefaultHTTPPort},
	}
	for _, p := range ports {
		if *p.p, err = portVar(p.name, p.def); err != nil {
			return nil, err
		}
	}
	seen := map[int]string{}
	for _, p := range ports {
		if other, ok := seen[*p.p]; ok {
			return nil, &ConfigError{Var: p.name, Problem: fmt.Sprintf("is %d, the same port as %s", *p.p, other),
				Fix: "give each of " + EnvPGPort + ", " + EnvAPIPort + ", " + EnvAdminPort + ", " + EnvHTTPPort + " its own port in .env"}
		}
		seen[*p.p] = p.name
	}
	if c.ReplicaPGPort, err = replicaPortVar(c.PGPort); err != nil {
		return nil, err
	}
	c.DBName = os.Getenv(EnvDBName)
	if c.DBName == "" {
		c.DBName = DefaultDBName
	}
	c.PostgresPassword = os.Getenv(EnvPGPassword)
	c.AuthenticatorPassword = os.Getenv(EnvAuthPassword)
	c.JWTSecret = os.Getenv(EnvJWTSecret)
	c.Caddyfile = filepath.Join(abs, "caddy", "Caddyfile")
	c.DemoRoot = filepath.Join(abs, "caddy", "demo")
	if err := c.loadLimits(); err != nil {
		return nil, err
	}
	return c, nil
}

// loadLimits reads the gateway's size limits and the log rotation settings.
func (c *Config) loadLimits() error {
	var err error
	if c.BodyMax, err = sizeVar(EnvBodyMax, DefaultBodyMax); err != nil {
		return err
	}
	if c.HeaderMax, err = sizeVar(EnvHeaderMax, DefaultHeaderMax); err != nil {
		return err
	}
	if c.LogLimits.MaxMB, err = intVar(EnvLogMaxMB, DefaultLogLimits.MaxMB, 1, "megabytes per log file"); err != nil {
		return err
	}
	c.LogLimits.Backups, err = intVar(EnvLogBackups, DefaultLogLimits.Backups, 0, "rotated files kept per log")
	return err
}

// sizeVar reads a size such as 1MB; 0 is refused, since Caddy reads it as
// "no limit".
func sizeVar(name, def string) (string, error) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return def, nil
	}
	if n, err := humanize.ParseBytes(v); err != nil || n == 0 {
		return "", &ConfigError{Var: name, Problem: fmt.Sprintf("is %q, not a size above zero", v),
			Fix: fmt.Sprintf("write a size such as %s, 512KB or 2MiB in .env, or delete the line (default %s)", def, def)}
	}
	return v, nil
}

func intVar(name string, def, lowest int, what string) (int, error) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lowest || n > 1<<20 {
		return 0, &ConfigError{Var: name, Problem: fmt.Sprintf("is %q, not a number of %s", v, what),
			Fix: fmt.Sprintf("set it to a whole number from %d in .env (default %d), or delete the line", lowest, def)}
	}
	return n, nil
}

func portVar(name string, def int) (int, error) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return 0, &ConfigError{Var: name, Problem: fmt.Sprintf("is %q, not a TCP port number", v),
			Fix: fmt.Sprintf("set it to a number between 1 and 65535 in .env (default %d), or delete the line", def)}
	}
	return n, nil
}

// Validate checks the secrets the stack needs. It never includes a secret's
// value in its message.
func (c *Config) Validate() error {
	gen := "run `stackctl secret gen` to fill it (or `stackctl secret gen --force` to replace a broken one)"
	if c.JWTSecret == "" {
		return &ConfigError{Var: EnvJWTSecret, Problem: "is missing or empty", Fix: gen}
	}
	key, err := base64.StdEncoding.DecodeString(c.JWTSecret)
	if err != nil {
		return &ConfigError{Var: EnvJWTSecret, Problem: "is not standard padded base64 (caddy-jwt and PGRST_JWT_SECRET_IS_BASE64=true need it)", Fix: gen}
	}
	if len(key) < 32 {
		return &ConfigError{Var: EnvJWTSecret, Problem: fmt.Sprintf("decodes to %d bytes; PostgREST needs at least 32", len(key)), Fix: gen}
	}
	if c.PostgresPassword == "" {
		if _, err := os.Stat(filepath.Join(DataDir(c.StateDir), "PG_VERSION")); err == nil {
			// secret gen would write a password the cluster does not have
			return &ConfigError{Var: EnvPGPassword, Problem: "is missing or empty, and the cluster in " + DataDir(c.StateDir) + " already has one", Fix: PGPasswordFix}
		}
		return &ConfigError{Var: EnvPGPassword, Problem: "is missing or empty", Fix: gen}
	}
	if c.AuthenticatorPassword == "" {
		return &ConfigError{Var: EnvAuthPassword, Problem: "is missing or empty", Fix: gen}
	}
	if strings.ContainsAny(c.DBName, "\"/?#@ ") {
		return &ConfigError{Var: EnvDBName, Problem: fmt.Sprintf("is %q, not a plain database name", c.DBName), Fix: "use letters, digits and underscores, or delete the line (default app)"}
	}
	fromEnv := map[string]bool{}
	for from := range appSettings {
		fromEnv[from] = os.Getenv(from) != ""
	}
	env := c.PostgrestEnv()
	if err := validatePreRequest(env); err != nil {
		return err
	}
	if _, err := authdb.SignupFromEnv(os.Getenv); err != nil {
		var se *authdb.SignupError
		if errors.As(err, &se) {
			return &ConfigError{Var: se.Var, Problem: se.Problem, Fix: se.Fix}
		}
		return err
	}
	return validateAppSettings(env, fromEnv)
}

// DatabaseURL is the superuser URL of the app database.
func (c *Config) DatabaseURL() string {
	return pgURL("postgres", c.PostgresPassword, c.PGPort, c.DBName)
}

// AdminURL is the superuser URL of the maintenance database "postgres".
func (c *Config) AdminURL() string {
	return pgURL("postgres", c.PostgresPassword, c.PGPort, "postgres")
}

func pgURL(user, password string, port int, db string) string {
	return pgserver.ConnURL(user, password, "127.0.0.1", port, db)
}

// BaseURL is the gateway's URL, the guide's http://localhost:8000.
func (c *Config) BaseURL() string { return fmt.Sprintf("http://localhost:%d", c.HTTPPort) }

// DefaultMaxRows is the stack's PGRST_DB_MAX_ROWS unless .env sets it.
const DefaultMaxRows = "1000"

// appSettings maps .env variables to the PostgREST app settings the SQL
// reads (current_setting('app.settings.<name>')).
var appSettings = map[string]string{
	"JWT_EXP":           "PGRST_APP_SETTINGS_JWT_EXP",
	"REFRESH_TOKEN_TTL": "PGRST_APP_SETTINGS_REFRESH_TOKEN_TTL",
	"COOKIE_SECURE":     "PGRST_APP_SETTINGS_COOKIE_SECURE",
	"COOKIE_SAMESITE":   "PGRST_APP_SETTINGS_COOKIE_SAMESITE",
	// a spent refresh token is accepted again this many seconds (two tabs)
	"REFRESH_TOKEN_REUSE_INTERVAL": "PGRST_APP_SETTINGS_REFRESH_TOKEN_REUSE_INTERVAL",
}

// DefaultPreRequest is the stack's PGRST_DB_PRE_REQUEST unless .env sets
// it (empty: none): it refuses access tokens of ended sessions (migration
// 0007).
const DefaultPreRequest = "auth.check_session"

// PostgrestEnv is the environment of the API engine: the guide's PGRST_*
// settings, the authenticator's connection, loopback listen addresses, and
// every PGRST_* variable already set (they win).
func (c *Config) PostgrestEnv() map[string]string {
	env := map[string]string{
		"PGRST_DB_URI":               pgURL("authenticator", c.AuthenticatorPassword, c.PGPort, c.DBName),
		"PGRST_DB_SCHEMAS":           "public,auth",
		"PGRST_DB_ANON_ROLE":         "anon",
		"PGRST_JWT_SECRET":           c.JWTSecret,
		"PGRST_JWT_SECRET_IS_BASE64": "true",
		"PGRST_SERVER_HOST":          "127.0.0.1",
		"PGRST_SERVER_PORT":          strconv.Itoa(c.APIPort),
		"PGRST_ADMIN_SERVER_PORT":    strconv.Itoa(c.AdminPort),
		"PGRST_APP_SETTINGS_JWT_EXP": "3600",
		// No GET returns a whole table by default (PostgREST's db-max-rows).
		"PGRST_DB_MAX_ROWS":    DefaultMaxRows,
		"PGRST_DB_PRE_REQUEST": DefaultPreRequest,
	}
	for from, to := range appSettings {
		if v, ok := os.LookupEnv(from); ok && v != "" {
			env[to] = v
		}
	}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PGRST_APP_SETTINGS_") || k == "PGRST_LOG_LEVEL" || k == "PGRST_DB_POOL" || k == "PGRST_DB_MAX_ROWS" ||
			k == "PGRST_DB_PRE_REQUEST" {
			env[k] = v
		}
	}
	return env
}

// CaddyEnv is the environment caddy/Caddyfile reads in the native stack:
// the engines as a static list (engineUpstreams).
func (c *Config) CaddyEnv() map[string]string {
	env := map[string]string{
		"JWT_SECRET":   c.JWTSecret,
		"SITE_ADDRESS": fmt.Sprintf(":%d", c.HTTPPort),
		"CADDY_BIND":   "127.0.0.1",
		"CADDY_ADMIN":  "off",
		"DEMO_ROOT":    c.DemoRoot,
		EnvBodyMax:     orDefault(c.BodyMax, DefaultBodyMax),
		EnvHeaderMax:   orDefault(c.HeaderMax, DefaultHeaderMax),
	}
	c.engineUpstreams(env)
	return env
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// envList merges extra into the current process environment.
func envList(extra map[string]string) []string {
	out := make([]string, 0, len(os.Environ())+len(extra))
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := extra[k]; !ok {
			out = append(out, kv)
		}
	}
	for k, v := range extra {
		out = append(out, k+"="+v)
	}
	return out
}
