// Package benchrun runs the project's comparative benchmarks: variants of
// one workload (the engine and a raw pgx baseline, a stack with and
// without a setting, …) measured in the same run, interleaved in rounds so
// that each sees the same machine load, and reported as ratios
// (docs/postgrest.md, "Performance"). Machines here are noisy: a figure is
// only meaningful against a baseline measured alongside it.
package benchrun

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Interleave runs each f b.N times in total with the given concurrency, in
// the given number of rounds; every round runs each f once, the first one
// rotating from round to round. It returns each f's total time; the
// benchmark's timer covers only the rounds.
func Interleave(b *testing.B, clients, rounds int, fs ...func() error) []time.Duration {
	b.Helper()
	b.ResetTimer()
	d := make([]time.Duration, len(fs))
	for r := 0; r < rounds; r++ {
		n := b.N / rounds
		if r == rounds-1 {
			n = b.N - n*(rounds-1)
		}
		if n == 0 {
			continue
		}
		for k := range fs {
			i := (r + k) % len(fs)
			d[i] += Run(b, clients, n, fs[i])
		}
	}
	b.StopTimer()
	return d
}

// Rates turns Interleave's times into requests per second.
func Rates(b *testing.B, d []time.Duration) []float64 {
	out := make([]float64, len(d))
	for i := range d {
		out[i] = float64(b.N) / d[i].Seconds()
	}
	return out
}

// Run calls f n times from the given number of goroutines and returns the
// wall time; the first error ends the benchmark.
func Run(b *testing.B, clients, n int, f func() error) time.Duration {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := f(); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	return time.Since(start)
}
