package dbcmds_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// `migrate up` applies SIGNUP_ENABLED/SIGNUP_ROLE after the migrations and
// says what changed; a value it cannot use is refused before anything is
// migrated, a role users may not have after, changing nothing.
func TestMigrateUpAppliesSignup(t *testing.T) {
	ctx := context.Background()
	env, url := newProjectEnv(t)
	t.Setenv("DATABASE_URL", url)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	signup := func() bool {
		var ok bool
		conn.QueryRow(ctx, "select to_regprocedure('auth.signup(text,text)') is not null").Scan(&ok)
		return ok
	}
	migrated := func() bool {
		var ok bool
		conn.QueryRow(ctx, "select to_regclass('auth.session') is not null").Scan(&ok)
		return ok
	}

	for k, v := range map[string]string{"SIGNUP_ENABLED": "maybe", "SIGNUP_ROLE": "anon"} {
		t.Run(k+"="+v, func(t *testing.T) {
			t.Setenv("SIGNUP_ENABLED", "true")
			t.Setenv(k, v)
			r := run(t, env, "", "migrate", "up")
			if r.err == nil || !strings.Contains(r.err.Error(), k) {
				t.Errorf("migrate up: %v", r.err)
			}
			if migrated() {
				t.Error("a refused setting still ran the migrations")
			}
		})
	}

	r := run(t, env, "", "migrate", "up")
	if r.err != nil || strings.Contains(r.out, "signup") || signup() {
		t.Fatalf("migrate up (SIGNUP_ENABLED=false from .env.example): %v %q, signup exists %v", r.err, r.out, signup())
	}
	t.Setenv("SIGNUP_ENABLED", "true")
	t.Setenv("SIGNUP_ROLE", "no_such_role")
	if r := run(t, env, "", "migrate", "up"); r.err == nil || !strings.Contains(r.err.Error(), "SIGNUP_ROLE=no_such_role") || signup() {
		t.Errorf("SIGNUP_ROLE=no_such_role: %v, signup exists %v", r.err, signup())
	}
	t.Setenv("SIGNUP_ROLE", "")
	if r := run(t, env, "", "migrate", "up"); r.err != nil || !strings.Contains(r.out, "signup: enabled (POST /rpc/signup, role basic_subscriber)") || !signup() {
		t.Errorf("SIGNUP_ENABLED=true: %v %q", r.err, r.out)
	}
	if r := run(t, env, "", "migrate", "up"); r.err != nil || strings.Contains(r.out, "signup") {
		t.Errorf("again: %v %q (nothing changed, nothing said)", r.err, r.out)
	}
	t.Setenv("SIGNUP_ENABLED", "false")
	if r := run(t, env, "", "migrate", "up"); r.err != nil || !strings.Contains(r.out, "signup: disabled") || signup() {
		t.Errorf("SIGNUP_ENABLED=false: %v %q", r.err, r.out)
	}
}

var uuidRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// `user sessions` lists a user's live sessions (text and -o json, same
// keys on failure); `user revoke` ends one (--session) or all of them;
// bad input changes nothing.
func TestUserSessionsAndRevoke(t *testing.T) {
	ctx := context.Background()
	env, url := newProjectEnv(t)
	t.Setenv("DATABASE_URL", url)
	for _, args := range [][]string{{"migrate", "up"}, {"seed", "demo"}} {
		if r := run(t, env, "", args...); r.err != nil {
			t.Fatal(r.errOut)
		}
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, u := range []string{"demo", "demo", "alice"} {
		if _, err := conn.Exec(ctx, "select auth.login($1, $1)", u); err != nil {
			t.Fatal(err)
		}
	}
	live := func(user string) int {
		var n int
		conn.QueryRow(ctx, "select count(distinct family) from auth.refresh_token where username = $1 and used_at is null", user).Scan(&n)
		return n
	}

	r := run(t, env, "", "user", "sessions", "demo")
	ids := uuidRe.FindAllString(r.out, -1)
	if r.err != nil || len(ids) != 2 || !strings.HasPrefix(r.out, "ID") {
		t.Fatalf("user sessions demo: %v\n%s", r.err, r.out)
	}
	okKeys, doc, code := jsonRun(t, env, "user", "sessions", "demo")
	list, _ := doc["sessions"].([]any)
	if code != 0 || doc["ok"] != true || doc["user"] != "demo" || len(list) != 2 {
		t.Fatalf("user sessions demo -o json: exit %d %v", code, doc)
	}
	for _, k := range []string{"id", "created_at", "last_used_at", "user_agent", "ip"} {
		if _, ok := list[0].(map[string]any)[k]; !ok {
			t.Errorf("session entry lacks %q: %v", k, list[0])
		}
	}
	failKeys, doc, code := jsonRun(t, env, "user", "sessions", "nobody")
	if code != 1 || doc["ok"] != false || doc["error"] == nil || doc["sessions"] != nil {
		t.Errorf("user sessions nobody -o json: exit %d %v", code, doc)
	}
	if !slices.Equal(okKeys, failKeys) {
		t.Errorf("keys differ: %v / %v", okKeys, failKeys)
	}

	for _, args := range [][]string{
		{"user", "revoke", "demo", "--session", "not-a-uuid"},
		{"user", "revoke", "demo", "--session", "2f1c7a52-6f0e-4d41-9b8e-0d7c3f1e2a11"},
		{"user", "revoke", "nobody"},
	} {
		if r := run(t, env, "", args...); r.err == nil {
			t.Errorf("%q accepted: %s", args, r.out)
		}
	}
	if live("demo") != 2 || live("alice") != 1 {
		t.Fatalf("refused revocations changed sessions: demo %d, alice %d", live("demo"), live("alice"))
	}
	r = run(t, env, "", "user", "revoke", "demo", "--session", strings.ToUpper(ids[0]))
	if r.err != nil || !strings.Contains(r.out, "ended") || live("demo") != 1 {
		t.Errorf("revoke one: %v %q, %d left", r.err, r.out, live("demo"))
	}
	r = run(t, env, "", "user", "revoke", "demo")
	if r.err != nil || !strings.Contains(r.out, "1 session(s) of demo ended") || live("demo") != 0 || live("alice") != 1 {
		t.Errorf("revoke all: %v %q; demo %d, alice %d", r.err, r.out, live("demo"), live("alice"))
	}
	if r := run(t, env, "", "user", "sessions", "demo"); r.err != nil || !strings.Contains(r.out, "no live session") {
		t.Errorf("user sessions after revoke: %v %q", r.err, r.out)
	}
}
