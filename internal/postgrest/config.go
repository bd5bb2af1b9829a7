package postgrest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/auth"
	"github.com/authstack/authstack/internal/postgrest/plan"
)

// Config is the engine configuration, read from the same PGRST_* variables
// as PostgREST v16.2 with the same defaults.
type Config struct {
	DBURI                    string            // PGRST_DB_URI, default "postgresql://"
	DBSchemas                []string          // PGRST_DB_SCHEMAS, default [public]
	DBAnonRole               string            // PGRST_DB_ANON_ROLE, "" = none
	DBExtraSearchPath        []string          // PGRST_DB_EXTRA_SEARCH_PATH, default [public]
	DBPreRequest             string            // PGRST_DB_PRE_REQUEST
	DBRootSpec               string            // PGRST_DB_ROOT_SPEC: a function answering GET / instead of the OpenAPI document
	DBPool                   int               // PGRST_DB_POOL, default 10
	DBPoolAcquireTimeout     int               // PGRST_DB_POOL_ACQUISITION_TIMEOUT seconds, default 10
	DBMaxRows                int               // PGRST_DB_MAX_ROWS, 0 = unlimited
	DBPreparedStatements     bool              // PGRST_DB_PREPARED_STATEMENTS, default true
	DBConfig                 bool              // PGRST_DB_CONFIG, default true
	DBChannel                string            // PGRST_DB_CHANNEL, default pgrst
	DBChannelEnabled         bool              // PGRST_DB_CHANNEL_ENABLED, default true
	JWTSecret                []byte            // PGRST_JWT_SECRET (decoded), nil = none
	JWTKeys                  []auth.Key        // JWTSecret parsed as JWKS, JWK or plain HS256 secret
	JWTSecretIsBase64        bool              // PGRST_JWT_SECRET_IS_BASE64
	JWTAud                   string            // PGRST_JWT_AUD
	JWTRoleClaimKey          string            // PGRST_JWT_ROLE_CLAIM_KEY, default $.role
	JWTCacheMaxEntries       int               // PGRST_JWT_CACHE_MAX_ENTRIES, default 1000
	AppSettings              map[string]string // PGRST_APP_SETTINGS_* (suffix case kept)
	ServerHost               string            // PGRST_SERVER_HOST, default !4
	ServerPort               int               // PGRST_SERVER_PORT, default 3000
	ServerCORSAllowedOrigins []string          // PGRST_SERVER_CORS_ALLOWED_ORIGINS, empty = any origin
	AdminServerPort          int               // PGRST_ADMIN_SERVER_PORT, 0 = no admin server
	OpenAPIMode              string            // PGRST_OPENAPI_MODE: follow-privileges|ignore-privileges|disabled
	OpenAPIServerProxyURI    string            // PGRST_OPENAPI_SERVER_PROXY_URI
	OpenAPISecurityActive    bool              // PGRST_OPENAPI_SECURITY_ACTIVE: security definitions in the OpenAPI document
	LogLevel                 string            // PGRST_LOG_LEVEL: crit|error|warn|info|debug, default error
	ClientErrorVerbosity     string            // PGRST_CLIENT_ERROR_VERBOSITY: verbose|minimal, default verbose
	ServerTimingEnabled      bool              // PGRST_SERVER_TIMING_ENABLED: Server-Timing header, default false
	ServerMaxBodySize        int               // PGRST_SERVER_MAX_BODY_SIZE (authstack extension): request body limit in bytes, default 1 MiB
	DBAggregatesEnabled      bool              // PGRST_DB_AGGREGATES_ENABLED, default false
	DBPlanEnabled            bool              // PGRST_DB_PLAN_ENABLED: application/vnd.pgrst.plan, default false
	DBTxEnd                  string            // PGRST_DB_TX_END: commit|commit-allow-override|rollback|rollback-allow-override
	DBHoistedTxSettings      []string          // PGRST_DB_HOISTED_TX_SETTINGS
	DBPoolMaxLifetime        int               // PGRST_DB_POOL_MAX_LIFETIME seconds, default 1800
	DBPoolMaxIdletime        int               // PGRST_DB_POOL_MAX_IDLETIME seconds, default 30
	ServerTraceHeader        string            // PGRST_SERVER_TRACE_HEADER
	URLUseLegacyTargetNames  bool              // PGRST_URL_USE_LEGACY_TARGET_NAMES, default true

	roleClaim auth.Path
	rawSecret string
	lookup    Lookup
	environ   []string
}

