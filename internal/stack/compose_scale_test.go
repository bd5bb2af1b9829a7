package stack

import (
	"testing"
)

// The postgrest service scales (deploy.replicas from POSTGREST_REPLICAS, or
// `docker compose up --scale postgrest=N`) and Caddy finds every replica
// through compose's DNS: nothing in the service pins one container.
func TestComposeEnginesScale(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want int
	}{
		{nil, 1},
		{map[string]string{"POSTGREST_REPLICAS": "3"}, 3},
	} {
		envFile, _ := envFromExample(t, tc.env)
		p, err := loadCompose(t, envFile)
		if err != nil {
			t.Fatal(err)
		}
		svc := p.Services["postgrest"]
		if svc.Deploy == nil || svc.Deploy.Replicas == nil || *svc.Deploy.Replicas != tc.want {
			t.Errorf("%v: postgrest deploy = %+v, want %d replicas", tc.env, svc.Deploy, tc.want)
		}
		if svc.ContainerName != "" || len(svc.Ports) != 0 {
			t.Errorf("postgrest has container_name %q or ports %v: replicas would collide", svc.ContainerName, svc.Ports)
		}
		if got := svcEnv(t, p, "caddy", "POSTGREST_DISCOVERY"); got != "dns" {
			t.Errorf("caddy POSTGREST_DISCOVERY = %q, want dns (compose's replicas)", got)
		}
		if _, ok := p.Services[svcEnv(t, p, "caddy", "POSTGREST_DNS_NAME")]; !ok {
			t.Errorf("caddy's POSTGREST_DNS_NAME is no service of compose.yaml")
		}
	}
}
