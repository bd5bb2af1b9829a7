package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docCurlBlock returns the curl block of README.md: the fenced block with
// the login command.
func docCurlBlock(t *testing.T) (string, string) {
	t.Helper()
	for _, f := range []string{"README.md"} {
		b, err := os.ReadFile(filepath.Join(repoRoot(), f))
		if err != nil {
			continue
		}
		for _, blk := range regexp.MustCompile("(?s)```(?:sh|bash|shell)\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
			if strings.Contains(blk[1], "curl -i -c cookies.txt") && strings.Contains(blk[1], "/rpc/login") {
				return f, blk[1]
			}
		}
	}
	t.Fatal("README.md has no curl block (```sh with `curl -i -c cookies.txt ... /rpc/login`)")
	return "", ""
}

// commands joins `\` continuations and drops comments and blank lines.
func commands(block string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(block, "\n") {
		trim := strings.TrimSpace(line)
		if cur.Len() == 0 && (trim == "" || strings.HasPrefix(trim, "#")) {
			continue
		}
		if strings.HasSuffix(trim, "\\") {
			cur.WriteString(strings.TrimSuffix(trim, "\\") + " ")
			continue
		}
		cur.WriteString(trim)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

func runDocCurl(t *testing.T, p *project) {
	file, block := docCurlBlock(t)
	cmds := commands(block)
	if len(cmds) < 5 {
		t.Fatalf("%s: only %d commands in the curl block", file, len(cmds))
	}
	statusRe := regexp.MustCompile(`(?m)^HTTP/1\.1 (\d{3})`)
	for _, c := range cmds {
		if c == "rm -f cookies.txt" {
			if err := os.Remove(filepath.Join(p.dir, "cookies.txt")); err != nil {
				t.Errorf("%s: %s: %v", file, c, err)
			}
			continue
		}
		if !strings.HasPrefix(c, "curl ") {
			t.Errorf("%s: not a curl command: %s", file, c)
			continue
		}
		want := 0
		switch {
		case strings.Contains(c, "/rpc/login"), strings.Contains(c, "/rpc/refresh_token"), strings.Contains(c, "/rpc/logout"):
			want = 204
		case strings.Contains(c, "/rest/task") && strings.Contains(c, "-b cookies.txt"):
			want = 200
		case strings.Contains(c, "/rest/task"):
			want = 401
		}
		run := strings.ReplaceAll(c, "http://localhost:8000", p.base())
		cmd := exec.Command("bash", "-c", run)
		cmd.Dir = p.dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s: %s: %v\n%s", file, c, err, out)
			continue
		}
		m := statusRe.FindSubmatch(out)
		if m == nil {
			t.Errorf("%s: %s: no HTTP status line in the output (is -i there?)", file, c)
			continue
		}
		if got, _ := strconv.Atoi(string(m[1])); want != 0 && got != want {
			t.Errorf("%s: %s: HTTP %d, want %d\n%s", file, c, got, want, redact(out))
		}
		if strings.Contains(c, "/rpc/login") && bytes.Count(out, []byte("Set-Cookie:"))+bytes.Count(out, []byte("set-cookie:")) != 2 {
			t.Errorf("%s: login did not set two cookies:\n%s", file, redact(out))
		}
	}
	if _, err := os.Stat(filepath.Join(p.dir, "cookies.txt")); !os.IsNotExist(err) {
		t.Errorf("the curl flow leaves cookies.txt behind")
	}
}

func redact(b []byte) string {
	return regexp.MustCompile(`eyJ[\w-]*\.[\w-]*\.[\w-]*`).ReplaceAllString(string(b), "<token>")
}
