package throttle_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmd/throttle"
	"github.com/authstack/authstack/internal/cmdutil"
)

func runAt(url string, args ...string) (string, error) {
	var out bytes.Buffer
	f := &cmdutil.Factory{In: strings.NewReader(""), Out: &out, ErrOut: &out, EnvFile: os.DevNull}
	root := &cobra.Command{Use: "stackctl", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(throttle.NewCmd(f))
	root.SetArgs(append(append([]string{"throttle"}, args...), "--db-url", url))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// throttle status -o json has one set of keys with and without --user and
// when the database is unreachable; the exit
// status is text mode's.
func TestStatusJSONOneSchema(t *testing.T) {
	e := newEnv(t)
	down := "postgres://nobody@127.0.0.1:1/none?connect_timeout=2&sslmode=disable"
	var keys [][]string
	for _, c := range []struct {
		url  string
		args []string
		code int
	}{
		{e.url, []string{"status", "-o", "json"}, 0},
		{e.url, []string{"status", "--user", "demo", "-o", "json"}, 0},
		{down, []string{"status", "-o", "json"}, 1},
	} {
		out, err := runAt(c.url, c.args...)
		var doc map[string]any
		if jerr := json.Unmarshal([]byte(out), &doc); jerr != nil {
			t.Fatalf("%v: not JSON (%v): %s", c.args, jerr, out)
		}
		code := 0
		if err != nil {
			code = cmdutil.ExitCode(err)
		}
		if code != c.code || doc["ok"] != (c.code == 0) || (doc["error"] == nil) != (c.code == 0) {
			t.Errorf("%v: exit %d, %v", c.args, code, doc)
		}
		keys = append(keys, slices.Sorted(maps.Keys(doc)))
	}
	if !slices.Equal(keys[0], keys[1]) || !slices.Equal(keys[1], keys[2]) {
		t.Errorf("keys differ: %v", keys)
	}
}
