package migrate_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/cmd/migrate"
	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/migrations"
	"github.com/authstack/authstack/internal/pgserver"
)

// The runs against a real database are in internal/cmd/dbcmds; these are
// the parts of each subcommand that must work before (or without) one.

// run executes `migrate <args>`; its --db-url is a port nothing listens
// on, so an error that is not about the arguments is a connection error.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	port, err := pgserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	f := &cmdutil.Factory{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, EnvFile: filepath.Join(t.TempDir(), ".env")}
	cmd := migrate.NewCmd(f)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true // as cmd/stackctl's root does
	cmd.SetArgs(append(args, "--db-url", fmt.Sprintf("postgres://postgres@127.0.0.1:%d/app?connect_timeout=1", port)))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// Bad arguments are refused before the database is reached, and the error
// names the argument or the flag that fixes it.
func TestArgumentsCheckedFirst(t *testing.T) {
	t.Setenv("JWT_SECRET", "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"up", "x"}, `"x"`},
		{[]string{"up", "0"}, `"0"`},
		{[]string{"down", "x"}, `"x"`},
		{[]string{"down"}, "--yes"},
		{[]string{"force"}, "force -1"},
		{[]string{"force", "x"}, `"x"`},
		{[]string{"force", "-1", "2"}, "force V"},
		{[]string{"force", "-2"}, "V must be a migration version or -1"},
		{[]string{"status", "-o", "yaml"}, "yaml"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := run(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "connect") {
				t.Errorf("error %v, want one naming %s before any connection", err, tc.want)
			}
		})
	}
}

// up checks the secrets before it connects, and says how to make them.
func TestUpWithoutSecret(t *testing.T) {
	t.Setenv("JWT_SECRET", "")
	os.Unsetenv("JWT_SECRET")
	_, err := run(t, "up")
	if !errors.Is(err, migrations.ErrSecretMissing) || !strings.Contains(err.Error(), ".env was not found") {
		t.Errorf("up without JWT_SECRET: %v", err)
	}
}

// The commands that need the database fail with the connection error.
func TestNoDatabase(t *testing.T) {
	t.Setenv("JWT_SECRET", "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=")
	for _, args := range [][]string{{"up"}, {"down", "1"}, {"version"}, {"status"}, {"force", "1"}, {"force", "-1"}} {
		if out, err := run(t, args...); err == nil || !strings.Contains(err.Error(), "127.0.0.1") || out != "" {
			t.Errorf("%v without a database: %v, output %q", args, err, out)
		}
	}
}

// create numbers the pair after the highest version in --path; without
// --path it writes into postgres/migrations and says the binary embeds them.
func TestCreate(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"add_things", "more_things"} {
		out, err := run(t, "create", name, "--path", dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, suffix := range []string{".up.sql", ".down.sql"} {
			p := filepath.Join(dir, fmt.Sprintf("%04d_%s%s", i+1, name, suffix))
			if _, err := os.Stat(p); err != nil || !strings.Contains(out, p) {
				t.Errorf("create %s: %s not written or not reported (%v):\n%s", name, p, err, out)
			}
		}
		if strings.Contains(out, "note:") {
			t.Errorf("create --path printed the note for embedded migrations:\n%s", out)
		}
	}
	if _, err := run(t, "create", "Bad-Name!", "--path", dir); err == nil {
		t.Error("a name that is not lower-case letters, digits and _ was accepted")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 4 {
		t.Errorf("%d files in --path, want the 4 of the two good names", len(entries))
	}

	missing := filepath.Join(dir, "missing")
	if _, err := run(t, "create", "y", "--path", missing); err == nil || !strings.Contains(err.Error(), "mkdir -p "+missing) {
		t.Errorf("create into a missing directory: %v, want the mkdir that fixes it", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("create into a missing directory made it: %v", err)
	}

	t.Chdir(t.TempDir())
	if err := os.MkdirAll(migrate.DefaultPath, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "create", "x")
	if err != nil || !strings.Contains(out, filepath.Join(migrate.DefaultPath, "0001_x.up.sql")) || !strings.Contains(out, "note:") {
		t.Errorf("create without --path: %v\n%s", err, out)
	}
}