// defaultHoistedTxSettings are db-hoisted-tx-settings' default
// (Config.hs defaultHoistedAllowList).
var defaultHoistedTxSettings = []string{"statement_timeout", "plan_filter.statement_cost_limit", "default_transaction_isolation"}

// TxAllowOverride is db-tx-end's "-allow-override": Prefer: tx= is honoured.
func (c *Config) TxAllowOverride() bool { return strings.HasSuffix(c.DBTxEnd, "-allow-override") }

// TxRollbackAll is db-tx-end rollback*: every transaction ends in ROLLBACK
// unless Prefer: tx=commit overrides it.
func (c *Config) TxRollbackAll() bool { return strings.HasPrefix(c.DBTxEnd, "rollback") }

// apiRequestOptions are what the API request stage reads of the
// configuration.
func (c *Config) apiRequestOptions() apirequest.Options {
	return apirequest.Options{Schemas: c.DBSchemas, OpenAPIDisabled: c.OpenAPIMode == "disabled", RootSpec: c.DBRootSpec,
		TxAllowOverride: c.TxAllowOverride()}
}

// planOptions are what the plan stage reads of the configuration.
func (c *Config) planOptions() plan.Options {
	return plan.Options{MaxRows: c.DBMaxRows, AggregatesEnabled: c.DBAggregatesEnabled, PlanEnabled: c.DBPlanEnabled,
		LegacyTargetNames: c.URLUseLegacyTargetNames, HoistedTxSettings: c.DBHoistedTxSettings}
}

// Lookup reads one variable.
type Lookup func(string) (string, bool)

// ConfigFromEnv reads the configuration from the process environment.
func ConfigFromEnv() (*Config, error) { return LoadConfig(os.LookupEnv, os.Environ()) }

// LoadConfig reads the configuration; environ supplies the
// PGRST_APP_SETTINGS_* names.
func LoadConfig(lookup Lookup, environ []string) (*Config, error) {
	c := &Config{
		DBURI: "postgresql://", DBSchemas: []string{"public"}, DBExtraSearchPath: []string{"public"},
		DBPool: 10, DBPoolAcquireTimeout: 10, DBPreparedStatements: true, DBConfig: true,
		DBChannel: "pgrst", DBChannelEnabled: true, JWTRoleClaimKey: "$.role", JWTCacheMaxEntries: 1000,
		AppSettings: map[string]string{}, ServerHost: "!4", ServerPort: 3000, OpenAPIMode: "follow-privileges",
		LogLevel: "error", ClientErrorVerbosity: "verbose", ServerMaxBodySize: apirequest.DefaultMaxBodySize,
		DBTxEnd: "commit", DBHoistedTxSettings: defaultHoistedTxSettings, DBPoolMaxLifetime: 1800, DBPoolMaxIdletime: 30,
		URLUseLegacyTargetNames: true, lookup: lookup, environ: environ,
	}
	// Deprecated aliases, used when the current name is not set
	// (Config.hs optWithAlias).
	aliases := map[string]string{"DB_MAX_ROWS": "MAX_ROWS", "DB_PRE_REQUEST": "PRE_REQUEST", "DB_ROOT_SPEC": "ROOT_SPEC",
		"JWT_SECRET_IS_BASE64": "SECRET_IS_BASE64", "JWT_ROLE_CLAIM_KEY": "ROLE_CLAIM_KEY"}
	get := func(name string) (string, bool) {
		if v, ok := lookup("PGRST_" + name); ok {
			return v, true
		}
		if al, ok := aliases[name]; ok {
			return lookup("PGRST_" + al)
		}
		return "", false
	}
	errs := c.readVars(get)
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PGRST_APP_SETTINGS_") && len(k) > len("PGRST_APP_SETTINGS_") {
			if lv, ok := lookup(k); ok {
				v = lv
			}
			c.AppSettings[strings.TrimPrefix(k, "PGRST_APP_SETTINGS_")] = v
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := c.finish(); err != nil {
		return nil, err
	}
	return c, nil
}

