package kubernetes

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// netPod is a pod as NetworkPolicies see it: labels, its namespace's
// labels, its named ports. role is what the test expects of it, kept apart
// from the labels the policies select on.
type netPod struct {
	name, role, ns string
	labels         map[string]string
	ports          map[string]int32
}

func (p netPod) nsLabels() labels.Set {
	return labels.Set{"kubernetes.io/metadata.name": p.ns}
}

// netPods models the pods of a namespace running the build, the pods
// CloudNativePG creates for the Cluster (labels from its
// labels_annotations.md and pkg/specs at v1.30.0; ports from security.md,
// "Exposed Ports"), its operator, and strangers.
func netPods(t *testing.T, m *manifest) []netPod {
	ns := m.namespace
	if ns == "" {
		ns = "authstack" // kubectl apply -k ... -n authstack
	}
	roles := map[string]string{"Deployment/caddy": "caddy", "Deployment/postgrest": "postgrest",
		"Job/authstack-migrate": "migrate"}
	var out []netPod
	for _, w := range workloads(m) {
		ports := map[string]int32{}
		for _, c := range allContainers(&w.spec.Spec) {
			for _, p := range c.Ports {
				ports[p.Name] = p.ContainerPort
			}
		}
		if roles[w.owner] == "" {
			t.Fatalf("%s: %s has no expected network role: add it here", m.dir, w.owner)
		}
		out = append(out, netPod{w.owner, roles[w.owner], ns, w.spec.Labels, ports})
	}
	cl := theCluster(t, m).Metadata.Name
	return append(out,
		netPod{"instance " + cl + "-1", "db", ns, map[string]string{
			"cnpg.io/cluster": cl, "cnpg.io/instanceName": cl + "-1", "cnpg.io/podRole": "instance",
			"cnpg.io/instanceRole": "primary", "app.kubernetes.io/name": "postgresql",
			"app.kubernetes.io/instance": cl, "app.kubernetes.io/managed-by": "cloudnative-pg",
		}, map[string]int32{"postgresql": 5432, "status": 8000, "metrics": 9187}},
		netPod{"join job " + cl + "-2", "db", ns, map[string]string{
			"cnpg.io/cluster": cl, "cnpg.io/instanceName": cl + "-2", "cnpg.io/jobRole": "join",
			"app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": cl,
		}, nil},
		netPod{"operator", "operator", "cnpg-system", map[string]string{"app.kubernetes.io/name": "cloudnative-pg"}, nil},
		netPod{"another pod of the namespace", "stranger", ns, map[string]string{"app.kubernetes.io/name": "debug"}, nil},
		netPod{"ingress controller", "stranger", "ingress-nginx", map[string]string{"app.kubernetes.io/name": "ingress-nginx"}, nil},
	)
}

// intended is the access docs/kubernetes.md promises.
func intended(src, dst netPod, port int32) bool {
	switch dst.role {
	case "caddy":
		return port == 8000
	case "postgrest":
		return src.role == "caddy" && (port == 3000 || port == 3001)
	case "db":
		switch src.role {
		case "postgrest", "migrate":
			return port == 5432
		case "db", "operator":
			return port == 5432 || port == 8000
		}
		return false
	}
	return true // not isolated: pods that listen on nothing
}

// allowed evaluates Kubernetes' NetworkPolicy ingress semantics: a pod no
// policy selects accepts everything; a selected one only what some rule
// of a selecting policy allows (peers by pod and namespace selector, ports
// by number or by the destination's port name).
func allowed(t *testing.T, pols []*networkingv1.NetworkPolicy, polNS string, src, dst netPod, port int32) bool {
	isolated := false
	for _, p := range pols {
		if dst.ns != polNS || !hasIngress(p) || !selects(t, &p.Spec.PodSelector, dst.labels) {
			continue
		}
		isolated = true
		for _, r := range p.Spec.Ingress {
			if peersMatch(t, r.From, polNS, src) && portsMatch(r.Ports, dst, port) {
				return true
			}
		}
	}
	return !isolated
}

func hasIngress(p *networkingv1.NetworkPolicy) bool {
	if len(p.Spec.PolicyTypes) == 0 {
		return true
	}
	for _, pt := range p.Spec.PolicyTypes {
		if pt == networkingv1.PolicyTypeIngress {
			return true
		}
	}
	return false
}

func selects(t *testing.T, ls *metav1.LabelSelector, set map[string]string) bool {
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		t.Fatal(err)
	}
	return sel.Matches(labels.Set(set))
}

