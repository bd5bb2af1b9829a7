package stack

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeDocker puts a `docker` on PATH that fails the subcommand named by
// failOn (when not empty) and succeeds otherwise.
func fakeDocker(t *testing.T, failOn string) {
	t.Helper()
	bin := t.TempDir()
	script := "#!/bin/sh\n"
	if failOn != "" {
		script += "case \"$1\" in " + failOn + ") echo \"" + failOn + ": simulated failure\" >&2; exit 1;; esac\n"
	}
	script += "exit 0\n"
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":/usr/bin:/bin")
}

func TestCheckDockerSaysWhatIsMissing(t *testing.T) {
	t.Run("no docker", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		err := CheckDocker(context.Background())
		if err == nil || !strings.Contains(err.Error(), "no docker command on PATH") || strings.Contains(err.Error(), "\n") {
			t.Errorf("got %v", err)
		}
	})
	for _, c := range []struct{ failOn, want string }{
		{"compose", "Docker Compose v2"},
		{"info", "running Docker engine"},
	} {
		t.Run(c.failOn, func(t *testing.T) {
			fakeDocker(t, c.failOn)
			err := CheckDocker(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "simulated failure") || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v, want one line with %q and the probe's output", err, c.want)
			}
		})
	}
	t.Run("all there", func(t *testing.T) {
		fakeDocker(t, "")
		if err := CheckDocker(context.Background()); err != nil {
			t.Errorf("got %v", err)
		}
	})
}
