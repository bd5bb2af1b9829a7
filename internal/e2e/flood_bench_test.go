package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkLoginFloodThroughCaddy measures authenticated GETs through the
// whole native stack, idle and while 200 connections post wrong passwords
// under fresh names, with the per-address throttle off (as for a flood from
// many addresses, so every login reaches bcrypt or its slot check), with Caddy's
// login bound on (LOGIN_MAX_INFLIGHT=4, the default) and off (0 = no
// bound). Reported as ratios to the idle figures of the same run:
//
//	go test ./internal/e2e -run '^$' -bench LoginFloodThroughCaddy -benchtime 1x
func BenchmarkLoginFloodThroughCaddy(b *testing.B) {
	for _, inflight := range []string{"4", "0"} {
		b.Run("inflight="+inflight, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				floodOnce(b, inflight)
			}
		})
	}
}

func floodOnce(b *testing.B, inflight string) {
	p := newProject(b)
	p.env = append(p.env, "LOGIN_MAX_INFLIGHT="+inflight, "PGRST_APP_SETTINGS_LOGIN_MAX_ATTEMPTS_ADDR=0")
	if out, code := p.run(3*time.Minute, "up", "--detach"); code != 0 {
		b.Fatalf("up: %s", out)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	cookie := floodLogin(b, client, p.base())
	get := func() time.Duration {
		req, _ := http.NewRequest(http.MethodGet, p.base()+"/rest/task?select=id&limit=10", nil)
		req.Header.Set("Cookie", cookie)
		t0 := time.Now()
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("GET: %d", res.StatusCode)
		}
		return time.Since(t0)
	}
	sample := func(n int) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = get()
			time.Sleep(10 * time.Millisecond)
		}
		slices.Sort(out)
		return out
	}
	idle := sample(100)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for c := 0; c < 200; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 10000; i++ {
				body := fmt.Sprintf(`{"user_": "flood_%d_%d", "pass": "wrong"}`, c, i)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.base()+"/rpc/login", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Content-Profile", "auth")
				res, err := client.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				mu.Lock()
				codes[res.StatusCode]++
				mu.Unlock()
			}
		}(c)
	}
	time.Sleep(3 * time.Second) // let the flood build up
	flood := sample(100)
	cancel()
	wg.Wait()
	q := func(d []time.Duration, f float64) float64 { return float64(d[int(f*float64(len(d)-1))]) }
	b.ReportMetric(q(idle, 0.5)/1e6, "idle-p50-ms")
	b.ReportMetric(q(flood, 0.5)/1e6, "flood-p50-ms")
	b.ReportMetric(q(flood, 0.5)/q(idle, 0.5), "p50-ratio")
	b.ReportMetric(q(flood, 0.99)/q(idle, 0.99), "p99-ratio")
	b.Logf("inflight=%s login answers during the flood: %v", inflight, codes)
}

// floodLogin signs in as demo and returns the access_token cookie.
func floodLogin(b *testing.B, client *http.Client, base string) string {
	req, _ := http.NewRequest(http.MethodPost, base+"/rpc/login", strings.NewReader(`{"user_": "demo", "pass": "demo"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Profile", "auth")
	res, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == "access_token" {
			return "access_token=" + c.Value
		}
	}
	b.Fatalf("login: %d, no access_token cookie", res.StatusCode)
	return ""
}
