package kubernetes

import (
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

func selectorOf(t *testing.T, what string, ls *metav1.LabelSelector) labels.Selector {
	t.Helper()
	if ls == nil || (len(ls.MatchLabels) == 0 && len(ls.MatchExpressions) == 0) {
		t.Fatalf("%s: empty selector (it would match every pod)", what)
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return sel
}

// Names, labels and ports are what the API server accepts.
func TestNamesLabelsAndPortsAreValid(t *testing.T) {
	for _, dir := range kustomizations {
		m := build(t, dir)
		for _, o := range m.raw {
			if e := validation.IsDNS1123Subdomain(o.name); len(e) > 0 {
				t.Errorf("%s: %s: %v", dir, o, e)
			}
		}
		for n := range m.services {
			if e := validation.IsDNS1035Label(n); len(e) > 0 {
				t.Errorf("%s: Service %s: %v", dir, n, e)
			}
		}
		for _, w := range workloads(m) {
			for k, v := range w.spec.Labels {
				if e := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...); len(e) > 0 {
					t.Errorf("%s: %s label %s=%s: %v", dir, w.owner, k, v, e)
				}
			}
			for _, c := range allContainers(&w.spec.Spec) {
				if e := validation.IsDNS1123Label(c.Name); len(e) > 0 {
					t.Errorf("%s: %s container %s: %v", dir, w.owner, c.Name, e)
				}
				for _, p := range c.Ports {
					if e := validation.IsValidPortName(p.Name); len(e) > 0 {
						t.Errorf("%s: %s port %s: %v", dir, w.owner, p.Name, e)
					}
				}
				for _, e := range c.Env {
					if errs := validation.IsEnvVarName(e.Name); len(errs) > 0 {
						t.Errorf("%s: %s %s: %v", dir, w.owner, e.Name, errs)
					}
				}
			}
		}
	}
}

// Each Deployment's selector matches its own pods, each Service selects
// exactly one Deployment's pods and targets ports they have.
func TestServicesSelectTheirDeployments(t *testing.T) {
	for _, dir := range kustomizations {
		m := build(t, dir)
		for n, d := range m.deployments {
			sel := selectorOf(t, dir+": Deployment "+n, d.Spec.Selector)
			if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				t.Errorf("%s: Deployment %s's selector does not match its pod template", dir, n)
			}
		}
		for n, s := range m.services {
			sel := selectorOf(t, dir+": Service "+n, &metav1.LabelSelector{MatchLabels: s.Spec.Selector})
			ws := matching(m, sel)
			if len(ws) != 1 || ws[0].owner != "Deployment/"+n {
				t.Errorf("%s: Service %s selects %v, want Deployment/%s alone", dir, n, owners(ws), n)
				continue
			}
			for _, sp := range s.Spec.Ports {
				if resolveTarget(&ws[0].spec.Spec, sp.TargetPort) == 0 {
					t.Errorf("%s: Service %s port %d targets %s, no port of %s", dir, n, sp.Port, sp.TargetPort.String(), ws[0].owner)
				}
			}
		}
	}
}

func owners(ws []workload) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.owner)
	}
	return out
}

