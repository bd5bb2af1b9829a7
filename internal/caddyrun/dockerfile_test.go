package caddyrun_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfilePinsMatchGoMod fails when caddy/Dockerfile builds a Caddy
// other than the one go.mod (and so this binary) uses, or another caddy-jwt.
func TestDockerfilePinsMatchGoMod(t *testing.T) {
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/caddyserver/caddy/v2 (v\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod does not require github.com/caddyserver/caddy/v2")
	}
	caddyVersion := string(m[1])
	bare := strings.TrimPrefix(caddyVersion, "v")

	df, err := os.ReadFile("../../caddy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(df)
	checks := []struct {
		what string
		re   *regexp.Regexp
		want string
	}{
		{"builder image", regexp.MustCompile(`(?m)^FROM\s+caddy:(\S+)-builder\b`), bare},
		{"runtime image", regexp.MustCompile(`(?m)^FROM\s+caddy:(\S+)\s*$`), bare},
		{"xcaddy build version", regexp.MustCompile(`xcaddy build\s+(v\S+)`), caddyVersion},
		{"caddy-jwt", regexp.MustCompile(`--with\s+github\.com/ggicci/caddy-jwt@(\S+)`), "v1.1.1"},
	}
	for _, c := range checks {
		all := c.re.FindAllStringSubmatch(text, -1)
		if len(all) == 0 {
			t.Errorf("caddy/Dockerfile: no %s pin found", c.what)
			continue
		}
		for _, m := range all {
			if m[1] != c.want {
				t.Errorf("caddy/Dockerfile %s is %s, go.mod has %s", c.what, m[1], c.want)
			}
		}
	}
	for _, f := range []string{"Caddyfile", "debug-on.caddy", "debug-off.caddy", "demo/"} {
		if !strings.Contains(text, f) {
			t.Errorf("caddy/Dockerfile does not copy %s", f)
		}
	}
}
