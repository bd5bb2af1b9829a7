package smoketest

import (
	"bytes"
	"encoding/json"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
)

// With no gateway listening, smoke-test -o json still prints the success
// case's keys (ok false, the error), nothing on stderr, and exits 1.
func TestJSONWhenUnreachable(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("DATABASE_URL", "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	var out, errOut bytes.Buffer
	f := &cmdutil.Factory{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, EnvFile: os.DevNull}
	root := &cobra.Command{Use: "stackctl", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(NewCmd(f))
	root.SetArgs([]string{"smoke-test", "--url", url, "-o", "json"})
	err = root.Execute()
	if cmdutil.ExitCode(err) != 1 || err == nil {
		t.Errorf("exit: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON (%v): %s", err, out.String())
	}
	// the keys of a run that reached the gateway
	b, _ := json.Marshal(report{})
	var full map[string]any
	_ = json.Unmarshal(b, &full)
	if got, want := slices.Sorted(maps.Keys(doc)), slices.Sorted(maps.Keys(full)); !slices.Equal(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
	if doc["ok"] != false || doc["error"] == nil || doc["url"] != url || errOut.Len() != 0 {
		t.Errorf("unreachable: %v; stderr %q", doc, errOut.String())
	}
}
