package caddyrun_test

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	authstack "github.com/authstack/authstack/internal/stack"
)

// Real access-log lines of the project's Caddyfile, through the foreground
// stream of `stackctl up` (stack.Mux): shown as "status method uri
// duration", the URI cut at 200 characters.
func TestAccessLogInTheConsoleStream(t *testing.T) {
	st := startProject(t, nil)
	long := "/rest/task?q=" + strings.Repeat("b", 500)
	for _, p := range []string{"/rest/task", long} {
		if res := st.do(t, call{path: p}); res.status != 401 {
			t.Fatalf("%s: status %d", p[:10], res.status)
		}
	}
	deadline := time.Now().Add(5 * time.Second) // the log is written after the response
	for len(accessLines(t, st.logFile)) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	raw, err := os.ReadFile(st.logFile)
	if err != nil {
		t.Fatal(err)
	}
	var out, file bytes.Buffer
	w := authstack.NewMux(&out).Writer(authstack.CompCaddy, &file)
	_, _ = w.Write(raw)
	w.Flush()
	var access []string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "caddy  | 401 GET ") {
			access = append(access, l)
		}
	}
	if len(access) != 2 {
		t.Fatalf("want 2 shortened access lines, got:\n%.2000s", out.String())
	}
	if !strings.HasPrefix(access[0], "caddy  | 401 GET /rest/task ") || !strings.HasSuffix(access[0], "ms") {
		t.Errorf("short line %q", access[0])
	}
	if len(access[1]) > 260 || !strings.Contains(access[1], "/rest/task?q=bbbb") || !strings.Contains(access[1], "…") {
		t.Errorf("long URI shown as %d bytes: %q", len(access[1]), access[1])
	}
	if strings.Contains(out.String(), `"resp_headers"`) || file.String() != string(raw) {
		t.Error("JSON left in the stream, or the file copy changed")
	}
}
