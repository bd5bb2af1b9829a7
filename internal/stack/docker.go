package stack

import "fmt"

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
