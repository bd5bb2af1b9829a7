package stack

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// DockerCommands are what `stackctl up --docker` runs, in order, from the
// project directory: build and start compose.yaml (its one-shot migrate
// service migrates and seeds inside the network), then, once the gateway
// answers, `stackctl migrate up` and `stackctl seed demo` from the host
// against the published PostgreSQL port, so the host's stackctl and the
// database agree. The last two run with DATABASE_URL = DockerDatabaseURL.
func DockerCommands(exe string, noSeed bool) [][]string {
	cmds := [][]string{
		{"docker", "compose", "up", "-d", "--build"},
		{exe, "migrate", "up", "--wait"},
	}
	if !noSeed {
		cmds = append(cmds, []string{exe, "seed", "demo"})
	}
	return cmds
}

// DockerDownCommand is what `stackctl down --docker` runs.
func DockerDownCommand(volumes bool) []string {
	cmd := []string{"docker", "compose", "down"}
	if volumes {
		cmd = append(cmd, "--volumes")
	}
	return cmd
}

// DockerDatabaseURL is the superuser URL of the compose stack's database
// from the host (compose.yaml publishes it on 127.0.0.1:STACK_PG_PORT).
func (c *Config) DockerDatabaseURL() string { return c.DatabaseURL() }

// DockerHealthURL is polled after `docker compose up` (compose.yaml
// publishes Caddy on 127.0.0.1:STACK_HTTP_PORT, default 8000).
func (c *Config) DockerHealthURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/healthz", c.HTTPPort)
}

// dockerProbeTimeout bounds each of CheckDocker's probes.
const dockerProbeTimeout = 10 * time.Second

// CheckDocker says in one line what is missing before `up --docker` or
// `down --docker` tries anything: the docker CLI, its Compose v2 plugin,
// or a Docker engine that answers.
func CheckDocker(ctx context.Context) error {
	const native = "or run the native stack with `stackctl up`"
	if _, err := exec.LookPath("docker"); err != nil {
		return fmt.Errorf("--docker needs Docker, and there is no docker command on PATH: install Docker Engine with the Compose plugin, %s", native)
	}
	probe := func(args ...string) (string, error) {
		pctx, cancel := context.WithTimeout(ctx, dockerProbeTimeout)
		defer cancel()
		out, err := exec.CommandContext(pctx, "docker", args...).CombinedOutput()
		return firstLine(string(out)), err
	}
	if out, err := probe("compose", "version"); err != nil {
		return fmt.Errorf("--docker needs Docker Compose v2 (`docker compose version` failed: %s): install the docker-compose-plugin package, %s", orErr(out, err), native)
	}
	if out, err := probe("info", "--format", "{{.ServerVersion}}"); err != nil {
		return fmt.Errorf("--docker needs a running Docker engine (`docker info` failed: %s): start it (e.g. `sudo systemctl start docker`), %s", orErr(out, err), native)
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func orErr(out string, err error) string {
	if out != "" {
		return out
	}
	return err.Error()
}
