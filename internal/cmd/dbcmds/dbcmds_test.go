// Package dbcmds_test runs the database commands of stackctl (secret,
// migrate, seed, user) end to end, in process, against a real PostgreSQL.
package dbcmds_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmd/migrate"
	"github.com/authstack/authstack/internal/cmd/secret"
	"github.com/authstack/authstack/internal/cmd/seed"
	"github.com/authstack/authstack/internal/cmd/user"
	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/dotenv"
	"github.com/authstack/authstack/internal/pgserver"
	"github.com/authstack/authstack/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var envVars = []string{"JWT_SECRET", "AUTHENTICATOR_PASSWORD", "POSTGRES_PASSWORD", "DATABASE_URL"}

// isolate clears the variables .env loading would set, restoring them later.
func isolate(t *testing.T) {
	for _, k := range envVars {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

type result struct {
	out, errOut string
	err         error
}

// run executes `stackctl <args>` the way cmd/stackctl wires it.
func run(t *testing.T, envFile, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	f := &cmdutil.Factory{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut, EnvFile: envFile}
	root := &cobra.Command{
		Use: "stackctl", SilenceUsage: true, SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			f.EnvFileExplicit = cmd.Flags().Changed("env-file")
			return f.LoadEnv()
		},
	}
	root.PersistentFlags().StringVar(&f.EnvFile, "env-file", envFile, "")
	root.AddCommand(secret.NewCmd(f), migrate.NewCmd(f), seed.NewCmd(f), user.NewCmd(f))
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(context.Background())
	if err != nil {
		cmdutil.PrintError(&errOut, err)
	}
	return result{out.String(), errOut.String(), err}
}

func projectDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile("../../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env.example"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func envValue(t *testing.T, path, key string) string {
	t.Helper()
	f, err := dotenv.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := f.Get(key)
	return v
}

func TestSecretGen(t *testing.T) {
	isolate(t)
	dir := projectDir(t)
	env := filepath.Join(dir, ".env")

	r := run(t, env, "", "secret", "gen")
	if r.err != nil {
		t.Fatalf("secret gen: %v\n%s", r.err, r.errOut)
	}
	secret := envValue(t, env, "JWT_SECRET")
	if b, err := base64.StdEncoding.DecodeString(secret); err != nil || len(b) != 32 {
		t.Fatalf("JWT_SECRET is not 32 bytes of base64 (err %v)", err)
	}
	for _, k := range []string{"AUTHENTICATOR_PASSWORD", "POSTGRES_PASSWORD"} {
		if len(envValue(t, env, k)) < 20 {
			t.Errorf("%s not filled", k)
		}
	}
	got, _ := os.ReadFile(env)
	example, _ := os.ReadFile(filepath.Join(dir, ".env.example"))
	for _, line := range strings.Split(string(example), "\n") {
		if strings.HasPrefix(line, "#") && !strings.Contains(string(got), line) {
			t.Errorf("comment lost: %s", line)
		}
	}
	if strings.Contains(r.out+r.errOut, secret) {
		t.Error("secret printed")
	}

	// An explicit --env-file that does not exist yet is created.
	other := filepath.Join(dir, "other.env")
	if r := run(t, env, "", "--env-file", other, "secret", "gen"); r.err != nil || envValue(t, other, "JWT_SECRET") == "" {
		t.Errorf("secret gen --env-file new: %v %s", r.err, r.errOut)
	}
	isolate(t)

	// A second gen keeps it, changes nothing, succeeds and names --force.
	unchanged, _ := os.ReadFile(env)
	r = run(t, env, "", "secret", "gen")
	if now, _ := os.ReadFile(env); r.err != nil || !strings.Contains(r.errOut, "--force") || !bytes.Equal(now, unchanged) {
		t.Errorf("second gen: err %v\n%s", r.err, r.errOut)
	}
	// Only the passwords missing: gen fills them, keeps JWT_SECRET, succeeds.
	f, err := dotenv.Load(env)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AUTHENTICATOR_PASSWORD", "POSTGRES_PASSWORD"} {
		if err := f.Set(k, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	r = run(t, env, "", "secret", "gen")
	if r.err != nil || envValue(t, env, "JWT_SECRET") != secret || len(envValue(t, env, "POSTGRES_PASSWORD")) < 20 || len(envValue(t, env, "AUTHENTICATOR_PASSWORD")) < 20 {
		t.Errorf("gen with only the passwords missing: err %v\n%s", r.err, r.errOut)
	}
	// --print writes a fresh secret to stdout only.
	before, _ := os.ReadFile(env)
	r = run(t, env, "", "secret", "gen", "--print")
	printed := strings.TrimSpace(r.out)
	if b, err := base64.StdEncoding.DecodeString(printed); r.err != nil || err != nil || len(b) != 32 || printed == secret {
		t.Errorf("--print: %q %v", printed, r.err)
	}
	after, _ := os.ReadFile(env)
	if !bytes.Equal(before, after) {
		t.Error("--print changed .env")
	}
	// --force replaces it and keeps the passwords.
	pw := envValue(t, env, "POSTGRES_PASSWORD")
	isolate(t)
	r = run(t, env, "", "secret", "gen", "--force")
	if r.err != nil || envValue(t, env, "JWT_SECRET") == secret || envValue(t, env, "POSTGRES_PASSWORD") != pw {
		t.Errorf("--force: %v", r.err)
	}
}

func TestMissingSecretSaysWhichCommand(t *testing.T) {
	isolate(t)
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	r := run(t, filepath.Join(dir, ".env"), "", "migrate", "up", "--db-url", url)
	if r.err == nil || !strings.Contains(r.errOut, "stackctl secret gen") || !strings.Contains(r.errOut, ".env was not found") {
		t.Errorf("migrate up without .env: %v\n%s", r.err, r.errOut)
	}
	// An explicit --env-file that is missing is an error naming it.
	r = run(t, filepath.Join(dir, ".env"), "", "--env-file", filepath.Join(dir, "nope.env"), "migrate", "status", "--db-url", url)
	if r.err == nil || !strings.Contains(r.errOut, "nope.env") {
		t.Errorf("missing --env-file: %v", r.err)
	}
	// A bad secret stops before anything runs.
	os.WriteFile(filepath.Join(dir, ".env"), []byte("JWT_SECRET=c2hvcnQ=\n"), 0o600)
	isolate(t)
	r = run(t, filepath.Join(dir, ".env"), "", "migrate", "up", "--db-url", url)
	if r.err == nil || !strings.Contains(r.errOut, "at least 32") || strings.Contains(r.errOut, "c2hvcnQ=") {
		t.Errorf("short secret: %v\n%s", r.err, r.errOut)
	}
	conn, _ := pgx.Connect(context.Background(), url)
	defer conn.Close(context.Background())
	var n int
	conn.QueryRow(context.Background(), "select count(*) from pg_class where relname = 'schema_migrations'").Scan(&n)
	if n != 0 {
		t.Error("migrate up with a bad secret touched the database")
	}
}

func TestWrongDatabaseURL(t *testing.T) {
	isolate(t)
	port, err := pgserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := projectDir(t)
	env := filepath.Join(dir, ".env")
	run(t, env, "", "secret", "gen")
	url := fmt.Sprintf("postgres://postgres:hunter2secret@127.0.0.1:%d/app?connect_timeout=1", port)
	r := run(t, env, "", "migrate", "up", "--db-url", url, "--wait", "--wait-timeout", "2s")
	if r.err == nil {
		t.Fatal("connected to nothing")
	}
	msg := r.errOut
	if !strings.Contains(msg, fmt.Sprintf("127.0.0.1:%d", port)) || !strings.Contains(msg, "refused") || !strings.Contains(msg, "waited") {
		t.Errorf("error does not name host and reason: %s", msg)
	}
	if strings.Contains(msg, "hunter2secret") {
		t.Error("password in error")
	}
	// Without --wait: one attempt, same information.
	r = run(t, env, "", "seed", "demo", "--db-url", url)
	if r.err == nil || !strings.Contains(r.errOut, "127.0.0.1") || !strings.Contains(r.errOut, "refused") {
		t.Errorf("seed against nothing: %s", r.errOut)
	}
}

// cmdSession is what the steps of TestMigrateSeedUserRotate share: the
// project's .env and database, the secrets `secret gen` wrote, and the
// output of every command run with must, searched for them at the end.
type cmdSession struct {
	t              *testing.T
	env, url       string
	secret, authPw string
	all            strings.Builder
}

// must runs a command that has to succeed and keeps its output.
func (s *cmdSession) must(stdin string, args ...string) result {
	s.t.Helper()
	r := run(s.t, s.env, stdin, args...)
	s.all.WriteString(r.out + r.errOut)
	if r.err != nil {
		s.t.Fatalf("%v: %v\n%s%s", args, r.err, r.out, r.errOut)
	}
	return r
}

func TestMigrateSeedUserRotate(t *testing.T) {
	isolate(t)
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	dir := projectDir(t)
	env := filepath.Join(dir, ".env")
	if r := run(t, env, "", "secret", "gen"); r.err != nil {
		t.Fatal(r.err)
	}
	s := &cmdSession{t: t, env: env, url: url, secret: envValue(t, env, "JWT_SECRET"), authPw: envValue(t, env, "AUTHENTICATOR_PASSWORD")}
	t.Setenv("DATABASE_URL", url)

	checkBeforeMigrations(s)
	checkMigrateUpDown(s)

	// The authenticator can log in with the generated password.
	authURL := pgtest.WithUser(url, "authenticator", s.authPw)
	if c, err := pgx.Connect(ctx, authURL); err != nil {
		t.Errorf("authenticator login: %v", err)
	} else {
		c.Close(ctx)
	}

	conn := checkSeedDemo(s)
	defer conn.Close(ctx)
	checkUserCommands(s, conn)
	newSecret := checkRotate(s, conn)

	for _, secret := range []string{s.secret, newSecret, s.authPw, "new-bob-password", "bob-password-1"} {
		if strings.Contains(s.all.String(), secret) {
			t.Errorf("a secret or password appeared in the output")
		}
	}
}

// checkBeforeMigrations: before the migrations, the data commands say what
// to run.
func checkBeforeMigrations(s *cmdSession) {
	t := s.t
	for _, args := range [][]string{{"seed", "demo"}, {"user", "list"}, {"secret", "rotate"}} {
		if r := run(t, s.env, "", args...); r.err == nil || !strings.Contains(r.err.Error(), "stackctl migrate up") {
			t.Errorf("%v before migrate: %v", args, r.err)
		}
	}
	if envValue(t, s.env, "JWT_SECRET") != s.secret {
		t.Fatal("a failed rotate changed .env")
	}
}

// checkMigrateUpDown runs migrate status, up, version and down, and leaves
// every migration applied.
func checkMigrateUpDown(s *cmdSession) {
	t := s.t
	r := run(t, s.env, "", "migrate", "status", "--exit-code")
	if r.err == nil || cmdutil.ExitCode(r.err) != 1 || !strings.Contains(r.out, "pending") {
		t.Errorf("status before up: %v\n%s", r.err, r.out)
	}
	r = s.must("", "migrate", "up")
	if !strings.Contains(r.out, fmt.Sprintf("none -> %d", latestVersion(t))) {
		t.Errorf("up output: %s", r.out)
	}
	r = s.must("", "migrate", "status", "--exit-code")
	if !strings.Contains(r.out, "0 pending") || strings.Count(r.out, "applied") != latestVersion(t) {
		t.Errorf("status after up:\n%s", r.out)
	}
	if r = s.must("", "migrate", "version"); strings.TrimSpace(r.out) != fmt.Sprint(latestVersion(t)) {
		t.Errorf("version = %q", r.out)
	}
	if r := run(t, s.env, "", "migrate", "down"); r.err == nil || !strings.Contains(r.err.Error(), "--yes") {
		t.Errorf("down without --yes: %v", r.err)
	}
	s.must("", "migrate", "down", "1")
	if r := run(t, s.env, "", "migrate", "status", "--exit-code"); cmdutil.ExitCode(r.err) != 1 {
		t.Errorf("status with one pending: %v", r.err)
	}
	s.must("", "migrate", "up")
}

// checkSeedDemo seeds twice (idempotent) and returns a superuser
// connection to the database.
func checkSeedDemo(s *cmdSession) *pgx.Conn {
	t, ctx := s.t, context.Background()
	s.must("", "seed", "demo")
	s.must("", "seed", "demo") // idempotent
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	var users, tasks int
	conn.QueryRow(ctx, "select (select count(*) from auth.user), (select count(*) from public.task)").Scan(&users, &tasks)
	if users != 2 || tasks != 5 {
		t.Errorf("after two seeds: %d users, %d tasks", users, tasks)
	}
	return conn
}

// checkUserCommands: user add (and what it refuses), list, passwd, del.
func checkUserCommands(s *cmdSession, conn *pgx.Conn) {
	t, ctx, env := s.t, context.Background(), s.env
	s.must("bob-password-1\n", "user", "add", "bob")
	r := s.must("", "user", "list")
	if !strings.Contains(r.out, "bob") || !strings.Contains(r.out, "basic_subscriber") || strings.Contains(r.out, "$2a$") {
		t.Errorf("list:\n%s", r.out)
	}
	var superName string
	conn.QueryRow(ctx, "select current_user").Scan(&superName)
	if r := run(t, env, "pw-123456\n", "user", "add", "mallory", "--role", superName); r.err == nil || !strings.Contains(r.err.Error(), "not allowed") {
		t.Errorf("superuser role accepted: %v", r.err)
	}
	if r := run(t, env, strings.Repeat("x", 73)+"\n", "user", "add", "longpw"); r.err == nil || !strings.Contains(r.err.Error(), "72") {
		t.Errorf("73-byte password: %v", r.err)
	}
	if r := run(t, env, "", "user", "add", "nopw"); r.err == nil {
		t.Error("empty stdin accepted as a password")
	}
	if r := run(t, env, "pw-123456\n", "user", "add", "bob"); r.err == nil || !strings.Contains(r.err.Error(), "already exists") {
		t.Errorf("duplicate: %v", r.err)
	}
	s.must("", "user", "passwd", "bob", "--password", "new-bob-password")
	var ok bool
	conn.QueryRow(ctx, "select password = crypt('new-bob-password', password) from auth.user where username = 'bob'").Scan(&ok)
	if !ok {
		t.Error("passwd did not change the password")
	}
	s.must("", "user", "del", "bob", "--yes")
	if r := run(t, env, "", "user", "del", "bob", "--yes"); r.err == nil || !strings.Contains(r.err.Error(), "no such user") {
		t.Errorf("del twice: %v", r.err)
	}
}

// checkRotate: rotate puts a new secret in .env and in the database and
// revokes the refresh tokens. It returns the new secret.
func checkRotate(s *cmdSession, conn *pgx.Conn) string {
	t, ctx := s.t, context.Background()
	conn.Exec(ctx, "insert into auth.refresh_token (token, username, family, expires_at) values (repeat('a', 64), 'demo', gen_random_uuid(), now() + interval '1 day')")
	isolate(t)
	t.Setenv("DATABASE_URL", s.url)
	r := s.must("", "secret", "rotate")
	newSecret := envValue(t, s.env, "JWT_SECRET")
	var stored string
	var left int
	conn.QueryRow(ctx, "select (select secret from auth.jwt_secret), (select count(*) from auth.refresh_token)").Scan(&stored, &left)
	if newSecret == s.secret || stored != newSecret || left != 0 {
		t.Errorf("rotate: changed=%v stored=%v tokens left=%d", newSecret != s.secret, stored == newSecret, left)
	}
	// It says what happened (refresh tokens revoked) and what did not yet
	// (running components keep the old secret until restarted).
	if !strings.Contains(r.out, "revoked") || !strings.Contains(r.out, "Restart") || strings.Contains(r.out, "has ended") {
		t.Errorf("rotate note: %s", r.out)
	}
	return newSecret
}

func TestMigrateCreateAndPath(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	r := run(t, env, "", "migrate", "create", "add_things", "--path", dir)
	if r.err != nil || !strings.Contains(r.out, "0001_add_things.up.sql") {
		t.Fatalf("create: %v %s", r.err, r.out)
	}
	os.WriteFile(filepath.Join(dir, "0001_add_things.up.sql"), []byte("create table things (x int);"), 0o644)
	os.WriteFile(filepath.Join(dir, "0001_add_things.down.sql"), []byte("drop table things;"), 0o644)
	s := make([]byte, 32)
	os.WriteFile(env, []byte("JWT_SECRET="+base64.StdEncoding.EncodeToString(s)+"\n"), 0o600)
	url := pgtest.NewDatabase(t)
	if r := run(t, env, "", "migrate", "up", "--path", dir, "--db-url", url); r.err != nil {
		t.Fatalf("up --path: %v %s", r.err, r.errOut)
	}
	conn, _ := pgx.Connect(context.Background(), url)
	defer conn.Close(context.Background())
	var n int
	conn.QueryRow(context.Background(), "select count(*) from pg_class where relname = 'things'").Scan(&n)
	if n != 1 {
		t.Error("migration from --path not applied")
	}
}
