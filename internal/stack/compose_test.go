package stack

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"golang.org/x/mod/modfile"

	"github.com/authstack/authstack/internal/pgserver"
)

const testSecret = "dGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQ=" // 35 bytes, test only

func repoRoot(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// envFromExample writes .env.example with its empty secrets filled to a
// temp file, returning the file and the values used.
func envFromExample(t *testing.T, override map[string]string) (string, map[string]string) {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), ".env.example"))
	if err != nil {
		t.Fatalf(".env.example: %v", err)
	}
	defer f.Close()
	fill := map[string]string{
		"JWT_SECRET":             testSecret,
		"POSTGRES_PASSWORD":      "pg-test-password",
		"AUTHENTICATOR_PASSWORD": "authenticator-test-password",
	}
	for k, v := range override {
		fill[k] = v
	}
	var out strings.Builder
	vals := map[string]string{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(k), "export "))
		if ok && !strings.HasPrefix(strings.TrimSpace(line), "#") {
			if nv, has := fill[k]; has {
				v = nv
				line = k + "=" + nv
			}
			seen[k] = true
			vals[k] = strings.Trim(strings.TrimSpace(v), `"'`)
		}
		out.WriteString(line + "\n")
	}
	for k, v := range fill {
		if !seen[k] {
			t.Errorf(".env.example does not list %s", k)
			out.WriteString(k + "=" + v + "\n")
			vals[k] = v
		}
	}
	p := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(p, []byte(out.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, vals
}

func loadCompose(t *testing.T, envFile string) (*types.Project, error) {
	t.Helper()
	root := repoRoot(t)
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "compose.yaml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnvFiles(envFile),
		cli.WithDotEnv,
	)
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

func svcEnv(t *testing.T, p *types.Project, svc, key string) string {
	t.Helper()
	s, ok := p.Services[svc]
	if !ok {
		t.Fatalf("compose.yaml has no service %q", svc)
	}
	v, ok := s.Environment[key]
	if !ok || v == nil {
		t.Fatalf("service %s: environment %s is not set", svc, key)
	}
	return *v
}

func TestComposeWiring(t *testing.T) {
	envFile, vals := envFromExample(t, nil)
	p, err := loadCompose(t, envFile)
	if err != nil {
		t.Fatalf("load compose.yaml: %v", err)
	}
	for _, name := range []string{"postgres", "migrate", "postgrest", "caddy"} {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("service %s missing", name)
		}
	}
	db := vals["POSTGRES_DB"]
	if db == "" {
		db = DefaultDBName
	}

	t.Run("one secret and the database passwords", func(t *testing.T) { composeSecrets(t, p, db) })
	t.Run("PostgREST settings as the native stack's", func(t *testing.T) { composePostgrestSettings(t, p, vals, db) })
	t.Run("published ports", func(t *testing.T) { composePorts(t, p, vals) })
	t.Run("healthchecks and start order", func(t *testing.T) { composeHealthAndOrder(t, p) })
	t.Run("named volume for the data", func(t *testing.T) { composeVolume(t, p) })
}

func composeSecrets(t *testing.T, p *types.Project, db string) {
	// the same secret reaches Caddy, PostgREST and the migration
	for _, c := range []struct{ svc, key string }{
		{"caddy", "JWT_SECRET"}, {"postgrest", "PGRST_JWT_SECRET"}, {"migrate", "JWT_SECRET"},
	} {
		if got := svcEnv(t, p, c.svc, c.key); got != testSecret {
			t.Errorf("%s %s = %q, want the .env JWT_SECRET", c.svc, c.key, got)
		}
	}
	if got := svcEnv(t, p, "postgrest", "PGRST_JWT_SECRET_IS_BASE64"); got != "true" {
		t.Errorf("PGRST_JWT_SECRET_IS_BASE64 = %q", got)
	}
	if got, want := svcEnv(t, p, "postgrest", "PGRST_DB_URI"), "postgres://authenticator:authenticator-test-password@postgres:5432/"+db; got != want {
		t.Errorf("PGRST_DB_URI = %q, want %q", got, want)
	}
	if got := svcEnv(t, p, "migrate", "DATABASE_URL"); !strings.Contains(got, "postgres:pg-test-password@postgres:5432/"+db) {
		t.Errorf("migrate DATABASE_URL = %q: not the superuser on the postgres service", got)
	}
	if got := svcEnv(t, p, "postgres", "POSTGRES_PASSWORD"); got != "pg-test-password" {
		t.Errorf("postgres POSTGRES_PASSWORD = %q", got)
	}
	if got := svcEnv(t, p, "migrate", "AUTHENTICATOR_PASSWORD"); got != "authenticator-test-password" {
		t.Errorf("migrate AUTHENTICATOR_PASSWORD = %q", got)
	}
}

