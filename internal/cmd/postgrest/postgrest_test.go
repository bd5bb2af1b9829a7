package postgrest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/pgserver"
	"github.com/authstack/authstack/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const setupSQL = `
do $$ begin
  if not exists (select from pg_roles where rolname = 'anon') then create role anon nologin; end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then create role authenticator login noinherit; end if;
exception when duplicate_object or unique_violation then null;
end $$;
alter role authenticator password 'authpw';
grant anon to authenticator;
create function public.add(a int, b int) returns int language sql immutable as $$ select a + b $$;
`

func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// `stackctl postgrest` runs the engine from PGRST_* variables, reloads on
// SIGUSR1 and stops cleanly on SIGTERM.
func TestCommandRunsReloadsAndStops(t *testing.T) {
	db := pgtest.NewDatabase(t)
	pool := pgtest.NewPool(t, db)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, setupSQL); err != nil {
		t.Fatal(err)
	}
	port, err := pgserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pgserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGRST_DB_URI", pgtest.WithUser(db, "authenticator", "authpw"))
	t.Setenv("PGRST_DB_ANON_ROLE", "anon")
	t.Setenv("PGRST_JWT_SECRET", "reallyreallyreallyreallyverysafe")
	t.Setenv("PGRST_SERVER_HOST", "127.0.0.1")
	t.Setenv("PGRST_SERVER_PORT", fmt.Sprint(port))
	t.Setenv("PGRST_ADMIN_SERVER_PORT", fmt.Sprint(admin))
	t.Setenv("PGRST_LOG_LEVEL", "info")

	var out, errOut bytes.Buffer
	cmd := NewCmd(&cmdutil.Factory{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	cmd.SetArgs(nil)
	done := make(chan error, 1)
	go func() { done <- cmd.Execute() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	wait := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out: %s (log: %s)", what, errOut.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait("ready", func() bool { s, _ := get(fmt.Sprintf("http://127.0.0.1:%d/ready", admin)); return s == 200 })
	if s, b := get(base + "/rpc/add?a=1&b=2"); s != 200 || b != "3" {
		t.Fatalf("rpc: %d %s", s, b)
	}
	if s, _ := get(base + "/rpc/nope?user_=x&pass=hunter2secret"); s != 404 {
		t.Fatalf("unknown rpc: %d", s)
	}
	if _, err := pool.Exec(ctx, `create table public.later (id int); grant select on public.later to anon;
		select pg_notify('not_pgrst', 'x')`); err != nil {
		t.Fatal(err)
	}
	// Turn off LISTEN's effect: the reload must come from SIGUSR1.
	if s, _ := get(base + "/later"); s != 404 {
		t.Fatalf("table visible before reload: %d", s)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	wait("SIGUSR1 reload", func() bool { s, _ := get(base + "/later"); return s == 200 })
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("command returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no shutdown after SIGTERM")
	}
	if s, _ := get(base + "/rpc/add?a=1&b=2"); s != 0 {
		t.Fatalf("still serving after shutdown: %d", s)
	}
	if strings.Contains(errOut.String(), "reallyreally") || strings.Contains(errOut.String(), "authpw") ||
		strings.Contains(out.String(), "reallyreally") || strings.Contains(out.String(), "authpw") ||
		strings.Contains(out.String(), "hunter2") || !strings.Contains(out.String(), "pass=***") {
		t.Fatal("a secret reached the log")
	}
	// PostgREST's lifecycle lines on stderr, the access log on stdout
	for _, want := range []string{"Starting PostgREST 16.2", "API server listening on 127.0.0.1:", "Admin server listening on",
		"Successfully connected to PostgreSQL", "Schema cache loaded in", "listening for database notifications on the \"pgrst\" channel"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	if !strings.Contains(out.String(), `"GET /rpc/add?a=1&b=2 HTTP/1.1" 200`) {
		t.Errorf("stdout lacks the access log line:\n%s", out.String())
	}
}

func TestDumpConfigHidesSecrets(t *testing.T) {
	t.Setenv("PGRST_JWT_SECRET", "reallyreallyreallyreallyverysafe")
	t.Setenv("PGRST_DB_URI", "postgres://authenticator:topsecretpw@127.0.0.1:5432/app")
	var out bytes.Buffer
	cmd := NewCmd(&cmdutil.Factory{Out: &out, ErrOut: io.Discard})
	cmd.SetArgs([]string{"--dump-config"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if strings.Contains(s, "reallyreally") || strings.Contains(s, "topsecretpw") || !strings.Contains(s, `db-schemas = "public"`) {
		t.Fatalf("dump-config:\n%s", s)
	}
}

func TestStartupErrors(t *testing.T) {
	t.Setenv("PGRST_JWT_SECRET", "too-short")
	cmd := NewCmd(&cmdutil.Factory{Out: io.Discard, ErrOut: io.Discard})
	cmd.SetArgs(nil)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	if err == nil || err.Error() != "The JWT secret must be at least 32 characters long." {
		t.Fatalf("short secret: %v", err)
	}
}
