package cmdutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func makeProject(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "caddy", "demo"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ProjectMarker), []byte(":8000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestFindProjectFromSubdirectory(t *testing.T) {
	root := makeProject(t)
	sub := filepath.Join(root, "caddy", "demo")
	for _, dir := range []string{root, sub} {
		got, err := FindProject(dir)
		if err != nil || got != root {
			t.Errorf("FindProject(%s) = %q, %v; want %s", dir, got, err, root)
		}
	}
	_, err := FindProject(t.TempDir())
	if !errors.Is(err, ErrNoProject) || !strings.Contains(err.Error(), "caddy/Caddyfile") {
		t.Errorf("outside a project: %v", err)
	}
}

// From a subdirectory, the default .env is the project root's.
func TestLoadEnvFromSubdirectory(t *testing.T) {
	root := makeProject(t)
	if err := os.WriteFile(filepath.Join(root, ".env"), []byte("AUTHSTACK_TEST_FROM_ROOT=yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(root, "caddy", "demo"))
	t.Setenv("AUTHSTACK_TEST_FROM_ROOT", "")
	os.Unsetenv("AUTHSTACK_TEST_FROM_ROOT")
	f := &Factory{EnvFile: DefaultEnvFile}
	if err := f.LoadEnv(); err != nil {
		t.Fatal(err)
	}
	if !f.EnvFound() || f.EnvFile != filepath.Join(root, ".env") || os.Getenv("AUTHSTACK_TEST_FROM_ROOT") != "yes" {
		t.Errorf("EnvFile=%s found=%v value=%q", f.EnvFile, f.EnvFound(), os.Getenv("AUTHSTACK_TEST_FROM_ROOT"))
	}
}
