package dbcmds_test

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/authstack/authstack/internal/cmdutil"
)

// jsonRun runs a command with -o json and returns the document's keys, the
// document and the exit status (0 on success).
func jsonRun(t *testing.T, env string, args ...string) ([]string, map[string]any, int) {
	t.Helper()
	r := run(t, env, "", append(args, "-o", "json")...)
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("%v -o json: not one JSON document (%v):\n%s", args, err, r.out)
	}
	code := 0
	if r.err != nil {
		code = cmdutil.ExitCode(r.err)
	}
	if r.errOut != "" {
		t.Errorf("%v -o json wrote to stderr: %s", args, r.errOut)
	}
	return slices.Sorted(maps.Keys(doc)), doc, code
}

// migrate status and user list -o json: the same keys whether the database
// answers or not, ok/error say which, the exit status is text mode's.
func TestMigrateStatusAndUserListJSON(t *testing.T) {
	env, url := newProjectEnv(t)
	isolate(t)
	down := "postgres://nobody@127.0.0.1:1/none?connect_timeout=2&sslmode=disable"

	// nothing applied yet: every migration pending, --exit-code exits 1
	pend, doc, code := jsonRun(t, env, "migrate", "status", "--exit-code", "--db-url", url)
	if code != 1 || doc["ok"] != false || doc["version"] != nil || doc["pending"].(float64) < 1 {
		t.Errorf("pending: exit %d %v", code, doc)
	}
	if r := run(t, env, "", "migrate", "up", "--db-url", url); r.err != nil {
		t.Fatal(r.errOut)
	}
	upKeys, doc, code := jsonRun(t, env, "migrate", "status", "--exit-code", "--db-url", url)
	ms, _ := doc["migrations"].([]any)
	if code != 0 || doc["ok"] != true || doc["error"] != nil || doc["pending"] != 0.0 || len(ms) == 0 || doc["version"] == nil {
		t.Errorf("applied: exit %d %v", code, doc)
	}
	downKeys, doc, code := jsonRun(t, env, "migrate", "status", "--db-url", down)
	if code != 1 || doc["ok"] != false || doc["error"] == nil || doc["migrations"] != nil {
		t.Errorf("unreachable: exit %d %v", code, doc)
	}
	if !slices.Equal(pend, upKeys) || !slices.Equal(upKeys, downKeys) {
		t.Errorf("migrate status keys differ: %v / %v / %v", pend, upKeys, downKeys)
	}

	if r := run(t, env, "", "seed", "demo", "--db-url", url); r.err != nil {
		t.Fatal(r.errOut)
	}
	okKeys, doc, code := jsonRun(t, env, "user", "list", "--db-url", url)
	users, _ := doc["users"].([]any)
	if code != 0 || doc["ok"] != true || len(users) == 0 {
		t.Fatalf("user list: exit %d %v", code, doc)
	}
	u := users[0].(map[string]any)
	for _, k := range []string{"username", "role", "sessions", "can_log_in"} {
		if _, ok := u[k]; !ok {
			t.Errorf("user entry lacks %q: %v", k, u)
		}
	}
	failKeys, doc, code := jsonRun(t, env, "user", "list", "--db-url", down)
	if code != 1 || doc["ok"] != false || doc["error"] == nil || doc["users"] != nil {
		t.Errorf("user list unreachable: exit %d %v", code, doc)
	}
	if !slices.Equal(okKeys, failKeys) {
		t.Errorf("user list keys differ: %v / %v", okKeys, failKeys)
	}
}
