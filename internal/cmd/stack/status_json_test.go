package stack

import (
	"encoding/json"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/stack"
)

// statusJSON runs `status -o json` in dir and returns the document's keys,
// the document and the exit status.
func statusJSON(t *testing.T, dir string) ([]string, map[string]any, int) {
	t.Helper()
	out, err := runCmd(t, dir, "status", "-o", "json")
	var doc map[string]any
	if jerr := json.Unmarshal([]byte(out), &doc); jerr != nil {
		t.Fatalf("status -o json is not one JSON document: %v\n%s", jerr, out)
	}
	code := 0
	if err != nil {
		code = cmdutil.ExitCode(err)
	}
	return slices.Sorted(maps.Keys(doc)), doc, code
}

func writeState(t *testing.T, stateDir string, st stack.State) {
	t.Helper()
	b, _ := json.Marshal(st)
	if err := os.WriteFile(filepath.Join(stateDir, "state.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// status -o json has the same keys running or not, ok and error say how it
// went, and the exit status is the text mode's (0, 1 unhealthy, 3 not running).
func TestStatusJSONSameKeys(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "caddy"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "caddy", "Caddyfile"), []byte(":8000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Join(root, ".stack")

	stopped, doc, code := statusJSON(t, root)
	if code != 3 || doc["ok"] != false || doc["running"] != false || doc["error"] == nil {
		t.Errorf("not running: exit %d, %v", code, doc)
	}
	if c, ok := doc["components"].([]any); !ok || len(c) != 0 {
		t.Errorf("not running: components = %#v, want []", doc["components"])
	}

	// A stack that runs: the lock held, a state naming a "pg" that accepts
	// connections (a listener of this test).
	lock, err := stack.TryLock(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pg := stack.Component{Name: stack.CompPG, PID: os.Getpid(), Port: ln.Addr().(*net.TCPAddr).Port}
	writeState(t, stateDir, stack.State{SupervisorPID: os.Getpid(), Status: "running", URL: "http://localhost:8000",
		Components: []stack.Component{pg}})
	healthy, doc, code := statusJSON(t, root)
	if code != 0 || doc["ok"] != true || doc["error"] != nil || doc["running"] != true || doc["healthy"] != true {
		t.Errorf("healthy: exit %d, %v", code, doc)
	}

	// api's readiness port answers nothing: unhealthy, exit 1
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadPort := dead.Addr().(*net.TCPAddr).Port
	dead.Close()
	api := stack.Component{Name: stack.CompAPI, PID: os.Getpid(), Port: deadPort, AdminPort: deadPort}
	writeState(t, stateDir, stack.State{SupervisorPID: os.Getpid(), Status: "running",
		Components: []stack.Component{pg, api}})
	unhealthy, doc, code := statusJSON(t, root)
	if code != 1 || doc["ok"] != false || doc["healthy"] != false || doc["error"] == nil {
		t.Errorf("unhealthy: exit %d, %v", code, doc)
	}
	if !slices.Equal(stopped, healthy) || !slices.Equal(healthy, unhealthy) {
		t.Errorf("keys differ:\nnot running %v\nhealthy     %v\nunhealthy   %v", stopped, healthy, unhealthy)
	}
}
