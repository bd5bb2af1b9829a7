package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The supervisor's component logs (what logFile opens) keep the previous
// run, are owner-only and stay bounded under a flood.
func TestSupervisorLogFiles(t *testing.T) {
	state := t.TempDir()
	if err := os.MkdirAll(LogDir(state), 0o755); err != nil {
		t.Fatal(err)
	}
	p := LogPath(state, CompCaddy)
	if err := os.WriteFile(p, []byte("previous run: caddy exited (signal: killed)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Supervisor{Config: &Config{StateDir: state}}
	w, err := s.logFile(CompCaddy)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, f := range s.files {
			f.Close()
		}
	}()
	fmt.Fprintln(w, "this run")
	logs, _ := filepath.Glob(filepath.Join(LogDir(state), "*"))
	var kept bool
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		kept = kept || strings.Contains(string(b), "previous run")
		if st, _ := os.Stat(l); st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", filepath.Base(l), st.Mode().Perm())
		}
	}
	if !kept {
		t.Errorf("the previous run's caddy.log was lost (files: %v)", logs)
	}

	// 60 MB of long access lines
	line := []byte(`{"logger":"http.log.access.log0","request":{"uri":"/rest/x?q=` + strings.Repeat("a", 60_000) + `"},"status":401}` + "\n")
	for n := 0; n < 60<<20; n += len(line) {
		if _, err := w.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	bound := int64(DefaultLogLimits.MaxMB<<20)*int64(DefaultLogLimits.Backups+1) + 1<<20
	var total int64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if total, _ = dirSize(t, LogDir(state)); total <= bound {
			break // surplus backups are removed in the background
		}
	}
	if total > bound {
		t.Fatalf("after a 60 MB flood the caddy logs take %d bytes, want at most %d", total, bound)
	}
}
