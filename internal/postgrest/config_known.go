package postgrest

import (
	"sort"
	"strings"
)

// postgrestSettings are PostgREST v16.2's settings as PGRST_ variables
// (Config.hs parser), true for those this engine implements. A variable
// outside this list is unknown to PostgREST; one marked false is ignored
// by this engine. Both are logged at startup (docs/postgrest.md).
var postgrestSettings = map[string]bool{
	"ADMIN_SERVER_HOST": false, "ADMIN_SERVER_PORT": true, "ADMIN_SERVER_UNIX_SOCKET": false,
	"ADMIN_SERVER_UNIX_SOCKET_MODE": false, "CLIENT_ERROR_VERBOSITY": true, "DB_AGGREGATES_ENABLED": true,
	"DB_ANON_ROLE": true, "DB_CHANNEL": true, "DB_CHANNEL_ENABLED": true, "DB_CONFIG": true,
	"DB_EXTRA_SEARCH_PATH": true, "DB_HOISTED_TX_SETTINGS": true, "DB_MAX_ROWS": true, "MAX_ROWS": true,
	"DB_PLAN_ENABLED": true, "DB_POOL": true, "DB_POOL_ACQUISITION_TIMEOUT": true, "DB_POOL_AUTOMATIC_RECOVERY": false,
	"DB_POOL_MAX_IDLETIME": true, "DB_POOL_MAX_LIFETIME": true, "DB_POOL_TIMEOUT": true, "DB_PRE_CONFIG": false,
	"DB_PRE_REQUEST": true, "PRE_REQUEST": true, "DB_PREPARED_STATEMENTS": true, "DB_ROOT_SPEC": true,
	"ROOT_SPEC": true, "DB_SCHEMA": true, "DB_SCHEMAS": true, "DB_TX_END": true, "DB_URI": true, "JWT_AUD": true,
	"JWT_CACHE_MAX_ENTRIES": true, "JWT_ROLE_CLAIM_KEY": true, "ROLE_CLAIM_KEY": true, "JWT_SECRET": true,
	"JWT_SECRET_IS_BASE64": true, "SECRET_IS_BASE64": true, "LOG_LEVEL": true, "LOG_QUERY": false,
	"OPENAPI_MODE": true, "OPENAPI_SECURITY_ACTIVE": true, "OPENAPI_SERVER_PROXY_URI": true,
	"SERVER_CORS_ALLOWED_ORIGINS": true, "SERVER_HOST": true, "SERVER_PORT": true, "SERVER_REUSEPORT": false,
	"SERVER_TIMING_ENABLED": true, "SERVER_TRACE_HEADER": true, "SERVER_UNIX_SOCKET": false,
	"SERVER_UNIX_SOCKET_MODE": false, "URL_USE_LEGACY_TARGET_NAMES": true,
	"INTERNAL_SCHEMA_CACHE_QUERY_SLEEP": false, "INTERNAL_SCHEMA_CACHE_QUERY_SLEEP_BEFORE_QUERIES": false,
	// authstack's own (docs/postgrest.md "Limits").
	"SERVER_MAX_BODY_SIZE": true,
}

// dbSettings are the pgrst.* settings PostgREST v16.2 reads from the
// database (Config/Database.hs dbSettingsNames), true for those this
// engine applies; jwt_cache_max_entries is read as well (an authstack
// extension).
var dbSettings = map[string]bool{
	"db_aggregates_enabled": true, "client_error_verbosity": true, "db_anon_role": true, "db_pre_config": false,
	"db_extra_search_path": true, "db_max_rows": true, "db_plan_enabled": true, "db_pre_request": true,
	"db_prepared_statements": true, "db_root_spec": true, "db_schemas": true, "db_tx_end": true,
	"db_hoisted_tx_settings": true, "jwt_aud": true, "jwt_role_claim_key": true, "jwt_secret": true,
	"jwt_secret_is_base64": true, "jwt_cache_max_lifetime": false, "openapi_mode": true,
	"openapi_security_active": true, "openapi_server_proxy_uri": true, "server_cors_allowed_origins": true,
	"server_trace_header": true, "server_timing_enabled": true, "url_use_legacy_target_names": true,
	"jwt_cache_max_entries": true,
}

// settingWarning is the log line for a setting the engine does not apply
// ("" when it does): unknown to PostgREST, or not implemented here.
func settingWarning(kind, name string, implemented, known bool) string {
	switch {
	case !known:
		return "WARNING: " + kind + " " + name + " is not a PostgREST v16.2 setting; it is ignored."
	case !implemented:
		return "WARNING: " + kind + " " + name + " is a PostgREST v16.2 setting this engine does not implement; it is ignored (docs/postgrest.md)."
	}
	return ""
}

// EnvWarnings lists the PGRST_* variables of environ the engine ignores.
func EnvWarnings(environ []string) []string {
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		name, ok := strings.CutPrefix(k, "PGRST_")
		if !ok || strings.HasPrefix(name, "APP_SETTINGS_") {
			continue
		}
		impl, known := postgrestSettings[name]
		if w := settingWarning("variable", k, impl, known); w != "" {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// dbSettingWarning is the log line for an in-database pgrst.<name> the
// engine ignores ("" when it applies it).
func dbSettingWarning(name string) string {
	impl, known := dbSettings[name]
	return settingWarning("in-database setting", "pgrst."+name, impl, known)
}
