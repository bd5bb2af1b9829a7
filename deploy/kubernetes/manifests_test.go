package kubernetes

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// kustomizations are the directories users apply with `kubectl apply -k`,
// relative to this package; every test runs on each.
var kustomizations = []string{"base", "overlays/demo"}

// repoRoot is the repository's top directory (this package is
// deploy/kubernetes).
func repoRoot(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// manifest is the output of one `kustomize build`, decoded.
type manifest struct {
	dir       string
	namespace string // of every namespaced object ("" in the base)
	raw       []rawObject

	deployments  map[string]*appsv1.Deployment
	services     map[string]*corev1.Service
	jobs         map[string]*batchv1.Job
	hpas         map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs         map[string]*policyv1.PodDisruptionBudget
	netpols      map[string]*networkingv1.NetworkPolicy
	configMaps   map[string]*corev1.ConfigMap
	pgClusters   map[string]*cnpgCluster
	kindsInOrder []string
}

// rawObject is one object of the build, as YAML.
type rawObject struct {
	apiVersion, kind, name, namespace string
	yaml                              []byte
}

func (o rawObject) String() string { return o.kind + "/" + o.name }

var (
	buildMu    sync.Mutex
	buildCache = map[string]*manifest{}
	buildErrs  = map[string]error{}
)

// build runs kustomize on dir once per test binary (with kustomize's
// default options, those of `kubectl apply -k`: files only from within each
// kustomization's directory) and decodes every object strictly.
func build(t *testing.T, dir string) *manifest {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if m, ok := buildCache[dir]; ok || buildErrs[dir] != nil {
		if m == nil {
			t.Fatalf("%s: %v", dir, buildErrs[dir])
		}
		return m
	}
	m, err := buildAndDecode(dir)
	buildCache[dir], buildErrs[dir] = m, err
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return m
}

func kustomizeBuild(dir string) ([]rawObject, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build: %w", err)
	}
	var out []rawObject
	for _, r := range rm.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		out = append(out, rawObject{r.GetApiVersion(), r.GetKind(), r.GetName(), r.GetNamespace(), y})
	}
	return out, nil
}

func buildAndDecode(dir string) (*manifest, error) {
	raw, err := kustomizeBuild(dir)
	if err != nil {
		return nil, err
	}
	m := &manifest{dir: dir, raw: raw,
		deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		jobs: map[string]*batchv1.Job{}, hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, netpols: map[string]*networkingv1.NetworkPolicy{},
		configMaps: map[string]*corev1.ConfigMap{}, pgClusters: map[string]*cnpgCluster{},
	}
	var errs []string
	for i, o := range raw {
		if i == 0 {
			m.namespace = o.namespace
		} else if o.namespace != m.namespace {
			errs = append(errs, fmt.Sprintf("%s is in namespace %q, %s in %q", o, o.namespace, raw[0], m.namespace))
		}
		m.kindsInOrder = append(m.kindsInOrder, o.kind)
		if err := m.add(o); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", o, err))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return m, nil
}

// add decodes o into its typed form: core kinds strictly into the
// Kubernetes API types, CloudNativePG's Cluster into cnpgCluster.
func (m *manifest) add(o rawObject) error {
	if o.apiVersion == cnpgAPIVersion {
		if o.kind != "Cluster" {
			return fmt.Errorf("no check is written for CloudNativePG kind %s", o.kind)
		}
		c, err := decodeCNPGCluster(o.yaml)
		if err != nil {
			return err
		}
		m.pgClusters[o.name] = c
		return nil
	}
	obj, err := decodeStrict(o.yaml)
	if err != nil {
		return err
	}
	switch v := obj.(type) {
	case *appsv1.Deployment:
		m.deployments[o.name] = v
	case *corev1.Service:
		m.services[o.name] = v
	case *batchv1.Job:
		m.jobs[o.name] = v
	case *autoscalingv2.HorizontalPodAutoscaler:
		m.hpas[o.name] = v
	case *policyv1.PodDisruptionBudget:
		m.pdbs[o.name] = v
	case *networkingv1.NetworkPolicy:
		m.netpols[o.name] = v
	case *corev1.ConfigMap:
		m.configMaps[o.name] = v
	default:
		return fmt.Errorf("kind %T has no wiring checks: add them before shipping it", obj)
	}
	return nil
}

var (
	schemeOnce sync.Once
	strictSer  *json.Serializer
)

// decodeStrict decodes YAML into the registered API type of its
// apiVersion/kind, failing on unknown and duplicate fields (apimachinery's
// strict mode, as `kubectl apply --validate=strict` asks of the server).
func decodeStrict(y []byte) (runtime.Object, error) {
	schemeOnce.Do(func() {
		s := runtime.NewScheme()
		for _, add := range []func(*runtime.Scheme) error{
			corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, autoscalingv2.AddToScheme,
			policyv1.AddToScheme, networkingv1.AddToScheme,
		} {
			if err := add(s); err != nil {
				panic(err)
			}
		}
		strictSer = json.NewSerializerWithOptions(json.DefaultMetaFactory, s, s,
			json.SerializerOptions{Yaml: true, Strict: true})
	})
	obj, _, err := strictSer.Decode(y, nil, nil)
	if err != nil {
		return nil, err
	}
	return obj, nil
}

func TestKustomizeBuild(t *testing.T) {
	want := map[string]int{
		"Cluster": 1, "Job": 1, "Deployment": 2, "Service": 2, "HorizontalPodAutoscaler": 1,
		"PodDisruptionBudget": 2, "NetworkPolicy": 3, "ConfigMap": 1,
	}
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) {
			m := build(t, dir)
			got := map[string]int{}
			for _, k := range m.kindsInOrder {
				got[k]++
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("objects by kind = %v, want %v", got, want)
			}
			// secrets are created by the operator of the cluster, never
			// inlined (docs/kubernetes.md)
			if got["Secret"] > 0 {
				t.Errorf("the build has %d Secret objects", got["Secret"])
			}
		})
	}
	if m := build(t, "overlays/demo"); m.namespace != "authstack-demo" {
		t.Errorf("overlays/demo puts objects in namespace %q", m.namespace)
	}
}

