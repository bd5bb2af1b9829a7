package e2e

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/benchrun"
)

// BenchmarkPreRequestThroughCaddy measures what the db-pre-request function
// auth.check_session (the default PGRST_DB_PRE_REQUEST, migration 0007)
// costs on an authenticated `GET /rest/task?select=*&limit=10` through the
// whole native stack (Caddy with jwtauth, the engine, PostgreSQL): two
// stacks, one with PGRST_DB_PRE_REQUEST set empty (none), the same load
// interleaved in rounds. Reported as the time ratio with/without
// (1.05 = 5% slower):
//
//	go test ./internal/e2e -run '^$' -bench PreRequestThroughCaddy -benchtime 4000x
func BenchmarkPreRequestThroughCaddy(b *testing.B) {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	stacks := map[string]func() error{}
	for _, name := range []string{"with", "without"} {
		p := newProject(b)
		if name == "without" {
			p.env = append(p.env, "PGRST_DB_PRE_REQUEST=")
		}
		if out, code := p.run(3*time.Minute, "up", "--detach"); code != 0 {
			b.Fatalf("up: %s", out)
		}
		cookie := floodLogin(b, client, p.base())
		base := p.base()
		stacks[name] = func() error {
			req, _ := http.NewRequest(http.MethodGet, base+"/rest/task?select=*&limit=10", nil)
			req.Header.Set("Cookie", cookie)
			res, err := client.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				return fmt.Errorf("GET /rest/task: %d", res.StatusCode)
			}
			return nil
		}
		if err := stacks[name](); err != nil {
			b.Fatal(err)
		}
	}
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			d := benchrun.Interleave(b, clients, 30, stacks["with"], stacks["without"])
			dw, dwo := d[0], d[1]
			b.ReportMetric(float64(b.N)/dw.Seconds(), "with-req/s")
			b.ReportMetric(float64(b.N)/dwo.Seconds(), "without-req/s")
			b.ReportMetric(dw.Seconds()/dwo.Seconds(), "with/without")
		})
	}
}