// The autoscaler owns PostgREST's replica count; it can measure CPU; the
// disruption budgets leave room to evict; the pool of every replica fits
// max_connections.
func TestAutoscalerAndDisruptionBudgets(t *testing.T) {
	for _, dir := range kustomizations {
		m := build(t, dir)
		replicas := map[string]int32{} // Deployment -> the fewest pods it runs
		for n, d := range m.deployments {
			replicas[n] = 1
			if d.Spec.Replicas != nil {
				replicas[n] = *d.Spec.Replicas
			}
		}
		for n, h := range m.hpas {
			ref := h.Spec.ScaleTargetRef
			d, ok := m.deployments[ref.Name]
			if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || !ok {
				t.Errorf("%s: HPA %s scales %s %s/%s, not a Deployment of the build", dir, n, ref.APIVersion, ref.Kind, ref.Name)
				continue
			}
			if d.Spec.Replicas != nil {
				t.Errorf("%s: Deployment %s sets replicas, which every apply resets under HPA %s", dir, ref.Name, n)
			}
			if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
				t.Errorf("%s: HPA %s min %v max %d: want at least 2 and max >= min", dir, n, h.Spec.MinReplicas, h.Spec.MaxReplicas)
			} else {
				replicas[ref.Name] = *h.Spec.MinReplicas
			}
			for _, mt := range h.Spec.Metrics {
				if mt.Resource == nil || mt.Resource.Target.AverageUtilization == nil {
					continue
				}
				for _, c := range d.Spec.Template.Spec.Containers {
					if _, ok := c.Resources.Requests[mt.Resource.Name]; !ok {
						t.Errorf("%s: HPA %s measures %s utilization; container %s requests none", dir, n, mt.Resource.Name, c.Name)
					}
				}
			}
			if d.Name == "postgrest" {
				checkConnectionBudget(t, m, h.Spec.MaxReplicas)
			}
		}
		for n, p := range m.pdbs {
			ws := matching(m, selectorOf(t, dir+": PDB "+n, p.Spec.Selector))
			if len(ws) != 1 {
				t.Errorf("%s: PDB %s selects %v, want one Deployment", dir, n, owners(ws))
				continue
			}
			dn := ws[0].owner[len("Deployment/"):]
			if p.Spec.MinAvailable == nil || p.Spec.MinAvailable.IntValue() >= int(replicas[dn]) {
				t.Errorf("%s: PDB %s minAvailable %v with %d pods of %s: nothing could be evicted", dir, n, p.Spec.MinAvailable, replicas[dn], dn)
			}
		}
		for _, want := range []string{"caddy", "postgrest"} {
			if _, ok := m.pdbs[want]; !ok {
				t.Errorf("%s: no PodDisruptionBudget for %s", dir, want)
			}
		}
	}
}

// checkConnectionBudget: PostgREST's pool (db-pool, default 10: PostgREST's
// configuration reference at v16.2) in every replica the autoscaler may
// run, plus the migration Job's connections, the superuser's reserved ones
// (superuser_reserved_connections, PostgreSQL's default 3) and room for
// the operator and an operator's psql (10) fit max_connections.
func checkConnectionBudget(t *testing.T, m *manifest, maxReplicas int32) {
	t.Helper()
	layout := docSecretLayout(t)
	pool := 10
	if v, ok := envValue(t, container(t, deployment(t, m, "postgrest"), "postgrest"), "PGRST_DB_POOL", layout); ok {
		pool, _ = strconv.Atoi(v)
	}
	cl := theCluster(t, m)
	maxConn, err := strconv.Atoi(cl.Spec.PostgreSQL.Parameters["max_connections"])
	if err != nil {
		t.Errorf("%s: the Cluster sets no numeric max_connections: %v", m.dir, err)
		return
	}
	const migrateJob, reserved, operator = 2, 3, 10
	if need := int(maxReplicas)*pool + migrateJob + reserved + operator; need > maxConn {
		t.Errorf("%s: %d PostgREST replicas x pool %d + %d = %d connections, max_connections is %d",
			m.dir, maxReplicas, pool, migrateJob+reserved+operator, need, maxConn)
	}
}

