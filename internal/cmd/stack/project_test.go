package stack

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/authstack/authstack/internal/cmdutil"
)

// runCmd runs `stackctl <args>` with the stack commands, wired as
// cmd/stackctl wires them, in dir.
func runCmd(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	t.Chdir(dir)
	var out bytes.Buffer
	f := &cmdutil.Factory{In: strings.NewReader(""), Out: &out, ErrOut: &out, EnvFile: cmdutil.DefaultEnvFile}
	root := &cobra.Command{Use: "stackctl", SilenceUsage: true, SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error { return f.LoadEnv() }}
	root.AddCommand(NewCmds(f)...)
	root.SetArgs(args)
	root.SetOut(&out)
	err := root.Execute()
	return out.String(), err
}

// `up` outside a project fails before writing anything, .env included.
func TestUpOutsideProjectWritesNothing(t *testing.T) {
	dir := t.TempDir()
	out, err := runCmd(t, dir, "up", "--detach")
	if !errors.Is(err, cmdutil.ErrNoProject) || !strings.Contains(err.Error(), "caddy/Caddyfile") {
		t.Fatalf("up outside a project: %v\n%s", err, out)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("up outside a project wrote %d entries (first %s)", len(entries), entries[0].Name())
	}
}

// status and logs from a subdirectory read the project root's .stack.
func TestStatusAndLogsFromSubdirectory(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "caddy", "demo")
	logs := filepath.Join(root, ".stack", "logs")
	for _, d := range []string{sub, logs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(root, "caddy", "Caddyfile"): ":8000\n",
		filepath.Join(logs, "stack.log"):          "stack  | starting\nstackctl: marker-from-the-root-log\n",
		filepath.Join(logs, "caddy.log"):          "caddy line from the root\n",
	}
	for p, body := range files {
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runCmd(t, sub, "status")
	var ee *cmdutil.ExitError
	if !errors.As(err, &ee) || ee.Code != 3 || !strings.Contains(out, "marker-from-the-root-log") {
		t.Errorf("status from a subdirectory: %v\n%s", err, out)
	}
	out, err = runCmd(t, sub, "logs", "caddy", "-n", "5")
	if err != nil || !strings.Contains(out, "caddy line from the root") {
		t.Errorf("logs from a subdirectory: %v\n%s", err, out)
	}
}

// Every flag of every stack command reads as what it is: pflag turns a
// `quoted` word in a usage string into the flag's value name, which made
// the boolean --no-seed look like it takes an argument.
func TestFlagUsagesReadAsTheirType(t *testing.T) {
	for _, c := range NewCmds(&cmdutil.Factory{}) {
		c.Flags().VisitAll(func(fl *pflag.Flag) {
			name, _ := pflag.UnquoteUsage(fl)
			if fl.Value.Type() == "bool" && name != "" {
				t.Errorf("%s --%s: boolean flag shows a value name %q", c.Name(), fl.Name, name)
			}
		})
	}
}

func TestLogsRejectsNegativeTail(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "caddy"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "caddy", "Caddyfile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, root, "logs", "-n", "-3"); err == nil || !strings.Contains(err.Error(), "0 or more") {
		t.Errorf("logs -n -3: %v", err)
	}
}
