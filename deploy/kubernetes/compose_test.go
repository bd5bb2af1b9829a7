package kubernetes

import (
	"context"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
)

// loadCompose reads compose.yaml with compose-go. Each secret of .env is
// given the value "$(NAME)", Kubernetes' own reference syntax, so a compose
// value and the same variable of a container compare as text; nothing else
// of the environment is read (every other variable takes compose.yaml's
// default).
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	root := repoRoot(t)
	var env []string
	for _, v := range []string{"JWT_SECRET", "AUTHENTICATOR_PASSWORD", "POSTGRES_PASSWORD"} {
		env = append(env, v+"=$("+v+")")
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "compose.yaml")},
		cli.WithWorkingDirectory(root), cli.WithEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return p
}

// composeTwins pairs compose services with the containers that do their
// job on Kubernetes.
var composeTwins = []struct{ service, owner, name, container string }{
	{"migrate", "Job", "authstack-migrate", "migrate"},
	{"postgrest", "Deployment", "postgrest", "postgrest"},
	{"caddy", "Deployment", "caddy", "caddy"},
}

func twinPod(t *testing.T, m *manifest, owner, name string) *corev1.PodSpec {
	if owner == "Job" {
		return job(t, m, name)
	}
	return deployment(t, m, name)
}

// The containers get compose.yaml's variables, with compose's values,
// except: database URLs point at the operator's primary Service with TLS
// (checked in TestDatabaseConnections) and SITE_ADDRESS, whose port is the
// container's (Caddy runs as a non-root user here). A variable compose does
// not set is allowed only as a helper that another variable expands.
func TestEnvironmentMatchesCompose(t *testing.T) {
	p := loadCompose(t)
	layout := docSecretLayout(t)
	for _, dir := range kustomizations {
		m := build(t, dir)
		for _, tw := range composeTwins {
			svc, ok := p.Services[tw.service]
			if !ok {
				t.Fatalf("compose.yaml has no service %s", tw.service)
			}
			pod := twinPod(t, m, tw.owner, tw.name)
			c := container(t, pod, tw.container)
			if c.Image != svc.Image {
				t.Errorf("%s: %s image %s, compose's %s runs %s (an overlay may set your registry's)", dir, tw.name, c.Image, tw.service, svc.Image)
			}
			for _, k := range sortedKeys(svc.Environment) {
				want := ""
				if v := svc.Environment[k]; v != nil {
					want = *v
				}
				got, ok := envValue(t, c, k, layout)
				switch {
				case !ok:
					t.Errorf("%s: %s/%s does not set %s (compose's %s has %q)", dir, tw.name, c.Name, k, tw.service, want)
				case isPostgresURL(want):
					compareDatabaseURL(t, dir+": "+tw.name+" "+k, want, got)
				case k == "SITE_ADDRESS":
					port := containerPort(pod, "http")
					if got != ":"+strconv.Itoa(int(port)) {
						t.Errorf("%s: SITE_ADDRESS %q, the container's http port is %d", dir, got, port)
					}
				case got != want:
					t.Errorf("%s: %s %s = %q, compose's %s has %q", dir, tw.name, k, got, tw.service, want)
				}
			}
			for _, k := range envNames(c) {
				if _, inCompose := svc.Environment[k]; !inCompose && !referencedInEnv(c, k) {
					t.Errorf("%s: %s sets %s, which compose's %s does not", dir, tw.name, k, tw.service)
				}
			}
		}
	}
}

func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// compareDatabaseURL: the same user, password, port and database as
// compose; the host differs (compose's `postgres` service, the operator's
// primary Service here: TestDatabaseConnections checks it).
func compareDatabaseURL(t *testing.T, what, composeURL, k8sURL string) {
	t.Helper()
	cu, err1 := url.Parse(composeURL)
	ku, err2 := url.Parse(k8sURL)
	if err1 != nil || err2 != nil {
		t.Errorf("%s: unparsable URL (compose: %v, here: %v)", what, err1, err2)
		return
	}
	cp, _ := cu.User.Password()
	kp, _ := ku.User.Password()
	if cu.User.Username() != ku.User.Username() || cp != kp || cu.Port() != ku.Port() || cu.Path != ku.Path {
		t.Errorf("%s: %s@:%s%s (password %s), compose has %s@:%s%s (password %s)", what,
			ku.User.Username(), ku.Port(), ku.Path, kp, cu.User.Username(), cu.Port(), cu.Path, cp)
	}
	if cu.Hostname() != "postgres" {
		t.Errorf("%s: compose's host is %s, the tests expect its postgres service", what, cu.Hostname())
	}
}

// dbTarget is where a container connects and how.
type dbTarget struct {
	host, port, db, user, password, sslmode, rootcert string
}

