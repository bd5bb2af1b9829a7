package stack

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// Settings the SQL would refuse at every login stop `up` before anything
// starts, naming the variable as the user wrote it.
func TestValidateAppSettings(t *testing.T) {
	base := map[string]string{
		"JWT_SECRET": testSecret, "POSTGRES_PASSWORD": "pw", "AUTHENTICATOR_PASSWORD": "pw2",
		"JWT_EXP": "", "REFRESH_TOKEN_TTL": "", "COOKIE_SECURE": "", "COOKIE_SAMESITE": "",
		"PGRST_APP_SETTINGS_LOGIN_MAX_ATTEMPTS_USER": "", "PGRST_APP_SETTINGS_LOGIN_WINDOW": "",
		"REFRESH_TOKEN_REUSE_INTERVAL": "", "PGRST_APP_SETTINGS_PASSWORD_MIN_LENGTH": "",
		"PGRST_APP_SETTINGS_SIGNUP_MAX_ATTEMPTS_ADDR": "", "SIGNUP_ENABLED": "", "SIGNUP_ROLE": "",
	}
	cases := []struct {
		key, val, wantVar string // wantVar "" = accepted
	}{
		{"JWT_EXP", "abc", "JWT_EXP"},
		{"JWT_EXP", "-5", "JWT_EXP"},
		{"JWT_EXP", "0", "JWT_EXP"},
		{"JWT_EXP", "1234567890", "JWT_EXP"},
		{"JWT_EXP", " 900 ", ""},
		{"REFRESH_TOKEN_TTL", "0", "REFRESH_TOKEN_TTL"},
		{"REFRESH_TOKEN_TTL", "1.5", "REFRESH_TOKEN_TTL"},
		{"COOKIE_SAMESITE", "Bogus", "COOKIE_SAMESITE"},
		{"COOKIE_SAMESITE", "strict", ""},
		{"COOKIE_SECURE", "maybe", "COOKIE_SECURE"},
		{"COOKIE_SECURE", "off", ""},
		{"PGRST_APP_SETTINGS_LOGIN_MAX_ATTEMPTS_USER", "five", "PGRST_APP_SETTINGS_LOGIN_MAX_ATTEMPTS_USER"},
		{"PGRST_APP_SETTINGS_LOGIN_MAX_ATTEMPTS_USER", "0", ""},
		{"PGRST_APP_SETTINGS_LOGIN_WINDOW", "0", "PGRST_APP_SETTINGS_LOGIN_WINDOW"},
		{"REFRESH_TOKEN_REUSE_INTERVAL", "ten", "REFRESH_TOKEN_REUSE_INTERVAL"},
		{"REFRESH_TOKEN_REUSE_INTERVAL", "-1", "REFRESH_TOKEN_REUSE_INTERVAL"},
		{"REFRESH_TOKEN_REUSE_INTERVAL", "0", ""},
		{"PGRST_APP_SETTINGS_PASSWORD_MIN_LENGTH", "0", "PGRST_APP_SETTINGS_PASSWORD_MIN_LENGTH"},
		{"PGRST_APP_SETTINGS_SIGNUP_MAX_ATTEMPTS_ADDR", "x", "PGRST_APP_SETTINGS_SIGNUP_MAX_ATTEMPTS_ADDR"},
		{"SIGNUP_ENABLED", "perhaps", "SIGNUP_ENABLED"},
		{"SIGNUP_ENABLED", "TRUE", ""},
		{"SIGNUP_ROLE", "anon", "SIGNUP_ROLE"},
		{"SIGNUP_ROLE", "pg_read_all_data", "SIGNUP_ROLE"},
		{"SIGNUP_ROLE", "a b", "SIGNUP_ROLE"},
		{"SIGNUP_ROLE", "editors", ""}, // existence: checked by migrate up
		{"PGRST_DB_PRE_REQUEST", "auth.check_session(); drop table x", "PGRST_DB_PRE_REQUEST"},
		{"PGRST_DB_PRE_REQUEST", "", ""},
		{"PGRST_DB_PRE_REQUEST", "public.my_check", ""},
	}
	for _, tc := range cases {
		t.Run(tc.key+"="+tc.val, func(t *testing.T) {
			for k, v := range base {
				t.Setenv(k, v)
			}
			t.Setenv(tc.key, tc.val)
			c, err := LoadConfig(t.TempDir(), ".env")
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if tc.wantVar == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Var != tc.wantVar || ce.Fix == "" || !strings.Contains(err.Error(), tc.wantVar) {
				t.Fatalf("got %v, want a ConfigError naming %s with a fix", err, tc.wantVar)
			}
		})
	}
	t.Run("SameSite=None needs Secure", func(t *testing.T) {
		for k, v := range base {
			t.Setenv(k, v)
		}
		t.Setenv("COOKIE_SAMESITE", "None")
		t.Setenv("COOKIE_SECURE", "false")
		c, _ := LoadConfig(t.TempDir(), ".env")
		var ce *ConfigError
		if err := c.Validate(); !errors.As(err, &ce) || ce.Var != "COOKIE_SAMESITE" {
			t.Fatalf("got %v", err)
		}
	})
}

// The engine gets PGRST_DB_MAX_ROWS (1000 unless .env says otherwise).
func TestPostgrestEnvMaxRows(t *testing.T) {
	t.Setenv("PGRST_DB_MAX_ROWS", "")
	os.Unsetenv("PGRST_DB_MAX_ROWS")
	c := &Config{}
	if got := c.PostgrestEnv()["PGRST_DB_MAX_ROWS"]; got != DefaultMaxRows {
		t.Errorf("default PGRST_DB_MAX_ROWS = %q, want %s", got, DefaultMaxRows)
	}
	t.Setenv("PGRST_DB_MAX_ROWS", "25")
	if got := c.PostgrestEnv()["PGRST_DB_MAX_ROWS"]; got != "25" {
		t.Errorf("PGRST_DB_MAX_ROWS from .env = %q, want 25", got)
	}
}

// The engine runs auth.check_session before every request unless .env
// names another function or sets PGRST_DB_PRE_REQUEST empty (none); the
// reuse interval reaches the SQL as an app setting.
func TestPostgrestEnvPreRequest(t *testing.T) {
	t.Setenv("PGRST_DB_PRE_REQUEST", "")
	os.Unsetenv("PGRST_DB_PRE_REQUEST")
	c := &Config{}
	if got := c.PostgrestEnv()["PGRST_DB_PRE_REQUEST"]; got != "auth.check_session" {
		t.Errorf("default PGRST_DB_PRE_REQUEST = %q, want auth.check_session", got)
	}
	t.Setenv("PGRST_DB_PRE_REQUEST", "")
	if got, ok := c.PostgrestEnv()["PGRST_DB_PRE_REQUEST"]; !ok || got != "" {
		t.Errorf("PGRST_DB_PRE_REQUEST set empty in .env = %q (%v), want empty (no pre-request)", got, ok)
	}
	t.Setenv("REFRESH_TOKEN_REUSE_INTERVAL", "3")
	if got := c.PostgrestEnv()["PGRST_APP_SETTINGS_REFRESH_TOKEN_REUSE_INTERVAL"]; got != "3" {
		t.Errorf("PGRST_APP_SETTINGS_REFRESH_TOKEN_REUSE_INTERVAL = %q, want 3 from REFRESH_TOKEN_REUSE_INTERVAL", got)
	}
}
