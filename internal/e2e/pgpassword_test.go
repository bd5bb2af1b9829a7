package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authstack/authstack/internal/dotenv"
	"github.com/authstack/authstack/internal/pgserver"
)

func (p *project) envValue(key string) string {
	p.t.Helper()
	f, err := dotenv.Load(filepath.Join(p.dir, ".env"))
	if err != nil {
		p.t.Fatal(err)
	}
	v, _ := f.Get(key)
	return v
}

func (p *project) setEnv(key, value string) {
	p.t.Helper()
	f, err := dotenv.Load(filepath.Join(p.dir, ".env"))
	if err != nil {
		p.t.Fatal(err)
	}
	if err := f.Set(key, value); err != nil {
		p.t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		p.t.Fatal(err)
	}
}

// superSQL runs sql as postgres with the .env password on the app database.
func (p *project) superSQL(sql string) (string, error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgserver.ConnURL("postgres", p.envValue("POSTGRES_PASSWORD"), "127.0.0.1", p.pgPort, "app"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var s string
	err = conn.QueryRow(ctx, sql).Scan(&s)
	return s, err
}

// An existing cluster whose POSTGRES_PASSWORD was emptied in .env: every
// hint on the way leads to a fix that keeps the data (never `down
// --volumes`), `secret reset-pg-password` refuses while the stack runs and
// then sets the password, and `up` finds the data it had.
func TestLostPostgresPasswordKeepsData(t *testing.T) {
	p := newProject(t)
	p.mustRun(3*time.Minute, "up", "--detach")
	mustExec(t, p, "create table kept(v text); insert into kept values ('here')")
	oldPW := p.envValue("POSTGRES_PASSWORD")

	// refused while the stack runs; nothing changed
	envPath := filepath.Join(p.dir, ".env")
	p.setEnv("POSTGRES_PASSWORD", "")
	before, _ := os.ReadFile(envPath)
	out, code := p.run(time.Minute, "secret", "reset-pg-password")
	if after, _ := os.ReadFile(envPath); code == 0 || !strings.Contains(out, "stackctl down") || string(after) != string(before) {
		t.Errorf("reset-pg-password on a running stack: exit %d\n%s", code, out)
	}
	p.setEnv("POSTGRES_PASSWORD", oldPW)
	if v, err := p.superSQL("select v from kept"); err != nil || v != "here" {
		t.Fatalf("a refused reset changed the password: %q %v", v, err)
	}
	p.mustRun(time.Minute, "down")

	// 1. emptied: up names the data-keeping fix
	p.setEnv("POSTGRES_PASSWORD", "")
	out, code = p.run(3*time.Minute, "up", "--detach")
	checkHint(t, "up with an emptied POSTGRES_PASSWORD", out, code)

	// 2. the old path: secret gen fills it (exit 0) and says the cluster
	// still has the old one; up then meets 28P01 and names the same fix
	out, code = p.run(time.Minute, "secret", "gen")
	if code != 0 || !strings.Contains(out, "reset-pg-password") {
		t.Errorf("secret gen with POSTGRES_PASSWORD empty on an existing cluster: exit %d\n%s", code, out)
	}
	out, code = p.run(3*time.Minute, "up", "--detach")
	checkHint(t, "up with a POSTGRES_PASSWORD the cluster does not have", out, code)

	// 3. the fix: keeps the data, prints no password
	newPW := p.envValue("POSTGRES_PASSWORD")
	out, code = p.run(time.Minute, "secret", "reset-pg-password")
	if code != 0 || strings.Contains(out, newPW) || strings.Contains(out, oldPW) {
		t.Fatalf("reset-pg-password: exit %d\n%s", code, out)
	}
	p.mustRun(3*time.Minute, "up", "--detach")
	if v, err := p.superSQL("select v from kept"); err != nil || v != "here" {
		t.Errorf("data after the reset: %q %v", v, err)
	}
	p.mustRun(time.Minute, "down")

	// 4. emptied again: the command generates one into .env itself
	p.setEnv("POSTGRES_PASSWORD", "")
	out, code = p.run(time.Minute, "secret", "reset-pg-password")
	if gen := p.envValue("POSTGRES_PASSWORD"); code != 0 || len(gen) < 20 || strings.Contains(out, gen) {
		t.Fatalf("reset-pg-password with an empty POSTGRES_PASSWORD: exit %d\n%s", code, out)
	}
	p.mustRun(3*time.Minute, "up", "--detach")
	if v, err := p.superSQL("select v from kept"); err != nil || v != "here" {
		t.Errorf("data after the second reset: %q %v", v, err)
	}
	p.mustRun(time.Minute, "down")

	// 5. a new AUTHENTICATOR_PASSWORD: up gives it to the role, the engine
	// connects with it
	p.setEnv("AUTHENTICATOR_PASSWORD", "")
	p.mustRun(time.Minute, "secret", "gen")
	out, code = p.run(3*time.Minute, "up", "--detach")
	if code != 0 {
		t.Fatalf("up with a new AUTHENTICATOR_PASSWORD: exit %d\n%s", code, out)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgserver.ConnURL("authenticator", p.envValue("AUTHENTICATOR_PASSWORD"), "127.0.0.1", p.pgPort, "app"))
	if err != nil {
		t.Fatalf("authenticator with the new .env password: %v", err)
	}
	conn.Close(ctx)
}

func checkHint(t *testing.T, what, out string, code int) {
	t.Helper()
	if code == 0 || !strings.Contains(out, "stackctl secret reset-pg-password") || strings.Contains(out, "--volumes") {
		t.Errorf("%s: exit %d, want the reset-pg-password hint and no --volumes\n%s", what, code, out)
	}
}

func mustExec(t *testing.T, p *project, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgserver.ConnURL("postgres", p.envValue("POSTGRES_PASSWORD"), "127.0.0.1", p.pgPort, "app"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
}