// TestDatabaseConnections: every container that talks to PostgreSQL (by
// URL or libpq's PG* variables) reaches the operator's primary Service
// (<cluster>-rw) on 5432, the bootstrap database, with verify-full TLS
// against the operator's CA, mounted from <cluster>-ca.
func TestDatabaseConnections(t *testing.T) {
	layout := docSecretLayout(t)
	for _, dir := range kustomizations {
		m := build(t, dir)
		cl := theCluster(t, m)
		db := cl.Spec.Bootstrap.InitDB.Database
		n := 0
		for _, w := range workloads(m) {
			for _, c := range allContainers(&w.spec.Spec) {
				tg, ok := databaseTarget(t, c, layout)
				if !ok {
					continue
				}
				n++
				what := dir + ": " + w.owner + " " + c.Name
				if tg.host != cl.Metadata.Name+"-rw" || tg.port != "5432" || tg.db != db {
					t.Errorf("%s connects to %s:%s/%s, want %s-rw:5432/%s", what, tg.host, tg.port, tg.db, cl.Metadata.Name, db)
				}
				if tg.sslmode != "verify-full" {
					t.Errorf("%s: sslmode %q, want verify-full", what, tg.sslmode)
				}
				checkCAMount(t, what, &w.spec.Spec, c, tg.rootcert, cl.Metadata.Name+"-ca")
				if tg.password == "" {
					t.Errorf("%s: no password", what)
				}
				// the superuser's password goes with the superuser
				if tg.user == "postgres" && tg.password != "$(POSTGRES_PASSWORD)" ||
					tg.user == "authenticator" && tg.password != "$(AUTHENTICATOR_PASSWORD)" {
					t.Errorf("%s: user %s with password %s", what, tg.user, tg.password)
				}
				// psql of the Cluster's own image: a client of its version
				if c.Name == "reload-schema" && c.Image != cl.Spec.ImageName {
					t.Errorf("%s: image %s, the Cluster runs %s", what, c.Image, cl.Spec.ImageName)
				}
			}
		}
		// migrate, reload-schema, postgrest (and seed-demo in the overlay)
		if n < 3 {
			t.Errorf("%s: only %d containers connect to PostgreSQL", dir, n)
		}
	}
}

func databaseTarget(t *testing.T, c *corev1.Container, layout secretLayout) (dbTarget, bool) {
	t.Helper()
	get := func(k string) string { v, _ := envValue(t, c, k, layout); return v }
	for _, k := range []string{"DATABASE_URL", "PGRST_DB_URI"} {
		s, ok := envValue(t, c, k, layout)
		if !ok {
			continue
		}
		u, err := url.Parse(s)
		if err != nil {
			t.Errorf("container %s: %s: %v", c.Name, k, err)
			return dbTarget{}, false
		}
		pw, _ := u.User.Password()
		q := u.Query()
		return dbTarget{u.Hostname(), u.Port(), strings.TrimPrefix(u.Path, "/"), u.User.Username(), pw,
			q.Get("sslmode"), q.Get("sslrootcert")}, true
	}
	if _, ok := envValue(t, c, "PGHOST", layout); ok {
		return dbTarget{get("PGHOST"), get("PGPORT"), get("PGDATABASE"), get("PGUSER"), get("PGPASSWORD"),
			get("PGSSLMODE"), get("PGSSLROOTCERT")}, true
	}
	return dbTarget{}, false
}

// checkCAMount: file is ca.crt of the secret, mounted read-only.
func checkCAMount(t *testing.T, what string, p *corev1.PodSpec, c *corev1.Container, file, secret string) {
	t.Helper()
	for _, vm := range c.VolumeMounts {
		if path.Dir(file) != path.Clean(vm.MountPath) {
			continue
		}
		for _, v := range p.Volumes {
			if v.Name != vm.Name || v.Secret == nil || v.Secret.SecretName != secret {
				continue
			}
			for _, it := range v.Secret.Items {
				if it.Key == "ca.crt" && it.Path == path.Base(file) {
					if !vm.ReadOnly {
						t.Errorf("%s: %s is mounted writable", what, vm.MountPath)
					}
					return
				}
			}
		}
	}
	t.Errorf("%s: sslrootcert %q is not ca.crt of secret %s mounted in the container", what, file, secret)
}

// The Cluster runs compose's PostgreSQL major version, and the database
// the migrations and PostgREST use is compose's POSTGRES_DB.
func TestPostgresMatchesCompose(t *testing.T) {
	p := loadCompose(t)
	pg, ok := p.Services["postgres"]
	if !ok {
		t.Fatal("compose.yaml has no postgres service")
	}
	composeMajor, err := pgMajor(pg.Image)
	if err != nil {
		t.Fatalf("compose postgres: %v", err)
	}
	for _, dir := range kustomizations {
		cl := theCluster(t, build(t, dir))
		major, err := pgMajor(cl.Spec.ImageName)
		if err != nil || major != composeMajor {
			t.Errorf("%s: the Cluster runs PostgreSQL %d (%v), compose %d", dir, major, err, composeMajor)
		}
		if v := pg.Environment["POSTGRES_DB"]; v == nil || *v != cl.Spec.Bootstrap.InitDB.Database {
			t.Errorf("%s: bootstrap database %s, compose's POSTGRES_DB %v", dir, cl.Spec.Bootstrap.InitDB.Database, v)
		}
	}
}
