package kubernetes

import (
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// caddyConfigMap is the ConfigMap the caddy Deployment mounts.
func caddyConfigMap(t *testing.T, m *manifest) *corev1.ConfigMap {
	t.Helper()
	for _, v := range deployment(t, m, "caddy").Volumes {
		if v.ConfigMap == nil {
			continue
		}
		cm, ok := m.configMaps[v.ConfigMap.Name]
		if !ok {
			t.Fatalf("%s: caddy mounts ConfigMap %s, which the build does not have", m.dir, v.ConfigMap.Name)
		}
		return cm
	}
	t.Fatalf("%s: caddy mounts no ConfigMap", m.dir)
	return nil
}

// caddyfileHeaderVar: "#   NAME   description ... (required)" in the
// Caddyfile's header comment, which lists the environment it reads.
var (
	caddyfileHeaderVar = regexp.MustCompile(`^#\s{2,}([A-Z][A-Z0-9_]*)\s+(.*)$`)
	caddyfileVarUse    = regexp.MustCompile(`\{(?:\$|env\.)([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}`)
	caddyfileImport    = regexp.MustCompile(`(?m)^\s*import\s+(\S+)`)
	caddyfileSnippet   = regexp.MustCompile(`(?m)^\(([^)\s]+)\)\s*\{`)
)

// caddyfileEnv returns the variables the header lists (name -> required)
// and those the file uses (name -> default, "" when none).
func caddyfileEnv(text string) (listed map[string]bool, used map[string]string) {
	listed, used = map[string]bool{}, map[string]string{}
	inHeader := false
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "# Environment") {
			inHeader = true
			continue
		}
		if !inHeader {
			continue
		}
		m := caddyfileHeaderVar.FindStringSubmatch(l)
		if m == nil {
			break
		}
		listed[m[1]] = strings.Contains(m[2], "(required)")
	}
	for _, m := range caddyfileVarUse.FindAllStringSubmatch(text, -1) {
		used[m[1]] = m[2]
	}
	return listed, used
}

