package stack

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "caddy")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckCaddyBinary(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, body, want string
	}{
		{"jwt", "printf 'http.handlers.file_server\\nhttp.authentication.providers.jwt\\n'\n", ""},
		{"jwt with --versions style", "echo 'http.authentication.providers.jwt v1.1.1'\n", ""},
		{"no jwt", "echo http.handlers.file_server\n", "has no " + JWTModule},
		// a module whose ID only starts like the JWT one is not it
		{"prefix only", "echo http.authentication.providers.jwtx\n", "has no " + JWTModule},
		{"fails", "echo 'Error: unknown command' >&2; exit 3\n", "exit status 3: Error: unknown command"},
		{"huge output", "yes http.handlers.file_server | head -c 3000000\n", "has no " + JWTModule},
	} {
		err := CheckCaddyBinary(ctx, writeScript(t, tc.body), 30*time.Second)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one with %q", tc.name, err, tc.want)
		}
	}
}

// A binary that never finishes list-modules is refused, and the children
// of a wrapper script are killed with it.
func TestCheckCaddyBinaryBounded(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	bin := writeScript(t, "sleep 300 &\necho $! > "+pidFile+"\nwait\n")
	err := CheckCaddyBinary(context.Background(), bin, 500*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Fatalf("hanging list-modules: %v", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(10 * time.Second)
	for Alive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if Alive(pid) {
		t.Errorf("the script's child %d outlived the check", pid)
	}
}
