package dbcmds_test

import (
	"strings"
	"testing"
)

// After `user passwd demo`, `seed demo` must not claim that demo/demo works.
func TestSeedDoesNotClaimChangedPassword(t *testing.T) {
	env, url := newProjectEnv(t)
	t.Setenv("DATABASE_URL", url)
	for _, args := range [][]string{{"migrate", "up"}} {
		if r := run(t, env, "", args...); r.err != nil {
			t.Fatalf("%v: %v", args, r.err)
		}
	}
	r := run(t, env, "", "seed", "demo")
	if r.err != nil || !strings.Contains(r.out, "demo/demo") || !strings.Contains(r.out, "alice/alice") {
		t.Fatalf("first seed: %v %q", r.err, r.out)
	}
	if r := run(t, env, "new-secret-pass\n", "user", "passwd", "demo"); r.err != nil {
		t.Fatalf("passwd: %v %s", r.err, r.errOut)
	}
	r = run(t, env, "", "seed", "demo")
	if r.err != nil || strings.Contains(r.out, "demo/demo") || !strings.Contains(r.out, "alice/alice") || !strings.Contains(r.out, "user passwd") {
		t.Errorf("seed after passwd: %v %q", r.err, r.out)
	}
}