// PostgREST is probed on its admin server (/ready, /live), Caddy on its
// listener; every container has requests and a memory limit, runs as a
// non-root user without privilege escalation, capabilities or a writable
// root file system, and no pod gets an API token it does not use.
func TestProbesResourcesAndSecurity(t *testing.T) {
	for _, dir := range kustomizations {
		m := build(t, dir)
		pg := deployment(t, m, "postgrest")
		c := container(t, pg, "postgrest")
		for probe, want := range map[*corev1.Probe]string{c.ReadinessProbe: "/ready", c.LivenessProbe: "/live"} {
			if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != want ||
				resolveTarget(pg, probe.HTTPGet.Port) == 0 || probe.HTTPGet.Port.String() != "admin" {
				t.Errorf("%s: postgrest has no %s probe on its admin port", dir, want)
			}
		}
		if cc := container(t, deployment(t, m, "caddy"), "caddy"); cc.ReadinessProbe == nil || cc.LivenessProbe == nil {
			t.Errorf("%s: caddy lacks a readiness or liveness probe", dir)
		}
		for _, w := range workloads(m) {
			ps := &w.spec.Spec
			if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
				t.Errorf("%s: %s mounts a service account token", dir, w.owner)
			}
			for _, c := range allContainers(ps) {
				checkContainerSecurity(t, dir+": "+w.owner+" "+c.Name, ps, c)
			}
		}
	}
}

func checkContainerSecurity(t *testing.T, what string, ps *corev1.PodSpec, c *corev1.Container) {
	t.Helper()
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[r]; !ok {
			t.Errorf("%s: no %s request", what, r)
		}
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Errorf("%s: no memory limit", what)
	}
	sc := c.SecurityContext
	nonRoot := ps.SecurityContext != nil && ps.SecurityContext.RunAsNonRoot != nil && *ps.SecurityContext.RunAsNonRoot
	if sc == nil {
		t.Errorf("%s: no securityContext", what)
		return
	}
	if sc.RunAsNonRoot != nil {
		nonRoot = *sc.RunAsNonRoot
	}
	// the kubelet can check runAsNonRoot only with a numeric user
	if !nonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("%s: not run as a numeric non-root user", what)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: privilege escalation allowed", what)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: writable root file system", what)
	}
	if sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("%s: capabilities not dropped", what)
	} else {
		// the restricted Pod Security Standard allows adding this one only
		for _, a := range sc.Capabilities.Add {
			if a != "NET_BIND_SERVICE" {
				t.Errorf("%s: adds capability %s", what, a)
			}
		}
	}
	if ps.SecurityContext == nil || ps.SecurityContext.SeccompProfile == nil ||
		ps.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: no RuntimeDefault seccomp profile", what)
	}
}

// The Job migrates first, then (demo overlay) seeds, then reloads
// PostgREST's schema cache; a failed pod is kept for its logs.
func TestMigrationJobOrder(t *testing.T) {
	for _, dir := range kustomizations {
		m := build(t, dir)
		j := m.jobs["authstack-migrate"]
		if j == nil {
			t.Fatalf("%s: no Job authstack-migrate", dir)
		}
		ps := &j.Spec.Template.Spec
		if len(ps.InitContainers) == 0 || ps.InitContainers[0].Name != "migrate" {
			t.Fatalf("%s: the first init container is not migrate", dir)
		}
		mig := ps.InitContainers[0]
		if len(mig.Args) < 3 || mig.Args[0] != "migrate" || mig.Args[1] != "up" || mig.Args[2] != "--wait" {
			t.Errorf("%s: migrate runs %q, want migrate up --wait ...", dir, mig.Args)
		}
		for _, ic := range ps.InitContainers[1:] {
			if len(ic.Args) > 0 && ic.Args[0] == "migrate" {
				t.Errorf("%s: init container %s migrates again", dir, ic.Name)
			}
		}
		seeds := dir == "overlays/demo"
		if has := len(ps.InitContainers) == 2 && ps.InitContainers[1].Name == "seed-demo"; has != seeds {
			t.Errorf("%s: init containers %v (the demo seed only in overlays/demo, after migrate)", dir, containerNames(ps.InitContainers))
		}
		if len(ps.Containers) != 1 || ps.Containers[0].Name != "reload-schema" {
			t.Errorf("%s: containers %v, want reload-schema", dir, containerNames(ps.Containers))
		}
		if ps.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s: restartPolicy %s, want Never (failed pods keep their logs)", dir, ps.RestartPolicy)
		}
	}
}

func containerNames(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}
