package stack

import (
	"errors"
	"strings"
	"testing"
)

func TestConfigGatewayLimits(t *testing.T) {
	for _, k := range []string{"REQUEST_BODY_MAX_SIZE", "REQUEST_HEADER_MAX_SIZE", "STACK_LOG_MAX_SIZE", "STACK_LOG_BACKUPS", "STACK_DIR"} {
		t.Setenv(k, "")
	}
	c, err := LoadConfig(t.TempDir(), ".env")
	if err != nil {
		t.Fatal(err)
	}
	env := c.CaddyEnv()
	if env["REQUEST_BODY_MAX_SIZE"] != "1MB" || env["REQUEST_HEADER_MAX_SIZE"] != "64KB" {
		t.Errorf("default CaddyEnv limits: body %q header %q", env["REQUEST_BODY_MAX_SIZE"], env["REQUEST_HEADER_MAX_SIZE"])
	}
	t.Setenv("REQUEST_BODY_MAX_SIZE", "256KiB")
	if c, err = LoadConfig(t.TempDir(), ".env"); err != nil || c.CaddyEnv()["REQUEST_BODY_MAX_SIZE"] != "256KiB" {
		t.Fatalf("REQUEST_BODY_MAX_SIZE=256KiB: %v, passed to Caddy as %q", err, c.CaddyEnv()["REQUEST_BODY_MAX_SIZE"])
	}
	for _, tc := range []struct{ key, val string }{
		{"REQUEST_BODY_MAX_SIZE", "lots"},
		{"REQUEST_BODY_MAX_SIZE", "0"}, // Caddy would read it as no limit
		{"REQUEST_HEADER_MAX_SIZE", "64 elephants"},
		{"STACK_LOG_MAX_SIZE", "0"},
		{"STACK_LOG_BACKUPS", "-1"},
	} {
		t.Run(tc.key+"="+tc.val, func(t *testing.T) {
			t.Setenv("REQUEST_BODY_MAX_SIZE", "")
			t.Setenv(tc.key, tc.val)
			_, err := LoadConfig(t.TempDir(), ".env")
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Var != tc.key || ce.Fix == "" || !strings.Contains(err.Error(), tc.val) {
				t.Fatalf("got %v, want a *ConfigError naming %s with a fix", err, tc.key)
			}
		})
	}
}
