package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkStackRead measures authenticated `GET /rest/task?select=*&limit=10`
// through the whole native stack (Caddy with jwtauth checking the
// access_token cookie and proxying to the engine) against the same request
// sent to the engine directly with the token as a Bearer header, at the
// same concurrency, in interleaved rounds; it reports both rates and their
// ratio (stack / engine):
//
//	go test ./internal/e2e -run '^$' -bench StackRead -benchtime 5000x
func BenchmarkStackRead(b *testing.B) {
	p := newProject(b)
	if out, code := p.run(3*time.Minute, "up", "--detach"); code != 0 {
		b.Fatalf("up: %s", out)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	cookie := floodLogin(b, client, p.base())
	token := strings.TrimPrefix(cookie, "access_token=")
	get := func(url, name, value string) func() error {
		return func() error {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set(name, value)
			res, err := client.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				return fmt.Errorf("%s: %d", url, res.StatusCode)
			}
			return nil
		}
	}
	stack := get(p.base()+"/rest/task?select=*&limit=10", "Cookie", cookie)
	engine := get(fmt.Sprintf("http://127.0.0.1:%d/task?select=*&limit=10", p.api), "Authorization", "Bearer "+token)
	for _, f := range []func() error{stack, engine} {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			rates := interleaveRounds(b, clients, stack, engine)
			b.ReportMetric(rates[0], "stack-req/s")
			b.ReportMetric(rates[1], "engine-req/s")
			b.ReportMetric(rates[0]/rates[1], "ratio")
		})
	}
}

// interleaveRounds runs each f b.N times with the given concurrency, in
// ten rounds that alternate between them, and returns their requests per
// second.
func interleaveRounds(b *testing.B, clients int, fs ...func() error) []float64 {
	run := func(f func() error, n int) time.Duration {
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
	b.ResetTimer()
	d := make([]time.Duration, len(fs))
	const rounds = 10
	for r := 0; r < rounds; r++ {
		n := max(b.N/rounds, 1)
		for i, f := range fs {
			d[i] += run(f, n)
		}
	}
	b.StopTimer()
	out := make([]float64, len(fs))
	for i := range fs {
		out[i] = float64(max(b.N/rounds, 1)*rounds) / d[i].Seconds()
	}
	return out
}
