package stack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// up refuses a wrong --api-replicas or --pg-replicas before it writes
// anything (.env included), naming the bound or the reason.
func TestUpScaleFlagsRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--api-replicas", "0"}, "from 1 to 8"},
		{[]string{"--api-replicas", "9"}, "from 1 to 8"},
		{[]string{"--pg-replicas", "2"}, "0 or 1 standby"},
		{[]string{"--pg-replicas", "-1"}, "0 or 1 standby"},
		{[]string{"--docker", "--pg-replicas", "1"}, "native stack"},
	} {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "caddy"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "caddy", "Caddyfile"), []byte(":8000\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := runCmd(t, root, append([]string{"up", "--detach"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("up %v: %v, want %q\n%s", tc.args, err, tc.want, out)
		}
		if _, err := os.Stat(filepath.Join(root, ".env")); err == nil {
			t.Errorf("up %v wrote .env", tc.args)
		}
		if _, err := os.Stat(filepath.Join(root, ".stack")); err == nil {
			t.Errorf("up %v created .stack", tc.args)
		}
	}
}