// The Caddy container gets what the Caddyfile needs: every variable it
// sets is one the header lists, every required one is set, and every
// variable the file reads is listed (so the header is the whole list).
func TestCaddyEnvironmentIsWhatTheCaddyfileReads(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(repoRoot(t), "caddy", "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	listed, used := caddyfileEnv(string(text))
	if len(listed) == 0 {
		t.Fatal("caddy/Caddyfile: no variables in the header comment")
	}
	for v := range used {
		if _, ok := listed[v]; !ok {
			t.Errorf("caddy/Caddyfile reads %s, which its header does not list", v)
		}
	}
	for _, dir := range kustomizations {
		c := container(t, deployment(t, build(t, dir), "caddy"), "caddy")
		set := map[string]bool{}
		for _, n := range envNames(c) {
			set[n] = true
			if _, ok := listed[n]; !ok {
				t.Errorf("%s: caddy sets %s, which the Caddyfile does not read", dir, n)
			}
		}
		for v, required := range listed {
			if required && !set[v] {
				t.Errorf("%s: caddy does not set %s, which the Caddyfile requires", dir, v)
			}
		}
		if set["CADDY_DEBUG"] {
			t.Errorf("%s: CADDY_DEBUG logs credentials; production leaves it unset", dir)
		}
	}
}

// Caddy loads the mounted Caddyfile, and each file it imports is in the
// ConfigMap next to it (whatever value the import's placeholder takes).
func TestCaddyLoadsTheMountedCaddyfile(t *testing.T) {
	layout := docSecretLayout(t)
	for _, dir := range kustomizations {
		m := build(t, dir)
		pod := deployment(t, m, "caddy")
		c := container(t, pod, "caddy")
		cm := caddyConfigMap(t, m)
		args := append(append([]string{}, c.Command...), c.Args...)
		cfg := ""
		for i := range args {
			if args[i] == "--config" && i+1 < len(args) {
				cfg = args[i+1]
			}
		}
		if cfg == "" || path.Base(cfg) != "Caddyfile" {
			t.Fatalf("%s: caddy runs %q, not a --config .../Caddyfile", dir, args)
		}
		mounted := false
		for _, vm := range c.VolumeMounts {
			for _, v := range pod.Volumes {
				if v.Name == vm.Name && v.ConfigMap != nil && v.ConfigMap.Name == cm.Name &&
					path.Clean(vm.MountPath) == path.Dir(cfg) && vm.SubPath == "" {
					mounted = true
				}
			}
		}
		if !mounted {
			t.Errorf("%s: %s is not in the directory where ConfigMap %s is mounted", dir, cfg, cm.Name)
		}
		text := cm.Data["Caddyfile"]
		snippets := map[string]bool{}
		for _, s := range caddyfileSnippet.FindAllStringSubmatch(text, -1) {
			snippets[s[1]] = true
		}
		for _, im := range caddyfileImport.FindAllStringSubmatch(text, -1) {
			// the snippet or file as this container resolves it, and every
			// file the placeholder can name
			resolved := caddyfileVarUse.ReplaceAllStringFunc(im[1], func(ph string) string {
				sm := caddyfileVarUse.FindStringSubmatch(ph)
				if v, ok := envValue(t, c, sm[1], layout); ok {
					return v
				}
				return sm[2]
			})
			if snippets[resolved] {
				continue
			}
			if _, ok := cm.Data[resolved]; !ok {
				t.Errorf("%s: the Caddyfile imports %s (here %s), not in ConfigMap %s", dir, im[1], resolved, cm.Name)
			}
			glob := caddyfileVarUse.ReplaceAllString(im[1], "*")
			files, _ := filepath.Glob(filepath.Join(repoRoot(t), "caddy", glob))
			for _, f := range files {
				if _, ok := cm.Data[filepath.Base(f)]; !ok {
					t.Errorf("%s: caddy/%s (import %s) is not in ConfigMap %s", dir, filepath.Base(f), im[1], cm.Name)
				}
			}
		}
	}
}

// Caddy's upstreams are the postgrest Service's ports, whose targets are
// PostgREST's server and admin ports, and Caddy listens where its Service
// sends traffic.
func TestCaddyUpstreamsReachPostgREST(t *testing.T) {
	layout := docSecretLayout(t)
	for _, dir := range kustomizations {
		m := build(t, dir)
		caddy := container(t, deployment(t, m, "caddy"), "caddy")
		pgrstPod := deployment(t, m, "postgrest")
		pgrst := container(t, pgrstPod, "postgrest")
		if d, _ := envValue(t, caddy, "POSTGREST_DISCOVERY", layout); d != "dns" {
			t.Errorf("%s: caddy's POSTGREST_DISCOVERY is %q, want dns (the Service's addresses)", dir, d)
		}
		name, _ := envValue(t, caddy, "POSTGREST_DNS_NAME", layout)
		for port, portVar := range map[string]string{"POSTGREST_PORT": "PGRST_SERVER_PORT", "POSTGREST_ADMIN_PORT": "PGRST_ADMIN_SERVER_PORT"} {
			val, ok := envValue(t, caddy, port, layout)
			if !ok {
				t.Errorf("%s: caddy does not set %s", dir, port)
				continue
			}
			want, _ := envValue(t, pgrst, portVar, layout)
			if got := servicePortTarget(t, m, net.JoinHostPort(name, val), pgrstPod); strconv.Itoa(int(got)) != want {
				t.Errorf("%s: caddy's %s:%s reaches port %d of PostgREST, whose %s is %s", dir, name, val, got, portVar, want)
			}
		}
		svc, ok := m.services["caddy"]
		if !ok || len(svc.Spec.Ports) != 1 {
			t.Fatalf("%s: no caddy Service with one port", dir)
		}
		if got := resolveTarget(deployment(t, m, "caddy"), svc.Spec.Ports[0].TargetPort); got == 0 {
			t.Errorf("%s: the caddy Service's target %s is no port of Caddy", dir, svc.Spec.Ports[0].TargetPort.String())
		}
	}
}

// servicePortTarget resolves host:port through the Service named host to
// the container port of pod it targets (0 when it does not).
func servicePortTarget(t *testing.T, m *manifest, hostPort string, pod *corev1.PodSpec) int32 {
	t.Helper()
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		t.Errorf("%s: upstream %q: %v", m.dir, hostPort, err)
		return 0
	}
	svc, ok := m.services[host]
	if !ok {
		t.Errorf("%s: upstream %s: no Service %s", m.dir, hostPort, host)
		return 0
	}
	for _, sp := range svc.Spec.Ports {
		if strconv.Itoa(int(sp.Port)) == port {
			return resolveTarget(pod, sp.TargetPort)
		}
	}
	t.Errorf("%s: upstream %s: Service %s has no port %s", m.dir, hostPort, host, port)
	return 0
}

// resolveTarget is the container port a Service targetPort means in pod.
func resolveTarget(pod *corev1.PodSpec, tp intstr.IntOrString) int32 {
	if tp.Type == intstr.String {
		return containerPort(pod, tp.StrVal)
	}
	for _, c := range allContainers(pod) {
		for _, cp := range c.Ports {
			if cp.ContainerPort == tp.IntVal {
				return cp.ContainerPort
			}
		}
	}
	return 0
}