func composePostgrestSettings(t *testing.T, p *types.Project, vals map[string]string, db string) {
	// the guide's PostgREST settings, the same the native stack passes to its engine
	native := (&Config{PGPort: 1, APIPort: 2, AdminPort: 3, DBName: db, JWTSecret: testSecret, AuthenticatorPassword: "x"}).PostgrestEnv()
	for _, k := range []string{"PGRST_DB_SCHEMAS", "PGRST_DB_ANON_ROLE", "PGRST_JWT_SECRET_IS_BASE64", "PGRST_DB_MAX_ROWS", "PGRST_DB_PRE_REQUEST"} {
		if got := svcEnv(t, p, "postgrest", k); got != native[k] {
			t.Errorf("postgrest %s = %q, native stack uses %q", k, got, native[k])
		}
	}
	for k := range p.Services["postgrest"].Environment {
		if strings.HasPrefix(k, "PGRST_APP_SETTINGS_") {
			if _, ok := native[k]; !ok && vals[strings.TrimPrefix(k, "PGRST_APP_SETTINGS_")] == "" {
				t.Errorf("compose sets %s but the native stack does not", k)
			}
		}
	}
	for k := range native {
		if strings.HasPrefix(k, "PGRST_APP_SETTINGS_") {
			if _, ok := p.Services["postgrest"].Environment[k]; !ok {
				t.Errorf("the native stack sets %s but compose.yaml does not", k)
			}
		}
	}
	// token and cookie settings from .env reach the SQL the same way in both stacks
	for from, to := range appSettings {
		want := vals[from]
		if want == "" {
			t.Errorf(".env.example has no value for %s", from)
			continue
		}
		if got := svcEnv(t, p, "postgrest", to); got != want {
			t.Errorf("compose postgrest %s = %q, want %s from .env (%q)", to, got, from, want)
		}
		t.Setenv(from, want)
		if got := (&Config{}).PostgrestEnv()[to]; got != want {
			t.Errorf("native %s = %q, want %s from .env (%q)", to, got, from, want)
		}
	}
	// sign-up is configured by the migrate service's `migrate up`, from .env
	for _, k := range []string{"SIGNUP_ENABLED", "SIGNUP_ROLE"} {
		if got := svcEnv(t, p, "migrate", k); got != vals[k] || got == "" {
			t.Errorf("migrate %s = %q, want %q from .env.example", k, got, vals[k])
		}
	}
	if got := svcEnv(t, p, "postgrest", "PGRST_DB_SCHEMAS"); got != "public,auth" {
		t.Errorf("PGRST_DB_SCHEMAS = %q, want the guide's public,auth", got)
	}
}

