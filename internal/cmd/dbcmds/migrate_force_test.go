package dbcmds_test

import (
	"strings"
	"testing"
)

// migrate up with nothing pending says so; force refuses a version no
// migration has (and changes nothing) unless --yes; `force -1` works as
// the help says.
func TestMigrateNoChangeAndForce(t *testing.T) {
	env, url := newProjectEnv(t)
	t.Setenv("DATABASE_URL", url)
	if r := run(t, env, "", "migrate", "up"); r.err != nil || !strings.Contains(r.out, "migrated: version none -> ") {
		t.Fatalf("first up: %v %q", r.err, r.out)
	}
	cur := strings.TrimSpace(run(t, env, "", "migrate", "version").out)
	r := run(t, env, "", "migrate", "up")
	if r.err != nil || strings.Contains(r.out, "migrated") || !strings.Contains(r.out, "no change (version "+cur+")") {
		t.Errorf("up with nothing pending: %v %q", r.err, r.out)
	}

	r = run(t, env, "", "migrate", "force", "999")
	if r.err == nil || !strings.Contains(r.err.Error(), "999") || !strings.Contains(r.err.Error(), "--yes") {
		t.Errorf("force 999: %v %q", r.err, r.out)
	}
	if v := strings.TrimSpace(run(t, env, "", "migrate", "version").out); v != cur {
		t.Errorf("a refused force changed the version to %s (was %s)", v, cur)
	}
	if r := run(t, env, "", "migrate", "force", "999", "--yes"); r.err != nil || !strings.Contains(r.out, "forced: version 999") {
		t.Errorf("force 999 --yes: %v %q", r.err, r.out)
	}
	if r := run(t, env, "", "migrate", "force", "-1"); r.err != nil || !strings.Contains(r.out, "forced: version none") {
		t.Errorf("force -1: %v %q", r.err, r.out)
	}
	if r := run(t, env, "", "migrate", "force", "-1", "2"); r.err == nil {
		t.Error("force -1 2 was accepted")
	}
	if r := run(t, env, "", "migrate", "force", cur); r.err != nil || !strings.Contains(r.out, "forced: version "+cur) {
		t.Errorf("force %s: %v %q", cur, r.err, r.out)
	}
}
