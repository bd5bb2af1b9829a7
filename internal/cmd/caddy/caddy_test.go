package caddy

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/cmdutil"
)

// run executes `stackctl caddy <args>` and returns what Caddy printed on
// stdout (Caddy's commands print there directly) and the error.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	f := &cmdutil.Factory{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	cmd := NewCmd(f)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	runErr := cmd.Execute()
	w.Close()
	os.Stdout = old
	return <-done, runErr
}

func TestListModulesShowsJWT(t *testing.T) {
	out, err := run(t, "list-modules")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"http.authentication.providers.jwt", "http.handlers.reverse_proxy", "http.handlers.authentication"} {
		if !strings.Contains(out, want) {
			t.Errorf("list-modules lacks %s", want)
		}
	}
}

func TestAdaptProjectCaddyfile(t *testing.T) {
	t.Setenv("POSTGREST_UPSTREAM", "127.0.0.1:3999")
	out, err := run(t, "adapt", "--config", "../../../caddy/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"handler":"authentication"`, `"sign_key":"{env.JWT_SECRET}"`, `"dial":"127.0.0.1:3999"`} {
		if !strings.Contains(out, want) {
			t.Errorf("adapted JSON lacks %s", want)
		}
	}
}

func TestValidateNamesJWTSecret(t *testing.T) {
	t.Setenv("CADDY_ADMIN", "off")
	for value, want := range map[string]string{
		"":             "JWT_SECRET is not set or empty",
		"not_base64!!": "JWT_SECRET is not valid base64",
	} {
		t.Setenv("JWT_SECRET", value)
		_, err := run(t, "validate", "--config", "../../../caddy/Caddyfile")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("JWT_SECRET=%q: error %v, want %q", value, err, want)
		}
		if cmdutil.ExitCode(err) == 0 {
			t.Errorf("JWT_SECRET=%q: exit code 0", value)
		}
	}
	t.Setenv("JWT_SECRET", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=")
	out, err := run(t, "validate", "--config", "../../../caddy/Caddyfile")
	if err != nil {
		t.Fatalf("valid secret: %v", err)
	}
	if !strings.Contains(out, "Valid configuration") {
		t.Fatalf("validate printed %q", out)
	}
}