// readVars reads the PGRST_* variables into c; get looks one up (without
// its PGRST_ prefix). Malformed numbers and booleans are collected.
func (c *Config) readVars(get func(string) (string, bool)) []error {
	var errs []error
	str := func(name string, dst *string) {
		if v, ok := get(name); ok {
			*dst = v
		}
	}
	list := func(name string, dst *[]string) {
		if v, ok := get(name); ok {
			*dst = splitList(v)
		}
	}
	integer := func(name string, dst *int) {
		if v, ok := get(name); ok && strings.TrimSpace(v) != "" {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, fmt.Errorf("PGRST_%s: invalid integer %q", name, v))
				return
			}
			*dst = n
		}
	}
	boolean := func(name string, dst *bool) {
		if v, ok := get(name); ok && strings.TrimSpace(v) != "" {
			b, err := parseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("PGRST_%s: %v", name, err))
				return
			}
			*dst = b
		}
	}
	str("DB_URI", &c.DBURI)
	list("DB_SCHEMAS", &c.DBSchemas)
	if v, ok := get("DB_SCHEMA"); ok && lookupMissing(c.lookup, "PGRST_DB_SCHEMAS") { // deprecated alias
		c.DBSchemas = splitList(v)
	}
	str("DB_ANON_ROLE", &c.DBAnonRole)
	list("DB_EXTRA_SEARCH_PATH", &c.DBExtraSearchPath)
	if c.DBExtraSearchPath == nil { // set but empty: no extra schemas (maintx reads nil as the default [public])
		c.DBExtraSearchPath = []string{}
	}
	str("DB_PRE_REQUEST", &c.DBPreRequest)
	str("DB_ROOT_SPEC", &c.DBRootSpec)
	integer("DB_POOL", &c.DBPool)
	integer("DB_POOL_ACQUISITION_TIMEOUT", &c.DBPoolAcquireTimeout)
	integer("DB_MAX_ROWS", &c.DBMaxRows)
	boolean("DB_PREPARED_STATEMENTS", &c.DBPreparedStatements)
	boolean("DB_CONFIG", &c.DBConfig)
	str("DB_CHANNEL", &c.DBChannel)
	boolean("DB_CHANNEL_ENABLED", &c.DBChannelEnabled)
	str("JWT_SECRET", &c.rawSecret)
	boolean("JWT_SECRET_IS_BASE64", &c.JWTSecretIsBase64)
	str("JWT_AUD", &c.JWTAud)
	str("JWT_ROLE_CLAIM_KEY", &c.JWTRoleClaimKey)
	integer("JWT_CACHE_MAX_ENTRIES", &c.JWTCacheMaxEntries)
	str("SERVER_HOST", &c.ServerHost)
	integer("SERVER_PORT", &c.ServerPort)
	list("SERVER_CORS_ALLOWED_ORIGINS", &c.ServerCORSAllowedOrigins)
	integer("ADMIN_SERVER_PORT", &c.AdminServerPort)
	str("OPENAPI_MODE", &c.OpenAPIMode)
	str("OPENAPI_SERVER_PROXY_URI", &c.OpenAPIServerProxyURI)
	boolean("OPENAPI_SECURITY_ACTIVE", &c.OpenAPISecurityActive)
	str("LOG_LEVEL", &c.LogLevel)
	str("CLIENT_ERROR_VERBOSITY", &c.ClientErrorVerbosity)
	boolean("SERVER_TIMING_ENABLED", &c.ServerTimingEnabled)
	integer("SERVER_MAX_BODY_SIZE", &c.ServerMaxBodySize)
	boolean("DB_AGGREGATES_ENABLED", &c.DBAggregatesEnabled)
	boolean("DB_PLAN_ENABLED", &c.DBPlanEnabled)
	str("DB_TX_END", &c.DBTxEnd)
	list("DB_HOISTED_TX_SETTINGS", &c.DBHoistedTxSettings)
	integer("DB_POOL_MAX_LIFETIME", &c.DBPoolMaxLifetime)
	integer("DB_POOL_MAX_IDLETIME", &c.DBPoolMaxIdletime)
	integer("DB_POOL_TIMEOUT", &c.DBPoolMaxIdletime) // wins over its alias db-pool-max-idletime
	str("SERVER_TRACE_HEADER", &c.ServerTraceHeader)
	boolean("URL_USE_LEGACY_TARGET_NAMES", &c.URLUseLegacyTargetNames)
	return errs
}