func composePorts(t *testing.T, p *types.Project, vals map[string]string) {
	// ports: the guide's http://localhost:8000 on loopback; PostgreSQL on loopback only
	caddyPorts := p.Services["caddy"].Ports
	wantHTTP := strconv.Itoa(DefaultHTTPPort)
	if v := vals["STACK_HTTP_PORT"]; v != "" {
		wantHTTP = v
	}
	if wantHTTP != "8000" {
		t.Errorf(".env.example sets STACK_HTTP_PORT=%s; the guide's URL is http://localhost:8000", wantHTTP)
	}
	if len(caddyPorts) != 1 || caddyPorts[0].Published != wantHTTP || caddyPorts[0].Target != 80 || caddyPorts[0].HostIP != "127.0.0.1" {
		t.Errorf("caddy ports = %+v, want 127.0.0.1:%s:80", caddyPorts, wantHTTP)
	}
	if got := svcEnv(t, p, "caddy", "SITE_ADDRESS"); got != ":80" {
		t.Errorf("caddy SITE_ADDRESS = %q, want :80 (the published port's target)", got)
	}
	// Caddy finds the engines by the service's name (compose_scale_test.go)
	if got := svcEnv(t, p, "caddy", "POSTGREST_DNS_NAME"); got != "postgrest" {
		t.Errorf("caddy POSTGREST_DNS_NAME = %q, want the postgrest service", got)
	}
	if got, want := svcEnv(t, p, "caddy", "POSTGREST_PORT"), svcEnv(t, p, "postgrest", "PGRST_SERVER_PORT"); got != want {
		t.Errorf("caddy POSTGREST_PORT = %q, want PGRST_SERVER_PORT %q", got, want)
	}
	if got, want := svcEnv(t, p, "caddy", "POSTGREST_ADMIN_PORT"), svcEnv(t, p, "postgrest", "PGRST_ADMIN_SERVER_PORT"); got != want {
		t.Errorf("caddy POSTGREST_ADMIN_PORT = %q, want PGRST_ADMIN_SERVER_PORT %q", got, want)
	}
	pgPorts := p.Services["postgres"].Ports
	wantPG := strconv.Itoa(DefaultPGPort)
	if v := vals["STACK_PG_PORT"]; v != "" {
		wantPG = v
	}
	if len(pgPorts) != 1 || pgPorts[0].Target != 5432 || pgPorts[0].HostIP != "127.0.0.1" || pgPorts[0].Published != wantPG {
		t.Errorf("postgres ports = %+v, want 127.0.0.1:%s:5432", pgPorts, wantPG)
	}
	for _, name := range []string{"postgrest", "migrate"} {
		if len(p.Services[name].Ports) != 0 {
			t.Errorf("%s publishes ports %+v; only caddy and postgres should", name, p.Services[name].Ports)
		}
	}
}

func composeHealthAndOrder(t *testing.T, p *types.Project) {
	// healthchecks and start order
	for _, name := range []string{"postgres", "postgrest", "caddy"} {
		hc := p.Services[name].HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) < 2 {
			t.Errorf("%s has no healthcheck", name)
		}
	}
	if hc := p.Services["caddy"].HealthCheck; hc != nil && !strings.Contains(strings.Join(hc.Test, " "), "/healthz") {
		t.Errorf("caddy healthcheck %v does not ask /healthz", hc.Test)
	}
	if hc := p.Services["postgrest"].HealthCheck; hc != nil && strings.Contains(strings.Join(hc.Test, " "), "--ready") {
		// PostgREST's --ready client needs an admin port and refuses special hosts (*, *4, !4, *6, !6)
		if svcEnv(t, p, "postgrest", "PGRST_ADMIN_SERVER_PORT") == "" {
			t.Errorf("postgrest --ready needs PGRST_ADMIN_SERVER_PORT")
		}
		host := p.Services["postgrest"].Environment["PGRST_ADMIN_SERVER_HOST"]
		if host == nil {
			host = p.Services["postgrest"].Environment["PGRST_SERVER_HOST"]
		}
		if host == nil || strings.ContainsAny(*host, "*!") || *host == "127.0.0.1" || *host == "localhost" {
			t.Errorf("postgrest admin host %v: --ready refuses special hosts, and loopback would hide /ready from caddy", host)
		}
	}
	deps := []struct{ svc, on, cond string }{
		{"migrate", "postgres", types.ServiceConditionHealthy},
		{"postgrest", "migrate", types.ServiceConditionCompletedSuccessfully},
		{"caddy", "postgrest", types.ServiceConditionHealthy},
	}
	for _, d := range deps {
		dep, ok := p.Services[d.svc].DependsOn[d.on]
		if !ok || dep.Condition != d.cond {
			t.Errorf("%s depends_on %s = %+v, want condition %s", d.svc, d.on, dep, d.cond)
		}
	}
	if got := strings.Join(p.Services["migrate"].Command, " "); !strings.Contains(got, "stackctl migrate up") || !strings.Contains(got, "stackctl seed demo") {
		t.Errorf("migrate command %q does not migrate and seed", got)
	}
	if b := p.Services["migrate"].Build; b == nil || b.Dockerfile != "Dockerfile" {
		t.Errorf("migrate is not built from the repo's Dockerfile: %+v", b)
	}
	if b := p.Services["caddy"].Build; b == nil || filepath.Base(b.Context) != "caddy" {
		t.Errorf("caddy is not built from ./caddy: %+v", b)
	}
}