// Every directory holding a kustomization is listed above, so none goes
// untested.
func TestEveryKustomizationIsTested(t *testing.T) {
	var found []string
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "kustomization.yaml" {
			found = append(found, filepath.ToSlash(filepath.Dir(p)))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string(nil), kustomizations...)
	sort.Strings(found)
	sort.Strings(want)
	if strings.Join(found, " ") != strings.Join(want, " ") {
		t.Errorf("kustomizations on disk %v, tested %v", found, want)
	}
}

// Strict decoding is what makes the decode checks worth anything: a
// misspelled or duplicated field in a built object must be an error.
func TestStrictDecodingRejectsUnknownAndDuplicateFields(t *testing.T) {
	m := build(t, "base")
	var dep []byte
	for _, o := range m.raw {
		if o.kind == "Deployment" {
			dep = o.yaml
			break
		}
	}
	if _, err := decodeStrict(dep); err != nil {
		t.Fatalf("the built Deployment: %v", err)
	}
	for name, y := range map[string]string{
		"unknown top-level field": strings.Replace(string(dep), "\nspec:\n", "\nspec:\n  replica: 3\n", 1),
		"unknown container field": strings.Replace(string(dep), "\n        image: ", "\n        imagePullPolice: Always\n        image: ", 1),
		"duplicate field":         strings.Replace(string(dep), "\nkind: Deployment\n", "\nkind: Deployment\nkind: Deployment\n", 1),
	} {
		if y == string(dep) {
			t.Fatalf("%s: the edit did not apply", name)
		}
		if _, err := decodeStrict([]byte(y)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

// The Caddy ConfigMap is generated from the repository's caddy/ files
// themselves (one Caddyfile for the native stack, compose and Kubernetes).
func TestCaddyfileConfigMapIsTheRepositoryFile(t *testing.T) {
	for _, dir := range kustomizations {
		m := build(t, dir)
		cm := caddyConfigMap(t, m)
		for _, f := range []string{"Caddyfile", "debug-off.caddy", "debug-on.caddy"} {
			want, err := os.ReadFile(filepath.Join(repoRoot(t), "caddy", f))
			if err != nil {
				t.Fatal(err)
			}
			if cm.Data[f] != string(want) {
				t.Errorf("%s: ConfigMap %s key %s differs from caddy/%s", dir, cm.Name, f, f)
			}
		}
		if !strings.HasPrefix(cm.Name, "caddyfile-") {
			t.Errorf("%s: ConfigMap %s has no content hash suffix: a Caddyfile change would not roll Caddy", dir, cm.Name)
		}
	}
}
