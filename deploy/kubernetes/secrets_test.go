package kubernetes

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// secretKey is one row of the secret table in docs/kubernetes.md.
type secretKey struct {
	secret, typ, key string
	envVar           string // the .env variable it holds, if any
	literal          string // or its fixed value (username: postgres)
	byOperator       bool   // created by CloudNativePG, not by the user
}

type secretLayout []secretKey

func (l secretLayout) find(secret, key string) (secretKey, bool) {
	for _, k := range l {
		if k.secret == secret && k.key == key {
			return k, true
		}
	}
	return secretKey{}, false
}

func (l secretLayout) byEnvVar(v string) (secretKey, bool) {
	for _, k := range l {
		if k.envVar == v {
			return k, true
		}
	}
	return secretKey{}, false
}

const secretTableHeader = "| Secret | Type | Key | Value | Read by |"

var (
	backticked  = regexp.MustCompile("^`([^`]+)`$")
	envOfDotEnv = regexp.MustCompile("^`([A-Z_][A-Z0-9_]*)` of `\\.env`$")
)

// docSecretLayout parses the secret table of docs/kubernetes.md: the
// layout the manifests may reference, and the user creates.
func docSecretLayout(t *testing.T) secretLayout {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "kubernetes.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == secretTableHeader {
			start = i + 2 // skip the |---| line
		}
	}
	if start < 0 {
		t.Fatalf("docs/kubernetes.md has no table %q", secretTableHeader)
	}
	var out secretLayout
	for _, l := range lines[start:] {
		if !strings.HasPrefix(l, "|") {
			break
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(l), "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) != 5 {
			t.Fatalf("docs/kubernetes.md secret table row %q: %d cells", l, len(cells))
		}
		k := secretKey{secret: unquote(t, cells[0]), key: unquote(t, cells[2]),
			byOperator: strings.Contains(cells[1], "created by CloudNativePG")}
		if !k.byOperator {
			k.typ = unquote(t, cells[1])
		}
		if m := envOfDotEnv.FindStringSubmatch(cells[3]); m != nil {
			k.envVar = m[1]
		} else if m := backticked.FindStringSubmatch(cells[3]); m != nil {
			k.literal = m[1]
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		t.Fatal("docs/kubernetes.md: the secret table is empty")
	}
	return out
}

func unquote(t *testing.T, cell string) string {
	t.Helper()
	m := backticked.FindStringSubmatch(cell)
	if m == nil {
		t.Fatalf("docs/kubernetes.md secret table: %q is not in backticks", cell)
	}
	return m[1]
}

var (
	createSecret = regexp.MustCompile(`kubectl .*create secret generic (\S+)`)
	secretType   = regexp.MustCompile(`--type=(\S+)`)
	fromLiteral  = regexp.MustCompile(`--from-literal=([A-Za-z0-9_.-]+)=`)
)

// docCreateCommands reads the `kubectl create secret generic` commands of
// docs/kubernetes.md (with their continuation lines): secret -> type and
// keys.
func docCreateCommands(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "kubernetes.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		m := createSecret.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		cmd := lines[i]
		for strings.HasSuffix(strings.TrimSpace(lines[i]), `\`) && i+1 < len(lines) {
			i++
			cmd += " " + lines[i]
		}
		typ := "Opaque"
		if tm := secretType.FindStringSubmatch(cmd); tm != nil {
			typ = tm[1]
		}
		keys := []string{"type=" + typ}
		for _, km := range fromLiteral.FindAllStringSubmatch(cmd, -1) {
			keys = append(keys, km[1])
		}
		sort.Strings(keys)
		out[m[1]] = keys
	}
	return out
}

// The documented commands create exactly the secrets and keys of the
// documented layout (those not created by the operator).
func TestDocumentedSecretCommandsMatchTheLayout(t *testing.T) {
	layout := docSecretLayout(t)
	want := map[string][]string{}
	for _, k := range layout {
		if k.byOperator {
			continue
		}
		if len(want[k.secret]) == 0 {
			want[k.secret] = []string{"type=" + k.typ}
		}
		want[k.secret] = append(want[k.secret], k.key)
	}
	for s := range want {
		sort.Strings(want[s])
	}
	got := docCreateCommands(t)
	for s, keys := range want {
		if strings.Join(got[s], " ") != strings.Join(keys, " ") {
			t.Errorf("secret %s: the documented command makes %v, the table lists %v", s, got[s], keys)
		}
	}
	for s := range got {
		if want[s] == nil {
			t.Errorf("docs/kubernetes.md creates secret %s, which the table does not list", s)
		}
	}
}

// Every secret the build reads is in the documented layout, and every
// documented key the user creates is read by something.
func TestSecretReferencesMatchTheLayout(t *testing.T) {
	layout := docSecretLayout(t)
	for _, dir := range kustomizations {
		m := build(t, dir)
		used := map[string]bool{}
		use := func(where, secret, key string) {
			if _, ok := layout.find(secret, key); !ok {
				t.Errorf("%s: %s reads secret %s key %s, not in docs/kubernetes.md's table", dir, where, secret, key)
			}
			used[secret+"/"+key] = true
		}
		for _, w := range workloads(m) {
			p := &w.spec.Spec
			for _, c := range allContainers(p) {
				for _, e := range c.Env {
					if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
						use(w.owner+" "+c.Name+" "+e.Name, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
					}
				}
				if len(c.EnvFrom) > 0 {
					t.Errorf("%s: %s %s uses envFrom: name each variable", dir, w.owner, c.Name)
				}
			}
			for _, v := range p.Volumes {
				if v.Secret == nil {
					continue
				}
				if len(v.Secret.Items) == 0 {
					t.Errorf("%s: %s mounts all of secret %s: list the keys (items)", dir, w.owner, v.Secret.SecretName)
				}
				for _, it := range v.Secret.Items {
					use(w.owner+" volume "+v.Name, v.Secret.SecretName, it.Key)
				}
			}
		}
		for _, c := range m.pgClusters {
			if s := c.Spec.SuperuserSecret; s != nil {
				// the operator reads username and password of a
				// kubernetes.io/basic-auth secret (bootstrap.md)
				for _, key := range []string{"username", "password"} {
					use("Cluster "+c.Metadata.Name, s.Name, key)
				}
				if k, _ := layout.find(s.Name, "username"); k.literal != "postgres" || k.typ != "kubernetes.io/basic-auth" {
					t.Errorf("%s: superuser secret %s must be kubernetes.io/basic-auth with username postgres, the table says %+v", dir, s.Name, k)
				}
			}
			// the operator's CA secret is <cluster>-ca (certificates.md)
			for _, k := range layout {
				if k.byOperator && k.secret != c.Metadata.Name+"-ca" {
					t.Errorf("%s: %s is listed as the operator's, which names its CA secret %s-ca", dir, k.secret, c.Metadata.Name)
				}
			}
		}
		for _, k := range layout {
			if !used[k.secret+"/"+k.key] {
				t.Errorf("%s: documented secret %s key %s is read by nothing", dir, k.secret, k.key)
			}
		}
	}
}