func composeVolume(t *testing.T, p *types.Project) {
	// named volume for the data
	vols := p.Services["postgres"].Volumes
	if len(vols) != 1 || vols[0].Type != types.VolumeTypeVolume || vols[0].Target != "/var/lib/postgresql/data" {
		t.Errorf("postgres volumes = %+v, want a named volume on /var/lib/postgresql/data", vols)
	} else if _, ok := p.Volumes[vols[0].Source]; !ok {
		t.Errorf("volume %s is not declared", vols[0].Source)
	}
}

func TestComposePins(t *testing.T) {
	envFile, _ := envFromExample(t, nil)
	p, err := loadCompose(t, envFile)
	if err != nil {
		t.Fatalf("load compose.yaml: %v", err)
	}
	// PostgreSQL: an exact tag whose major is the one the native stack and tests run
	img := p.Services["postgres"].Image
	m := regexp.MustCompile(`^postgres:(\d+)\.(\d+)(-[a-z]+)?$`).FindStringSubmatch(img)
	if m == nil {
		t.Fatalf("postgres image %q is not pinned to an exact major.minor tag", img)
	}
	bin, err := pgserver.FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	major, err := pgserver.Version(bin)
	if err != nil {
		t.Fatal(err)
	}
	if m[1] != strconv.Itoa(major) {
		t.Errorf("compose runs PostgreSQL %s but the native stack and the tests run %d", m[1], major)
	}
	if got := p.Services["postgrest"].Image; got != "postgrest/postgrest:v16.2" {
		t.Errorf("postgrest image = %q, want postgrest/postgrest:v16.2", got)
	}
	// every image pinned (no latest, no bare names)
	for name, s := range p.Services {
		if s.Image == "" || !strings.Contains(s.Image, ":") || strings.HasSuffix(s.Image, ":latest") {
			t.Errorf("service %s image %q is not pinned", name, s.Image)
		}
	}
	// Caddy: the image's builder pins the Caddy version go.mod builds into stackctl
	gomod, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		t.Fatal(err)
	}
	var caddyVer string
	for _, r := range mf.Require {
		if r.Mod.Path == "github.com/caddyserver/caddy/v2" {
			caddyVer = strings.TrimPrefix(r.Mod.Version, "v")
		}
	}
	if caddyVer == "" {
		t.Fatal("go.mod does not require caddy")
	}
	df, err := os.ReadFile(filepath.Join(repoRoot(t), "caddy", "Dockerfile"))
	if err != nil {
		t.Fatalf("caddy/Dockerfile: %v", err)
	}
	for _, line := range strings.Split(string(df), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && strings.EqualFold(f[0], "FROM") && strings.HasPrefix(f[1], "caddy:") {
			if !strings.Contains(f[1], caddyVer) {
				t.Errorf("caddy/Dockerfile uses %s; go.mod builds Caddy %s", f[1], caddyVer)
			}
		}
	}
	// the stackctl image builds with the Go version go.mod asks for
	df, err = os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(df), "golang:"+mf.Go.Version+"-") {
		t.Errorf("Dockerfile does not build with golang:%s (go.mod)", mf.Go.Version)
	}
}

func TestComposeRequiresSecrets(t *testing.T) {
	for _, v := range []string{"JWT_SECRET", "POSTGRES_PASSWORD", "AUTHENTICATOR_PASSWORD"} {
		t.Run(v, func(t *testing.T) {
			envFile, _ := envFromExample(t, map[string]string{v: ""})
			_, err := loadCompose(t, envFile)
			if err == nil {
				t.Fatalf("compose.yaml loaded with %s empty; want ${%s:?} to stop it", v, v)
			}
			if !strings.Contains(err.Error(), v) {
				t.Errorf("error %q does not name %s", err, v)
			}
		})
	}
}

// The README shows the same curl block that `stackctl up` prints.
func TestDocsCurlBlockMatchesBanner(t *testing.T) {
	want := CurlFlows("http://localhost:8000")
	var found []string
	for _, f := range []string{"README.md"} {
		b, err := os.ReadFile(filepath.Join(repoRoot(t), f))
		if err != nil {
			continue
		}
		if strings.Contains(string(b), "curl -i -c cookies.txt") {
			found = append(found, f)
			if !regexp.MustCompile("```(sh|bash|shell)\n" + regexp.QuoteMeta(want) + "```").Match(b) {
				t.Errorf("%s: the curl block differs from the one `stackctl up` prints (stack.CurlFlows):\n%s", f, want)
			}
		}
	}
	if len(found) == 0 {
		t.Error("README.md has no curl block")
	}
}
