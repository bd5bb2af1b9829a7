package migrations_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/authstack/authstack/internal/migrations"
	"github.com/authstack/authstack/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newSecret(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func open(t *testing.T, url string, opts migrations.Options) *migrations.Migrator {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	mg, err := migrations.Open(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mg.Close() })
	return mg
}

func TestUpStatusDownUp(t *testing.T) {
	url := pgtest.NewDatabase(t)
	secret := newSecret(t)
	vars := map[string]string{"JWT_SECRET": secret, "AUTHENTICATOR_PASSWORD": "pw-for-test-1"}
	var log bytes.Buffer
	mg := open(t, url, migrations.Options{Vars: vars, Log: &log})

	st, err := mg.Status()
	if err != nil {
		t.Fatal(err)
	}
	if len(st) < 4 || st[0].Applied {
		t.Fatalf("status before up = %+v", st)
	}
	if err := mg.Up(2); err != nil {
		t.Fatal(err)
	}
	if v, dirty, ok, err := mg.Version(); err != nil || !ok || dirty || v != 2 {
		t.Fatalf("version after up 2 = %d %v %v %v", v, dirty, ok, err)
	}
	if err := mg.Up(0); err != nil {
		t.Fatal(err)
	}
	if err := mg.Up(3); err != nil { // nothing left: no error
		t.Fatal(err)
	}
	st, _ = mg.Status()
	for _, s := range st {
		if !s.Applied || s.Dirty {
			t.Errorf("after up: %+v", s)
		}
	}
	pool := pgtest.NewPool(t, url)
	var stored string
	if err := pool.QueryRow(context.Background(), "select secret from auth.jwt_secret").Scan(&stored); err != nil || stored != secret {
		t.Fatalf("stored secret differs (err %v)", err)
	}
	if strings.Contains(log.String(), secret) {
		t.Error("secret in migrate log")
	}
	// The authenticator password was set from AUTHENTICATOR_PASSWORD.
	var hasPw bool
	if err := pool.QueryRow(context.Background(), "select rolpassword is not null from pg_authid where rolname = 'authenticator'").Scan(&hasPw); err != nil || !hasPw {
		t.Errorf("authenticator password not set (err %v)", err)
	}

	if err := mg.Down(1); err != nil {
		t.Fatal(err)
	}
	if err := mg.Up(10); err != nil { // only one was left
		t.Fatal(err)
	}
	if v, _, _, _ := mg.Version(); int(v) != latestVersion(t) {
		t.Fatalf("version after up 10 = %d", v)
	}
	if err := mg.Down(0); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := mg.Version(); ok {
		t.Error("version after down all still set")
	}
	var n int
	if err := pool.QueryRow(context.Background(), "select count(*) from pg_namespace where nspname = 'auth'").Scan(&n); err != nil || n != 0 {
		t.Errorf("auth schema still there after down (n=%d err=%v)", n, err)
	}
	// Up again on a cluster whose roles already exist (idempotent roles).
	if err := mg.Up(0); err != nil {
		t.Fatal(err)
	}
}

func TestBadSecretStopsBeforeAnything(t *testing.T) {
	url := pgtest.NewDatabase(t)
	for name, s := range map[string]string{
		"missing":    "",
		"not base64": "this is not base64!!",
		"short":      base64.StdEncoding.EncodeToString([]byte("only sixteen byt")),
	} {
		t.Run(name, func(t *testing.T) {
			mg := open(t, url, migrations.Options{Vars: map[string]string{"JWT_SECRET": s}})
			err := mg.Up(0)
			if err == nil {
				t.Fatal("up succeeded")
			}
			if s != "" && strings.Contains(err.Error(), s) {
				t.Errorf("error shows the secret: %v", err)
			}
			if !strings.Contains(err.Error(), "stackctl secret gen") {
				t.Errorf("error does not name the fix: %v", err)
			}
			if _, _, ok, _ := mg.Version(); ok {
				t.Error("something was applied")
			}
		})
	}
}

func TestFailedMigrationIsRedactedAndNamesForce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("0001_ok.up.sql", "create table ok (x int);")
	write("0001_ok.down.sql", "drop table ok;")
	// The secret is templated into a statement that then fails.
	write("0002_bad.up.sql", "create table s (v text);\ninsert into s values ({{JWT_SECRET}});\nselect no_such_function({{JWT_SECRET}});\n")
	write("0002_bad.down.sql", "drop table s;")
	secret := newSecret(t)
	mg := open(t, url, migrations.Options{Dir: dir, Vars: map[string]string{"JWT_SECRET": secret}})
	err := mg.Up(0)
	if err == nil {
		t.Fatal("bad migration succeeded")
	}
	msg := err.Error()
	if strings.Contains(msg, secret) {
		t.Fatalf("secret in error: %s", msg)
	}
	if !strings.Contains(msg, "no_such_function") || !strings.Contains(msg, "stackctl migrate force 2") {
		t.Errorf("error = %s", msg)
	}
	var de *migrations.DirtyError
	if !asDirty(err, &de) || de.Version != 2 {
		t.Errorf("not a DirtyError at 2: %v", err)
	}
	// The failed migration was one implicit transaction: nothing of it stayed.
	pool := pgtest.NewPool(t, url)
	var n int
	_ = pool.QueryRow(context.Background(), "select count(*) from pg_class where relname = 's'").Scan(&n)
	if n != 0 {
		t.Error("half-applied migration left table s")
	}
	if err := mg.Force(1); err != nil {
		t.Fatal(err)
	}
	if v, dirty, _, _ := mg.Version(); v != 1 || dirty {
		t.Errorf("after force 1: v=%d dirty=%v", v, dirty)
	}
}

