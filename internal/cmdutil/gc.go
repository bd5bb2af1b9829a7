package cmdutil

import (
	"os"
	"runtime/debug"
)

// Server GC defaults for the long-running servers (the engine, Caddy).
// Their live heaps are small (tens of MB) and every request allocates, so
// Go's default GOGC=100 collects every few hundred requests; GOGC=400
// measured 5–49% (median about 15%) more authenticated GETs per second on
// the engine alone (docs/stack.md, "Memory and GC"). The memory limit
// keeps a large live heap (a big schema cache) from growing five-fold:
// past it the collector runs as often as it must.
const (
	ServerGCPercent   = 400
	ServerMemoryLimit = 512 << 20
)

// TuneServerGC applies the server defaults unless the operator set GOGC
// or GOMEMLIMIT (which the Go runtime has then applied at start).
func TuneServerGC() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(ServerGCPercent)
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(ServerMemoryLimit)
	}
}
