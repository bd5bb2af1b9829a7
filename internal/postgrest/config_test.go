package postgrest

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func cfgFrom(env map[string]string) (*Config, error) {
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	return LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, environ)
}

// Defaults of PostgREST v16.2 (Config.hs@v16.2, docs references/configuration.rst).
func TestConfigDefaults(t *testing.T) {
	c, err := cfgFrom(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.DBURI != "postgresql://" || strings.Join(c.DBSchemas, ",") != "public" || c.DBAnonRole != "" ||
		strings.Join(c.DBExtraSearchPath, ",") != "public" || c.DBPool != 10 || c.ServerHost != "!4" || c.ServerPort != 3000 ||
		c.JWTRoleClaimKey != "$.role" || c.JWTCacheMaxEntries != 1000 || !c.DBPreparedStatements || c.OpenAPIMode != "follow-privileges" ||
		c.LogLevel != "error" || c.JWTSecret != nil || c.AdminServerPort != 0 || c.DBMaxRows != 0 {
		t.Fatalf("defaults: %+v", c)
	}
	if c.ListenHost() != "0.0.0.0" {
		t.Fatalf("!4 → %s", c.ListenHost())
	}
}

func TestConfigValues(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "secret")
	raw := []byte("0123456789abcdef0123456789abcdef-file")
	if err := os.WriteFile(f, append(raw, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := cfgFrom(map[string]string{
		"PGRST_DB_SCHEMAS": " public , auth ", "PGRST_JWT_SECRET": "@" + f, "PGRST_APP_SETTINGS_JWT_EXP": "3600",
		"PGRST_DB_PREPARED_STATEMENTS": "false", "PGRST_JWT_ROLE_CLAIM_KEY": ".role", "PGRST_SERVER_PORT": "3001",
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.DBSchemas, "|") != "public|auth" || string(c.JWTSecret) != string(raw) || c.AppSettings["JWT_EXP"] != "3600" ||
		c.DBPreparedStatements || !c.RoleClaim().Deprecated || c.ServerPort != 3001 {
		t.Fatalf("values: %+v", c)
	}
	// base64 (URL-safe alphabet mapped back, Config.hs:536-545@v16.2)
	key := []byte("\xff\xfe0123456789abcdef0123456789abcdef")
	b64 := base64.URLEncoding.EncodeToString(key)
	c, err = cfgFrom(map[string]string{"PGRST_JWT_SECRET": b64, "PGRST_JWT_SECRET_IS_BASE64": "true"})
	if err != nil || string(c.JWTSecret) != string(key) {
		t.Fatalf("base64: %v %+v", err, c)
	}
	if strings.Contains(c.Dump(false), b64) {
		t.Fatal("dump-config leaks the secret")
	}
}

// Startup errors (Config.hs:536-570@v16.2).
func TestConfigErrors(t *testing.T) {
	cases := map[string]map[string]string{
		"The JWT secret must be at least 32 characters long.": {"PGRST_JWT_SECRET": "short"},
		"Invalid base64": {"PGRST_JWT_SECRET": "not base64!!", "PGRST_JWT_SECRET_IS_BASE64": "true"},
		"PGRST_DB_POOL":  {"PGRST_DB_POOL": "ten"},
		"openapi-mode":   {"PGRST_OPENAPI_MODE": "sometimes"},
	}
	for want, env := range cases {
		_, err := cfgFrom(env)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: %v, want %q", env, err, want)
		}
	}
	// 31 bytes after base64 decoding is too short even if the text is longer
	short := base64.StdEncoding.EncodeToString(make([]byte, 31))
	if _, err := cfgFrom(map[string]string{"PGRST_JWT_SECRET": short, "PGRST_JWT_SECRET_IS_BASE64": "true"}); err == nil ||
		err.Error() != "The JWT secret must be at least 32 characters long." {
		t.Errorf("short decoded secret: %v", err)
	}
}

func TestClientErrorVerbosityConfig(t *testing.T) {
	env := map[string]string{"PGRST_CLIENT_ERROR_VERBOSITY": "loud"}
	_, err := LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, nil)
	if err == nil || err.Error() != "Invalid client-error-verbosity. Check your configuration." {
		t.Fatalf("err = %v", err)
	}
	env["PGRST_CLIENT_ERROR_VERBOSITY"] = "minimal"
	c, err := LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, nil)
	if err != nil || c.ClientErrorVerbosity != "minimal" {
		t.Fatalf("c = %+v, err = %v", c, err)
	}
}