func asDirty(err error, target **migrations.DirtyError) bool {
	for err != nil {
		if d, ok := err.(*migrations.DirtyError); ok {
			*target = d
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

func TestConcurrentUpAppliesOnce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	secret := newSecret(t)
	const workers = 5
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = migrations.Up(context.Background(), url, map[string]string{"JWT_SECRET": secret})
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	pool := pgtest.NewPool(t, url)
	var v int64
	var dirty bool
	if err := pool.QueryRow(context.Background(), "select version, dirty from schema_migrations").Scan(&v, &dirty); err != nil || dirty || v != int64(latestVersion(t)) {
		t.Errorf("schema_migrations = %d dirty=%v err=%v", v, dirty, err)
	}
	var rows int
	_ = pool.QueryRow(context.Background(), "select count(*) from auth.jwt_secret").Scan(&rows)
	if rows != 1 {
		t.Errorf("jwt_secret rows = %d", rows)
	}
}

func TestRender(t *testing.T) {
	vars := map[string]string{"JWT_SECRET": "a'b", "AUTHENTICATOR_PASSWORD": `x\y`}
	in := "select {{JWT_SECRET}}, '{{JWT_SECRET}}', \"{{X}}\" -- {{JWT_SECRET}}\n" +
		"/* {{JWT_SECRET}} */ do $$ begin perform '{{JWT_SECRET}}'; end $$; do $f$ $$ {{JWT_SECRET}} $f$; select $1, {{AUTHENTICATOR_PASSWORD}};"
	out, err := migrations.Render(in, vars)
	if err != nil {
		t.Fatal(err)
	}
	want := "select 'a''b', '{{JWT_SECRET}}', \"{{X}}\" -- {{JWT_SECRET}}\n" +
		"/* {{JWT_SECRET}} */ do $$ begin perform '{{JWT_SECRET}}'; end $$; do $f$ $$ {{JWT_SECRET}} $f$; select $1, E'x\\\\y';"
	if out != want {
		t.Errorf("Render:\n got %s\nwant %s", out, want)
	}
	if _, err := migrations.Render("select {{HOME}}", vars); err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("HOME: %v", err)
	}
	if _, err := migrations.Render("select {{JWT_SECRET}}", map[string]string{}); err == nil {
		t.Error("missing variable accepted")
	}
	if _, err := migrations.Render("select $$ unterminated", vars); err == nil {
		t.Error("unterminated dollar quote accepted")
	}
	// The real migrations keep every $$ body.
	b, _ := os.ReadFile("../../postgres/migrations/0003_auth.up.sql")
	out, err = migrations.Render(string(b), map[string]string{"JWT_SECRET": "s", "AUTHENTICATOR_PASSWORD": ""})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "$$") != strings.Count(string(b), "$$") || strings.Contains(out, "{{") {
		t.Error("0003 rendered wrongly")
	}
}

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "0007_x.up.sql"), nil, 0o644)
	paths, err := migrations.Create(dir, "add_things")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || filepath.Base(paths[0]) != "0008_add_things.down.sql" || filepath.Base(paths[1]) != "0008_add_things.up.sql" {
		t.Errorf("paths = %v", paths)
	}
	if _, err := migrations.Create(dir, "Bad Name!"); err == nil {
		t.Error("bad name accepted")
	}
}

// TestConcurrentUpProcesses runs `migrations.Up` in several processes (this
// test binary re-executed) against one fresh database.
func TestConcurrentUpProcesses(t *testing.T) {
	if url := os.Getenv("MIGRATIONS_HELPER_URL"); url != "" {
		t.Skip("helper mode")
	}
	url := pgtest.NewDatabase(t)
	secret := newSecret(t)
	const procs = 4
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for i := range cmds {
		c := exec.Command(os.Args[0], "-test.run=^TestUpHelperProcess$", "-test.count=1")
		c.Env = append(os.Environ(), "MIGRATIONS_HELPER_URL="+url, "JWT_SECRET="+secret)
		outs[i] = &bytes.Buffer{}
		c.Stdout, c.Stderr = outs[i], outs[i]
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = c
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
		if strings.Contains(outs[i].String(), secret) {
			t.Errorf("process %d printed the secret", i)
		}
	}
	pool := pgtest.NewPool(t, url)
	var v int64
	var dirty bool
	if err := pool.QueryRow(context.Background(), "select version, dirty from schema_migrations").Scan(&v, &dirty); err != nil || dirty || v != int64(latestVersion(t)) {
		t.Errorf("schema_migrations = %d dirty=%v err=%v", v, dirty, err)
	}
	var seqs, want int
	pool.QueryRow(context.Background(), "select count(*), 4 * auth.throttle_slots() from pg_class where relkind = 'S' and relnamespace = 'auth_throttle'::regnamespace").Scan(&seqs, &want)
	if seqs != want || want == 0 {
		t.Errorf("%d throttle sequences, want %d (a migration ran twice or partly)", seqs, want)
	}
}

// TestUpHelperProcess is the child of TestConcurrentUpProcesses.
func TestUpHelperProcess(t *testing.T) {
	url := os.Getenv("MIGRATIONS_HELPER_URL")
	if url == "" {
		t.Skip("only run as a helper process")
	}
	if err := migrations.Up(context.Background(), url, migrations.VarsFromEnv(os.Getenv)); err != nil {
		t.Fatal(err)
	}
}
