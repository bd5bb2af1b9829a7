package cmdutil

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

func TestTuneServerGC(t *testing.T) {
	prevPct := debug.SetGCPercent(100)
	prevLim := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(prevPct); debug.SetMemoryLimit(prevLim) })

	for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
		if v, ok := os.LookupEnv(k); ok {
			t.Cleanup(func() { os.Setenv(k, v) })
			os.Unsetenv(k)
		}
	}
	TuneServerGC()
	if got := debug.SetGCPercent(100); got != ServerGCPercent {
		t.Errorf("GC percent %d, want %d", got, ServerGCPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != ServerMemoryLimit {
		t.Errorf("memory limit %d, want %d", got, ServerMemoryLimit)
	}

	// The operator's values win (the runtime applied them at start).
	t.Setenv("GOGC", "100")
	t.Setenv("GOMEMLIMIT", "1GiB")
	TuneServerGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: GC percent changed to %d", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set: memory limit changed to %d", got)
	}
}
