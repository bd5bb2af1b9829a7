package version

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/cmdutil"
)

func TestDescribe(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "3f2a1c9b0d4e5f60718293a4b5c6d7e8f9012345"},
		{Key: "vcs.time", Value: "2026-12-02T10:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	if got, want := describe(bi), "v1.2.0 (revision 3f2a1c9b0d4e, 2026-12-02T10:00:00Z, modified) go1.26.8"; got != want {
		t.Errorf("describe = %q, want %q", got, want)
	}
	if got := describe(&debug.BuildInfo{GoVersion: "go1.26.8"}); got != "(devel) go1.26.8" {
		t.Errorf("no version, no VCS: %q", got)
	}
}

func TestVersionCommand(t *testing.T) {
	var out bytes.Buffer
	cmd := NewCmd(&cmdutil.Factory{Out: &out})
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "stackctl ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("version prints %q", out.String())
	}
	cmd.SetArgs([]string{"extra"})
	if err := cmd.Execute(); err == nil {
		t.Error("version accepted an argument")
	}
}