func peersMatch(t *testing.T, peers []networkingv1.NetworkPolicyPeer, polNS string, src netPod) bool {
	if len(peers) == 0 {
		return true
	}
	for _, peer := range peers {
		if peer.IPBlock != nil {
			t.Errorf("ipBlock peers are not modelled: add them to the test")
			continue
		}
		if peer.NamespaceSelector == nil && src.ns != polNS {
			continue
		}
		if peer.NamespaceSelector != nil && !selects(t, peer.NamespaceSelector, src.nsLabels()) {
			continue
		}
		if peer.PodSelector == nil || selects(t, peer.PodSelector, src.labels) {
			return true
		}
	}
	return false
}

func portsMatch(ports []networkingv1.NetworkPolicyPort, dst netPod, port int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP {
			continue
		}
		if p.Port == nil {
			return true
		}
		n := p.Port.IntVal
		if p.Port.StrVal != "" {
			n = dst.ports[p.Port.StrVal] // an unknown name matches nothing
		}
		if n != 0 && n == port {
			return true
		}
	}
	return false
}

// Only Caddy reaches PostgREST, only PostgREST and the migration Job (and
// the Cluster's own pods and its operator) reach PostgreSQL, anyone
// reaches Caddy's listener and nothing else of it.
func TestNetworkPoliciesAllowOnlyTheIntendedPaths(t *testing.T) {
	for _, dir := range kustomizations {
		m := build(t, dir)
		pods := netPods(t, m)
		polNS := pods[0].ns
		var pols []*networkingv1.NetworkPolicy
		for _, n := range sortedKeys(m.netpols) {
			pols = append(pols, m.netpols[n])
		}
		for _, dst := range pods {
			probe := []int32{2019} // Caddy's admin API (localhost in the pod)
			for _, p := range dst.ports {
				probe = append(probe, p)
			}
			for _, src := range pods {
				if src.name == dst.name {
					continue
				}
				for _, port := range probe {
					got, want := allowed(t, pols, polNS, src, dst, port), intended(src, dst, port)
					if got != want {
						t.Errorf("%s: %s -> %s :%d allowed=%v, want %v", dir, src.name, dst.name, port, got, want)
					}
				}
			}
		}
		// no policy or peer selector is dead (a typo in a label would
		// otherwise pass as "denies")
		for _, p := range pols {
			if !selectsAny(t, &p.Spec.PodSelector, pods) {
				t.Errorf("%s: NetworkPolicy %s selects no pod", dir, p.Name)
			}
			for _, r := range p.Spec.Ingress {
				for _, peer := range r.From {
					if peer.PodSelector != nil && !selectsAny(t, peer.PodSelector, pods) {
						t.Errorf("%s: NetworkPolicy %s: peer %s matches no pod", dir, p.Name, fmt.Sprint(peer.PodSelector.MatchLabels))
					}
				}
			}
		}
	}
}

func selectsAny(t *testing.T, ls *metav1.LabelSelector, pods []netPod) bool {
	for _, p := range pods {
		if selects(t, ls, p.labels) {
			return true
		}
	}
	return false
}

// The evaluator itself: dropping the policy in front of PostgREST must
// open it to everyone, so the test above can fail.
func TestNetworkPolicyEvaluatorSeesAMissingPolicy(t *testing.T) {
	m := build(t, "base")
	pods := netPods(t, m)
	var caddy, pgrst, stranger netPod
	for _, p := range pods {
		switch p.role {
		case "caddy":
			caddy = p
		case "postgrest":
			pgrst = p
		case "stranger":
			stranger = p
		}
	}
	var all, without []*networkingv1.NetworkPolicy
	for _, n := range sortedKeys(m.netpols) {
		all = append(all, m.netpols[n])
		if !selects(t, &m.netpols[n].Spec.PodSelector, pgrst.labels) {
			without = append(without, m.netpols[n])
		}
	}
	if len(without) == len(all) {
		t.Fatal("no policy selects PostgREST")
	}
	if allowed(t, all, pgrst.ns, stranger, pgrst, 3000) || !allowed(t, all, pgrst.ns, caddy, pgrst, 3000) {
		t.Error("with every policy: a stranger reaches PostgREST, or Caddy does not")
	}
	if !allowed(t, without, pgrst.ns, stranger, pgrst, 3000) {
		t.Error("without PostgREST's policy a stranger still does not reach it")
	}
}
