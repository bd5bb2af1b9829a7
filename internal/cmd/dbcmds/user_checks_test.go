package dbcmds_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// user add refuses names that cannot be typed back and the anon role;
// user del needs --yes; passwd and del say what ends and what stays valid. Refusals
// change nothing.
func TestUserChecksAndMessages(t *testing.T) {
	ctx := context.Background()
	env, url := newProjectEnv(t)
	t.Setenv("DATABASE_URL", url)
	if r := run(t, env, "", "migrate", "up"); r.err != nil {
		t.Fatal(r.err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	users := func() int {
		var n int
		conn.QueryRow(ctx, "select count(*) from auth.user").Scan(&n)
		return n
	}
	for _, args := range [][]string{
		{"user", "add", " carol"},
		{"user", "add", "carol "},
		{"user", "add", "car\tol"},
		{"user", "add", strings.Repeat("c", 65)},
		{"user", "add", "carol", "--role", "anon"},
	} {
		if r := run(t, env, "pw-123456\n", args...); r.err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	if n := users(); n != 0 {
		t.Fatalf("refused adds created %d users", n)
	}
	if r := run(t, env, "pw-123456\n", "user", "add", "carol"); r.err != nil {
		t.Fatal(r.err)
	}
	r := run(t, env, "", "user", "passwd", "carol", "--password", "pw-7654321")
	if r.err != nil || !strings.Contains(r.out, "sessions ended") || !strings.Contains(r.out, "JWT_EXP") {
		t.Errorf("passwd: %v %q", r.err, r.out)
	}
	if r := run(t, env, "", "user", "del", "carol"); r.err == nil || !strings.Contains(r.err.Error(), "--yes") || users() != 1 {
		t.Errorf("del without --yes: %v (users %d)", r.err, users())
	}
	r = run(t, env, "", "user", "del", "carol", "--yes")
	if r.err != nil || users() != 0 || !strings.Contains(r.out, "JWT_EXP") {
		t.Errorf("del --yes: %v %q (users %d)", r.err, r.out, users())
	}
}
