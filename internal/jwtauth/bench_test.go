package jwtauth_test

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authstack/authstack/internal/caddyrun"
)

// BenchmarkGateway measures a request through real Caddy over HTTP on
// 127.0.0.1: the same static route with and without jwtauth (HS256 token
// in the access_token cookie, the stack's block). Both routes live in one
// config and one server, so the ratio jwtauth/baseline is the cost of
// authentication (parse, verify, claims, the INFO log line) relative to a
// plain request through Caddy.
func BenchmarkGateway(b *testing.B) {
	b.Setenv("BENCH_JWT_SECRET", secretB64)
	port := freePort(b)
	cf := fmt.Sprintf(`{
	admin off
	persist_config off
	log {
		output discard
	}
}
http://127.0.0.1:%d {
	handle /open {
		respond "ok" 200
	}
	handle /private {
		route {
			jwtauth {
				sign_key {env.BENCH_JWT_SECRET}
				sign_alg HS256
				from_cookies access_token
			}
			respond "ok" 200
		}
	}
}
`, port)
	cfg, _, err := caddyrun.AdaptBytes([]byte(cf), filepath.Join(b.TempDir(), "Caddyfile"))
	if err != nil {
		b.Fatal(err)
	}
	if err := caddy.Load(cfg, true); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = caddy.Stop() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitUp(b, base)

	tok := sqlToken("demo", time.Hour)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	get := func(b *testing.B, path string, withCookie bool, want int) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if withCookie {
			req.Header.Set("Cookie", "access_token="+tok)
		}
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			b.Fatalf("%s: status %d, want %d", path, res.StatusCode, want)
		}
	}
	// Same request (cookie included) on both routes; only jwtauth differs.
	// The two are interleaved request by request, so load changes on the
	// machine hit both alike; the ratio is reported as a metric.
	var open, private time.Duration
	for b.Loop() {
		t0 := time.Now()
		get(b, "/open", true, 200)
		t1 := time.Now()
		get(b, "/private", true, 200)
		open += t1.Sub(t0)
		private += time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(open.Nanoseconds())/n, "baseline-ns/req")
	b.ReportMetric(float64(private.Nanoseconds())/n, "jwtauth-ns/req")
	b.ReportMetric(float64(private)/float64(open), "jwtauth/baseline")
	b.ReportMetric(0, "ns/op") // an op is two requests; the metrics above are per request
}
