package stack

import (
	"fmt"
	"regexp"
	"strings"
)

// The app settings the auth SQL reads (app.settings.<name>), checked here
// with the SQL's own rules (auth.setting_int, auth.cookie in the
// migrations) so that a bad value stops `up` before anything starts,
// instead of every login answering 400 22023.
var (
	// positiveSettings must be whole numbers of at least 1.
	positiveSettings = []string{"jwt_exp", "refresh_token_ttl", "login_window", "password_min_length"}
	// countSettings are whole numbers; 0 disables the limit.
	countSettings = []string{"login_max_attempts_user", "login_max_attempts_addr", "max_sessions_per_user", "login_max_concurrency",
		"refresh_token_reuse_interval", "signup_max_attempts_addr", "standby_session_grace"}
	// intRe is auth.setting_int's pattern.
	intRe       = regexp.MustCompile(`^\s*[0-9]{1,9}\s*$`)
	boolWords   = []string{"true", "false", "on", "off", "1", "0", "yes", "no"}
	sameSiteSet = []string{"Lax", "Strict", "None"}
	// preRequestRe is a function name PostgREST's db-pre-request takes
	// (schema.name, unquoted).
	preRequestRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$`)
)

// validatePreRequest checks PGRST_DB_PRE_REQUEST: a function name, or ""
// (set but empty) for none.
func validatePreRequest(env map[string]string) error {
	v := env["PGRST_DB_PRE_REQUEST"]
	if v == "" || preRequestRe.MatchString(v) {
		return nil
	}
	return &ConfigError{Var: "PGRST_DB_PRE_REQUEST", Problem: fmt.Sprintf("is %q, not a function name", v),
		Fix: "use auth.check_session (the default: an ended session's access tokens are refused at once), or set it empty to turn the check off"}
}

// settingVar names the variable a value came from: the .env name
// (JWT_EXP) when it maps to one, else PGRST_APP_SETTINGS_<NAME>.
func settingVar(name string, fromEnv map[string]bool) string {
	pg := "PGRST_APP_SETTINGS_" + strings.ToUpper(name)
	for from, to := range appSettings {
		if to == pg && fromEnv[from] {
			return from
		}
	}
	return pg
}

// validateAppSettings checks the PGRST_APP_SETTINGS_* values of env.
// fromEnv tells which .env names were set, for the message.
func validateAppSettings(env map[string]string, fromEnv map[string]bool) error {
	get := func(name string) (string, bool) {
		v, ok := env["PGRST_APP_SETTINGS_"+strings.ToUpper(name)]
		return v, ok && v != ""
	}
	bad := func(name, problem, fix string) error {
		return &ConfigError{Var: settingVar(name, fromEnv), Problem: problem, Fix: fix}
	}
	for _, name := range append(append([]string{}, positiveSettings...), countSettings...) {
		v, ok := get(name)
		if !ok {
			continue
		}
		if !intRe.MatchString(v) {
			return bad(name, fmt.Sprintf("is %q, not a whole number", v), "use a number of seconds or attempts, e.g. the default in .env.example")
		}
		if strings.TrimLeft(strings.TrimSpace(v), "0") == "" && contains(positiveSettings, name) {
			return bad(name, "is 0", "use at least 1 (it is a lifetime or window in seconds)")
		}
	}
	sameSite := "Lax"
	if v, ok := get("cookie_samesite"); ok {
		sameSite = initcap(v)
		if !contains(sameSiteSet, sameSite) {
			return bad("cookie_samesite", fmt.Sprintf("is %q", v), "use Lax, Strict or None")
		}
	}
	secure := true
	if v, ok := get("cookie_secure"); ok {
		w := strings.ToLower(v)
		if !contains(boolWords, w) {
			return bad("cookie_secure", fmt.Sprintf("is %q", v), "use true or false")
		}
		secure = contains([]string{"true", "on", "1", "yes"}, w)
	}
	if sameSite == "None" && !secure {
		return bad("cookie_samesite", "is None while COOKIE_SECURE is false", "browsers drop SameSite=None cookies without Secure: set COOKIE_SECURE=true or use Lax")
	}
	return nil
}

// initcap is PostgreSQL's initcap for one word.
func initcap(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToLower(s)
	return strings.ToUpper(s[:1]) + s[1:]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
