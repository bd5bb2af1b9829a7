package stack

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestConfigBadEnv(t *testing.T) {
	good := map[string]string{
		"JWT_SECRET": testSecret, "POSTGRES_PASSWORD": "pw", "AUTHENTICATOR_PASSWORD": "pw2",
		"STACK_PG_PORT": "", "POSTGREST_PORT": "", "POSTGREST_ADMIN_PORT": "", "STACK_HTTP_PORT": "", "POSTGRES_DB": "", "STACK_DIR": "",
	}
	cases := []struct {
		name, key, val, wantVar, wantText string
	}{
		{"port not a number", "STACK_PG_PORT", "54x", "STACK_PG_PORT", "not a TCP port"},
		{"port out of range", "STACK_HTTP_PORT", "70000", "STACK_HTTP_PORT", "not a TCP port"},
		{"same port twice", "POSTGREST_PORT", "54329", "POSTGREST_PORT", "same port as STACK_PG_PORT"},
		{"secret missing", "JWT_SECRET", "", "JWT_SECRET", "stackctl secret gen"},
		{"secret not base64", "JWT_SECRET", "not base64!!", "JWT_SECRET", "base64"},
		{"secret too short", "JWT_SECRET", "c2hvcnQ=", "JWT_SECRET", "at least 32"},
		{"pg password missing", "POSTGRES_PASSWORD", "", "POSTGRES_PASSWORD", "secret gen"},
		{"authenticator password missing", "AUTHENTICATOR_PASSWORD", "", "AUTHENTICATOR_PASSWORD", "secret gen"},
		{"bad db name", "POSTGRES_DB", "a b", "POSTGRES_DB", "plain database name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range good {
				t.Setenv(k, v)
			}
			t.Setenv(tc.key, tc.val)
			c, err := LoadConfig(t.TempDir(), ".env")
			if err == nil {
				err = c.Validate()
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *ConfigError", err)
			}
			if ce.Var != tc.wantVar || !strings.Contains(err.Error(), tc.wantText) || ce.Fix == "" {
				t.Errorf("error %q: want variable %s and %q and a fix", err, tc.wantVar, tc.wantText)
			}
			if tc.key == "JWT_SECRET" && tc.val != "" && strings.Contains(err.Error(), tc.val) {
				t.Errorf("the error shows the secret's value")
			}
		})
	}
	t.Run("defaults", func(t *testing.T) {
		for k, v := range good {
			t.Setenv(k, v)
		}
		c, err := LoadConfig(t.TempDir(), ".env")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if c.PGPort != 54329 || c.APIPort != 3000 || c.AdminPort != 3001 || c.HTTPPort != 8000 || c.DBName != "app" {
			t.Errorf("defaults: %+v", c)
		}
		if c.BaseURL() != "http://localhost:8000" {
			t.Errorf("BaseURL %s", c.BaseURL())
		}
		env := c.PostgrestEnv()
		if env["PGRST_DB_URI"] != "postgres://authenticator:pw2@127.0.0.1:54329/app?sslmode=disable" || env["PGRST_SERVER_HOST"] != "127.0.0.1" {
			t.Errorf("PostgrestEnv: %v", env["PGRST_DB_URI"])
		}
		ce := c.CaddyEnv()
		if ce["SITE_ADDRESS"] != ":8000" || ce["CADDY_BIND"] != "127.0.0.1" || ce["POSTGREST_UPSTREAM"] != "127.0.0.1:3000" || ce["POSTGREST_ADMIN_UPSTREAM"] != "127.0.0.1:3001" {
			t.Errorf("CaddyEnv: %v", ce)
		}
	})
}

func TestPortErrorNamesPortAndHolder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	err = CheckPortFree(port, "STACK_HTTP_PORT", "Caddy")
	var pe *PortError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *PortError", err)
	}
	msg := err.Error()
	for _, want := range []string{strconv.Itoa(port), "STACK_HTTP_PORT", "Caddy", "pid "} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	ln.Close()
	if err := CheckPortFree(port, "X", "y"); err != nil {
		t.Errorf("free port reported taken: %v", err)
	}
}

func TestDockerCommands(t *testing.T) {
	got := DockerCommands("/bin/stackctl", false)
	want := [][]string{
		{"docker", "compose", "up", "-d", "--build"},
		{"/bin/stackctl", "migrate", "up", "--wait"},
		{"/bin/stackctl", "seed", "demo"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if strings.Join(got[i], " ") != strings.Join(want[i], " ") {
			t.Errorf("command %d: %v, want %v", i, got[i], want[i])
		}
	}
	if n := len(DockerCommands("x", true)); n != 2 {
		t.Errorf("--no-seed still seeds: %d commands", n)
	}
	if d := strings.Join(DockerDownCommand(true), " "); d != "docker compose down --volumes" {
		t.Errorf("down: %s", d)
	}
}
