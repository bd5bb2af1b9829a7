package stack

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Command is how the user can call this stackctl again: "stackctl" when
// that is it on PATH, "bin/stackctl" (relative) inside the project, "go run
// ./cmd/stackctl" for a `go run` build, else its absolute path.
func (c *Config) Command() string {
	if c.Exe == "" {
		return "stackctl"
	}
	if p, err := exec.LookPath("stackctl"); err == nil && sameFile(p, c.Exe) {
		return "stackctl"
	}
	if rel, err := filepath.Rel(c.Dir, c.Exe); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	if strings.Contains(c.Exe, "go-build") {
		return "go run ./cmd/stackctl"
	}
	return c.Exe
}

func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// CurlFlows are the guide's curl flows, fixed for curl 7.88 (`-i` instead
// of `--show-headers`, `\` continuations, a cookie jar instead of pasting
// tokens), against base (e.g. http://localhost:8000). README.md carries the
// same block; a test keeps the two equal.
func CurlFlows(base string) string {
	return strings.ReplaceAll(`# log in as the demo user: 204, two HttpOnly cookies saved in cookies.txt
curl -i -c cookies.txt -X POST \
  -H 'Content-Profile: auth' \
  -H 'Content-Type: application/json' \
  --data '{"user_": "demo", "pass": "demo"}' \
  http://localhost:8000/rpc/login

# an authenticated request: Caddy turns the access_token cookie into a Bearer token
curl -i -b cookies.txt http://localhost:8000/rest/task

# without the cookie Caddy answers 401
curl -i http://localhost:8000/rest/task

# a new access token from the refresh token (sent only to /rpc/refresh_token)
curl -i -b cookies.txt -c cookies.txt -X POST \
  -H 'Content-Profile: auth' \
  http://localhost:8000/rpc/refresh_token

# log out: both cookies are cleared (Max-Age=0) and this session ends (its refresh tokens revoked)
curl -i -b cookies.txt -c cookies.txt -X POST \
  -H 'Content-Profile: auth' \
  http://localhost:8000/rpc/logout

# curl 7.88 does not rewrite a jar that became empty: delete it yourself
rm -f cookies.txt
`, "http://localhost:8000", base)
}

// PrintBanner writes what `stackctl up` prints once the stack is healthy.
func PrintBanner(w io.Writer, c *Config, st *State, detached bool) {
	fmt.Fprintf(w, "\nThe stack is up (project %s):\n", c.Dir)
	fmt.Fprintf(w, "  gateway (Caddy)     %s      demo page %s/demo/   health %s/healthz\n", c.BaseURL(), c.BaseURL(), c.BaseURL())
	fmt.Fprintf(w, "  API (PostgREST)     http://127.0.0.1:%d   admin http://127.0.0.1:%d/ready\n", c.APIPort, c.AdminPort)
	if engines := c.Engines(); len(engines) > 1 {
		var hosts []string
		for _, e := range engines {
			hosts = append(hosts, e.Name+" "+e.Host)
		}
		fmt.Fprintf(w, "                      %d engines, same ports: %s\n", len(engines), strings.Join(hosts, ", "))
	}
	fmt.Fprintf(w, "  PostgreSQL          127.0.0.1:%d database %s (user postgres, password POSTGRES_PASSWORD in .env)\n", c.PGPort, c.DBName)
	if c.PGReplicas > 0 {
		fmt.Fprintf(w, "  standby (reads)     127.0.0.1:%d, streaming from the primary; GET/HEAD /rest/* go to api-read\n", c.ReplicaPGPort)
	}
	fmt.Fprintf(w, "  logs                %s\n\n", LogDir(c.StateDir))
	fmt.Fprintf(w, "Try the guide's flows (demo user demo/demo):\n\n%s\n", CurlFlows(c.BaseURL()))
	sc := c.Command()
	fmt.Fprintf(w, "Prove it end to end: %s smoke-test --url %s\n", sc, c.BaseURL())
	if detached {
		fmt.Fprintf(w, "Running in the background: %[1]s status | %[1]s logs [-f] | %[1]s down\n", sc)
	} else {
		fmt.Fprintf(w, "Press Ctrl-C to stop the stack.\n\n")
	}
}