func lookupMissing(l Lookup, name string) bool { _, ok := l(name); return !ok }

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %q", v)
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// finish validates the values and derives the decoded secret and role path.
func (c *Config) finish() error {
	if len(c.DBSchemas) == 0 {
		return errors.New("db-schemas: at least one schema is required")
	}
	p, err := auth.ParsePath(c.JWTRoleClaimKey)
	if err != nil {
		return err
	}
	c.roleClaim = p
	switch c.OpenAPIMode {
	case "follow-privileges", "ignore-privileges", "disabled":
	default:
		return fmt.Errorf("Invalid openapi-mode. Check your configuration.")
	}
	switch c.ClientErrorVerbosity { // Config.hs parseErrorVerbosity
	case "verbose", "minimal":
	default:
		return fmt.Errorf("Invalid client-error-verbosity. Check your configuration.")
	}
	switch c.LogLevel {
	case "crit", "error", "warn", "info", "debug":
	default:
		return fmt.Errorf("Invalid logging level. Check your configuration.")
	}
	switch c.DBTxEnd { // Config.hs parseTxEnd
	case "commit", "commit-allow-override", "rollback", "rollback-allow-override":
	default:
		return fmt.Errorf("Invalid transaction termination. Check your configuration.")
	}
	if c.DBPool < 1 {
		return errors.New("db-pool must be at least 1")
	}
	if c.ServerMaxBodySize < 1 {
		return errors.New("PGRST_SERVER_MAX_BODY_SIZE must be a positive number of bytes (default 1048576)")
	}
	c.JWTSecret, c.JWTKeys = nil, nil
	if c.rawSecret != "" {
		raw := c.rawSecret
		if strings.HasPrefix(raw, "@") {
			b, err := os.ReadFile(raw[1:])
			if err != nil {
				return fmt.Errorf("jwt-secret: %v", err)
			}
			raw = strings.TrimSuffix(string(b), "\n")
		}
		key := []byte(raw)
		if c.JWTSecretIsBase64 {
			key, err = decodeBase64Secret(raw)
			if err != nil {
				return err
			}
		}
		keys, err := auth.ParseSecret(key) // JWKS, JWK or plain secret
		if err != nil {
			return err
		}
		c.JWTSecret, c.JWTKeys = key, keys
	}
	return nil
}

// decodeBase64Secret follows Config.hs@v16.2: trim, map the URL-safe
// alphabet (and '.' for '=') back to standard base64, strict decode.
func decodeBase64Secret(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.NewReplacer("-", "+", "_", "/", ".", "=").Replace(s)
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		// base64-bytestring's decode also accepts unpadded input.
		if b2, err2 := base64.RawStdEncoding.Strict().DecodeString(strings.TrimRight(s, "=")); err2 == nil && len(s)%4 != 0 {
			return b2, nil
		}
		return nil, fmt.Errorf("Invalid base64 in jwt-secret: %v", err)
	}
	return b, nil
}

