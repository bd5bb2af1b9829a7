package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/benchrun"
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
			rates := benchrun.Rates(b, benchrun.Interleave(b, clients, 10, stack, engine))
			b.ReportMetric(rates[0], "stack-req/s")
			b.ReportMetric(rates[1], "engine-req/s")
			b.ReportMetric(rates[0]/rates[1], "ratio")
		})
	}
}
