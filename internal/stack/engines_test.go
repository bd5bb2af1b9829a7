package stack

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/pgserver"
)

func scaledConfig(t *testing.T, api, pg int) *Config {
	t.Helper()
	c := &Config{PGPort: 54329, APIPort: 3000, AdminPort: 3001, HTTPPort: 8000, ReplicaPGPort: 54330,
		DBName: "app", JWTSecret: testSecret, AuthenticatorPassword: "auth-pw"}
	if err := c.SetScale(api, pg); err != nil {
		t.Fatal(err)
	}
	return c
}

// Engines: the primary's engines on 127.0.0.1, .2, ... and the read
// engine after them, all on the same two ports; the read engine reads the
// standby and does not LISTEN; Caddy gets the lists.
func TestEnginesLayout(t *testing.T) {
	c := scaledConfig(t, 3, 1)
	var got []string
	for _, e := range c.Engines() {
		got = append(got, e.Name+"@"+e.Addr()+"/"+e.AdminAddr()+"/"+strconv.FormatBool(e.Reads))
	}
	want := "api@127.0.0.1:3000/127.0.0.1:3001/false api-2@127.0.0.2:3000/127.0.0.2:3001/false " +
		"api-3@127.0.0.3:3000/127.0.0.3:3001/false api-read@127.0.0.4:3000/127.0.0.4:3001/true"
	if strings.Join(got, " ") != want {
		t.Fatalf("engines %v\nwant %s", got, want)
	}
	for _, e := range c.Engines() {
		env := c.EngineEnv(e)
		if env["PGRST_SERVER_HOST"] != e.Host || env["PGRST_SERVER_PORT"] != "3000" || env["PGRST_ADMIN_SERVER_PORT"] != "3001" {
			t.Errorf("%s listens on %s:%s/%s", e.Name, env["PGRST_SERVER_HOST"], env["PGRST_SERVER_PORT"], env["PGRST_ADMIN_SERVER_PORT"])
		}
		wantDB := ":54329/"
		if e.Reads {
			wantDB = ":54330/"
			if env["PGRST_DB_CHANNEL_ENABLED"] != "false" {
				t.Errorf("the read engine LISTENs (refused on a standby)")
			}
		} else if _, set := env["PGRST_DB_CHANNEL_ENABLED"]; set {
			t.Errorf("%s: PGRST_DB_CHANNEL_ENABLED set on a primary's engine", e.Name)
		}
		if !strings.Contains(env["PGRST_DB_URI"], wantDB) || !strings.Contains(env["PGRST_DB_URI"], "authenticator:") {
			t.Errorf("%s connects to %s, want the authenticator on %s", e.Name, env["PGRST_DB_URI"], wantDB)
		}
	}
	ce := c.CaddyEnv()
	for k, v := range map[string]string{
		"POSTGREST_DISCOVERY":      "static",
		"POSTGREST_UPSTREAM":       "127.0.0.1:3000 127.0.0.2:3000 127.0.0.3:3000",
		"POSTGREST_ADMIN_UPSTREAM": "127.0.0.1:3001 127.0.0.2:3001 127.0.0.3:3001",
		"POSTGREST_ADMIN_PORT":     "3001",
		"POSTGREST_READS":          "replica",
		"POSTGREST_READ_UPSTREAM":  "127.0.0.4:3000",
	} {
		if ce[k] != v {
			t.Errorf("Caddy %s = %q, want %q", k, ce[k], v)
		}
	}
	// one engine, no standby: what the stack always ran
	one := scaledConfig(t, 1, 0).CaddyEnv()
	if one["POSTGREST_UPSTREAM"] != "127.0.0.1:3000" || one["POSTGREST_READS"] != "primary" || one["POSTGREST_ADMIN_UPSTREAM"] != "127.0.0.1:3001" {
		t.Errorf("one engine: %v", one)
	}
}

func TestSetScaleRefuses(t *testing.T) {
	c := scaledConfig(t, 1, 0)
	for _, tc := range []struct {
		api, pg int
		want    string
	}{
		{0, 0, "--api-replicas 0"},
		{MaxAPIReplicas + 1, 0, "from 1 to 8"},
		{1, 2, "0 or 1 standby"},
		{1, -1, "--pg-replicas -1"},
	} {
		if err := c.SetScale(tc.api, tc.pg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SetScale(%d, %d) = %v, want %q", tc.api, tc.pg, err, tc.want)
		}
	}
	c.ReplicaPGPort = c.HTTPPort
	var ce *ConfigError
	if err := c.SetScale(1, 1); !errors.As(err, &ce) || ce.Var != EnvReplicaPGPort || !strings.Contains(err.Error(), EnvHTTPPort) {
		t.Errorf("standby on Caddy's port: %v", err)
	}
	if err := c.SetScale(1, 0); err != nil {
		t.Errorf("without a standby its port does not matter: %v", err)
	}
}

func TestDefaultAPIReplicas(t *testing.T) {
	for v, want := range map[string]int{"": 1, "3": 3, " 2 ": 2} {
		t.Setenv(EnvReplicas, v)
		if n, err := DefaultAPIReplicas(); err != nil || n != want {
			t.Errorf("%s=%q: %d, %v; want %d", EnvReplicas, v, n, err, want)
		}
	}
	for _, v := range []string{"0", "9", "two"} {
		t.Setenv(EnvReplicas, v)
		var ce *ConfigError
		if _, err := DefaultAPIReplicas(); !errors.As(err, &ce) || ce.Var != EnvReplicas || ce.Fix == "" {
			t.Errorf("%s=%q: %v, want a ConfigError naming it", EnvReplicas, v, err)
		}
	}
}

func TestReplicaPortDefault(t *testing.T) {
	t.Setenv(EnvReplicaPGPort, "")
	if p, err := replicaPortVar(54329); err != nil || p != 54330 {
		t.Errorf("default standby port %d, %v; want 54330", p, err)
	}
	t.Setenv(EnvReplicaPGPort, "6000")
	if p, err := replicaPortVar(54329); err != nil || p != 6000 {
		t.Errorf("STACK_PG_REPLICA_PORT=6000: %d, %v", p, err)
	}
}

// CheckPorts names the engine whose address and port are taken, on its
// own loopback address.
func TestCheckPortsEngineAddress(t *testing.T) {
	ports := make([]int, 5)
	for i := range ports {
		p, err := pgserver.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = p
	}
	c := &Config{PGPort: ports[0], APIPort: ports[1], AdminPort: ports[2], HTTPPort: ports[3], ReplicaPGPort: ports[4]}
	if err := c.SetScale(2, 1); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckPorts(); err != nil {
		t.Fatalf("free ports: %v", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.2", strconv.Itoa(c.APIPort)))
	if err != nil {
		t.Skipf("127.0.0.2 cannot be bound here: %v", err)
	}
	defer ln.Close()
	var pe *PortError
	err = c.CheckPorts()
	if !errors.As(err, &pe) || pe.Host != "127.0.0.2" || !strings.Contains(err.Error(), "on 127.0.0.2") ||
		!strings.Contains(err.Error(), "api-2") || !strings.Contains(err.Error(), EnvAPIPort) {
		t.Fatalf("taken 127.0.0.2:%d: %v", c.APIPort, err)
	}
}