// RoleClaim is the parsed role claim key.
func (c *Config) RoleClaim() auth.Path { return c.roleClaim }

// ListenHost maps PostgREST's special host values to a Go listen address.
func (c *Config) ListenHost() string {
	switch c.ServerHost {
	case "!4", "*4":
		return "0.0.0.0"
	case "!6", "*6", "*":
		return "::"
	}
	return c.ServerHost
}

// Dump renders the configuration like `postgrest --dump-config` (secret
// hidden unless showSecret).
func (c *Config) Dump(showSecret bool) string {
	var b strings.Builder
	q := func(k, v string) { fmt.Fprintf(&b, "%s = %s\n", k, strconv.Quote(v)) }
	n := func(k string, v int) { fmt.Fprintf(&b, "%s = %d\n", k, v) }
	bo := func(k string, v bool) { fmt.Fprintf(&b, "%s = %t\n", k, v) }
	q("client-error-verbosity", c.ClientErrorVerbosity)
	bo("db-aggregates-enabled", c.DBAggregatesEnabled)
	q("db-anon-role", c.DBAnonRole)
	bo("db-config", c.DBConfig)
	q("db-extra-search-path", strings.Join(c.DBExtraSearchPath, ","))
	q("db-hoisted-tx-settings", strings.Join(c.DBHoistedTxSettings, ","))
	n("db-max-rows", c.DBMaxRows)
	bo("db-plan-enabled", c.DBPlanEnabled)
	n("db-pool", c.DBPool)
	n("db-pool-max-idletime", c.DBPoolMaxIdletime)
	n("db-pool-max-lifetime", c.DBPoolMaxLifetime)
	q("db-pre-request", c.DBPreRequest)
	bo("db-prepared-statements", c.DBPreparedStatements)
	q("db-root-spec", c.DBRootSpec)
	q("db-schemas", strings.Join(c.DBSchemas, ","))
	q("db-tx-end", c.DBTxEnd)
	q("db-uri", redactURI(c.DBURI, showSecret))
	q("jwt-aud", c.JWTAud)
	n("jwt-cache-max-entries", c.JWTCacheMaxEntries)
	q("jwt-role-claim-key", c.JWTRoleClaimKey)
	if showSecret {
		q("jwt-secret", c.rawSecret)
	} else if c.rawSecret != "" {
		q("jwt-secret", "<hidden>")
	} else {
		q("jwt-secret", "")
	}
	bo("jwt-secret-is-base64", c.JWTSecretIsBase64)
	q("log-level", c.LogLevel)
	q("openapi-mode", c.OpenAPIMode)
	bo("openapi-security-active", c.OpenAPISecurityActive)
	q("openapi-server-proxy-uri", c.OpenAPIServerProxyURI)
	q("server-cors-allowed-origins", strings.Join(c.ServerCORSAllowedOrigins, ","))
	n("server-port", c.ServerPort)
	bo("server-timing-enabled", c.ServerTimingEnabled)
	n("server-max-body-size", c.ServerMaxBodySize)
	q("server-host", c.ServerHost)
	q("server-trace-header", c.ServerTraceHeader)
	bo("url-use-legacy-target-names", c.URLUseLegacyTargetNames)
	if c.AdminServerPort != 0 {
		n("admin-server-port", c.AdminServerPort)
	}
	keys := make([]string, 0, len(c.AppSettings))
	for k := range c.AppSettings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if showSecret || !strings.Contains(strings.ToLower(k), "secret") {
			q("app.settings."+k, c.AppSettings[k])
		} else {
			q("app.settings."+k, "<hidden>")
		}
	}
	return b.String()
}

func redactURI(u string, show bool) string {
	if show {
		return u
	}
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			cred := rest[:at]
			if user, _, hasPw := strings.Cut(cred, ":"); hasPw {
				return u[:i+3] + user + ":<hidden>@" + rest[at+1:]
			}
		}
	}
	return u
}
