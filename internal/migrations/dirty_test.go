package migrations

import (
	"strings"
	"testing"
)

// The hint for a dirty first migration gives a form that works (-1: no
// version), never "force 0", which no migration has.
func TestDirtyHintPreviousVersion(t *testing.T) {
	for v, want := range map[int]string{1: "`stackctl migrate force -1`", 3: "`stackctl migrate force 2`"} {
		msg := (&DirtyError{Version: v}).Error()
		if !strings.Contains(msg, want) || strings.Contains(msg, "force 0") {
			t.Errorf("dirty at %d: %q, want %s", v, msg, want)
		}
	}
}
