package stack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// logs with several components prints each file's lines prefixed, one file
// after the other; an unknown component is an error naming the valid ones.
func TestLogsSeveralComponents(t *testing.T) {
	root := t.TempDir()
	logs := filepath.Join(root, ".stack", "logs")
	if err := os.MkdirAll(filepath.Join(root, "caddy"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(logs, 0o700); err != nil {
		t.Fatal(err)
	}
	for p, body := range map[string]string{
		filepath.Join(root, "caddy", "Caddyfile"): ":8000\n",
		filepath.Join(logs, "api.log"):            "a1\na2\na3\n",
		filepath.Join(logs, "caddy.log"):          "c1\nc2\n",
	} {
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runCmd(t, root, "logs", "api", "caddy", "-n", "2")
	want := "api    | a2\napi    | a3\ncaddy  | c1\ncaddy  | c2\n"
	if err != nil || out != want {
		t.Errorf("logs api caddy -n 2: %v\n%q\nwant %q", err, out, want)
	}
	// one component: the file as it is, as before
	if out, err := runCmd(t, root, "logs", "caddy"); err != nil || out != "c1\nc2\n" {
		t.Errorf("logs caddy: %v %q", err, out)
	}
	out, err = runCmd(t, root, "logs", "api", "nginx")
	if err == nil || !strings.Contains(err.Error(), `"nginx"`) || out != "" {
		t.Errorf("unknown component: %v, printed %q", err, out)
	}
	for _, name := range []string{"stack", "pg", "pg-replica", "migrate", "api", "api-2", "api-read", "caddy"} {
		if err != nil && !strings.Contains(err.Error(), name) {
			t.Errorf("unknown component: %q does not name %s", err, name)
		}
	}
	// the other engines' logs (up --api-replicas 2)
	if err := os.WriteFile(filepath.Join(logs, "api-2.log"), []byte("b1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, root, "logs", "api", "api-2", "-n", "1"); err != nil || out != "api    | a3\napi-2  | b1\n" {
		t.Errorf("logs api api-2: %v %q", err, out)
	}
	if _, err := runCmd(t, root, "logs", "api-9"); err == nil {
		t.Error("logs api-9: no error, but at most 8 engines run")
	}
	if _, err := runCmd(t, root, "logs", "api", "pg"); err == nil || !strings.Contains(err.Error(), "no pg log yet") {
		t.Errorf("missing pg log: %v", err)
	}
}
