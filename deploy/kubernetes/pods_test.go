package kubernetes

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// workload is a pod template of the build and what owns it.
type workload struct {
	owner string // Deployment/caddy, Job/authstack-migrate
	spec  *corev1.PodTemplateSpec
}

func workloads(m *manifest) []workload {
	var out []workload
	for _, n := range sortedKeys(m.deployments) {
		out = append(out, workload{"Deployment/" + n, &m.deployments[n].Spec.Template})
	}
	for _, n := range sortedKeys(m.jobs) {
		out = append(out, workload{"Job/" + n, &m.jobs[n].Spec.Template})
	}
	return out
}

func sortedKeys[V any](mp map[string]V) []string {
	ks := make([]string, 0, len(mp))
	for k := range mp {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// allContainers lists init containers first, in the order they run.
func allContainers(p *corev1.PodSpec) []*corev1.Container {
	var out []*corev1.Container
	for i := range p.InitContainers {
		out = append(out, &p.InitContainers[i])
	}
	for i := range p.Containers {
		out = append(out, &p.Containers[i])
	}
	return out
}

func container(t *testing.T, p *corev1.PodSpec, name string) *corev1.Container {
	t.Helper()
	for _, c := range allContainers(p) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %q", name)
	return nil
}

func deployment(t *testing.T, m *manifest, name string) *corev1.PodSpec {
	t.Helper()
	d, ok := m.deployments[name]
	if !ok {
		t.Fatalf("%s: no Deployment %s", m.dir, name)
	}
	return &d.Spec.Template.Spec
}

func job(t *testing.T, m *manifest, name string) *corev1.PodSpec {
	t.Helper()
	j, ok := m.jobs[name]
	if !ok {
		t.Fatalf("%s: no Job %s", m.dir, name)
	}
	return &j.Spec.Template.Spec
}

// containerPort is the number of a container port by name, 0 if none.
func containerPort(p *corev1.PodSpec, name string) int32 {
	for _, c := range allContainers(p) {
		for _, cp := range c.Ports {
			if cp.Name == name {
				return cp.ContainerPort
			}
		}
	}
	return 0
}

// matching returns the workloads whose pod labels a selector matches.
func matching(m *manifest, sel labels.Selector) []workload {
	var out []workload
	for _, w := range workloads(m) {
		if sel.Matches(labels.Set(w.spec.Labels)) {
			out = append(out, w)
		}
	}
	return out
}

var envRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`)

// envValue is a variable as the container sees it, symbolically: a literal
// value with each $(VAR) of an earlier variable replaced by that
// variable's symbolic value, and a secret reference as "$(NAME)" where
// NAME is the .env variable the documented secret key holds. ok is false
// when the container does not set it.
func envValue(t *testing.T, c *corev1.Container, name string, layout secretLayout) (v string, ok bool) {
	t.Helper()
	vals := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			k, found := layout.find(ref.Name, ref.Key)
			if !found {
				t.Errorf("container %s: %s reads secret %s key %s, which docs/kubernetes.md does not list",
					c.Name, e.Name, ref.Name, ref.Key)
			}
			vals[e.Name] = "$(" + k.envVar + ")"
		case e.ValueFrom != nil:
			t.Errorf("container %s: %s has a valueFrom the tests do not model", c.Name, e.Name)
		default:
			// Kubernetes expands $(VAR) only from variables defined
			// before this one; any other reference stays as text
			vals[e.Name] = envRef.ReplaceAllStringFunc(e.Value, func(ref string) string {
				if v, ok := vals[ref[2:len(ref)-1]]; ok {
					return v
				}
				t.Errorf("container %s: %s refers to %s, which is not defined before it", c.Name, e.Name, ref)
				return ref
			})
		}
	}
	v, ok = vals[name]
	return v, ok
}

// envNames lists a container's variable names.
func envNames(c *corev1.Container) []string {
	var out []string
	for _, e := range c.Env {
		out = append(out, e.Name)
	}
	return out
}

// referencedInEnv tells whether another variable of c uses $(name).
func referencedInEnv(c *corev1.Container, name string) bool {
	for _, e := range c.Env {
		if e.Name != name && strings.Contains(e.Value, "$("+name+")") {
			return true
		}
	}
	return false
}
