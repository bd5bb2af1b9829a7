package caddyrun_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"

	"github.com/authstack/authstack/internal/caddyrun"
)

// reverseProxies returns every reverse_proxy handler of an adapted config.
func reverseProxies(t *testing.T, cfg []byte) []map[string]any {
	t.Helper()
	var root any
	if err := json.Unmarshal(cfg, &root); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["handler"] == "reverse_proxy" {
				out = append(out, v)
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(root)
	return out
}

// With compose's environment for the caddy service, the project's
// Caddyfile sends every engine route to all replicas of the postgrest
// service (dynamic A records), on the ports that service listens on.
func TestProjectCaddyfileComposeReplicas(t *testing.T) {
	root, _ := filepath.Abs("../..")
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "compose.yaml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnv([]string{"JWT_SECRET=" + secretB64, "POSTGRES_PASSWORD=pg", "AUTHENTICATOR_PASSWORD=auth", "POSTGREST_REPLICAS=3"}),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	env := func(svc, k string) string {
		v := p.Services[svc].Environment[k]
		if v == nil {
			t.Fatalf("%s: %s not set", svc, k)
		}
		return *v
	}
	for k, v := range p.Services["caddy"].Environment {
		if v != nil {
			t.Setenv(k, *v)
		}
	}
	cfg, _, err := caddyrun.Adapt(projectCaddyfile)
	if err != nil {
		t.Fatal(err)
	}
	api, admin := env("postgrest", "PGRST_SERVER_PORT"), env("postgrest", "PGRST_ADMIN_SERVER_PORT")
	ports := map[string]int{}
	for _, rp := range reverseProxies(t, cfg) {
		if rp["upstreams"] != nil {
			t.Errorf("a route has static upstreams under compose: %v", rp["upstreams"])
		}
		d, _ := rp["dynamic_upstreams"].(map[string]any)
		if d["source"] != "a" || d["name"] != "postgrest" {
			t.Errorf("a route's upstreams are %v, want the A records of the postgrest service", d)
		}
		ports[d["port"].(string)]++
	}
	if ports[admin] != 1 || ports[api] < 5 || len(ports) != 2 {
		t.Errorf("dynamic upstream ports %v: want /healthz on %s and every API route on %s", ports, admin, api)
	}
}
