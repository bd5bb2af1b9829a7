package postgrest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/migrations"
)

// BenchmarkLoginFlood measures what a wrong-password login flood does to
// other users: authenticated `GET /task` latency (p50, p99) while 200
// connections post wrong passwords to /rpc/login, as ratios to the same
// GETs on the idle engine, measured in the same run. "before" runs the
// schema without migration 0006 (bcrypt in every pooled connection),
// "after…" with it (defaults: login_max_concurrency 2, no wait; then
// other settings). The throttle limits
// are off (0) so that every flood request checks a password. Run with
// -benchtime=1x: each run takes fixed samples, b.N is not used.
func BenchmarkLoginFlood(b *testing.B) {
	for _, v := range []struct{ name, conc, waitMS string }{
		{"before", "", ""}, {"after", "", ""}, {"after-wait20ms", "", "20"}, {"after-conc1", "1", ""},
	} {
		variant := v.name
		b.Run(variant, func(b *testing.B) {
			e := newFloodEngine(b, variant == "before", v.conc, v.waitMS)
			key := flowKey()
			tok := sign(b, key, nil, map[string]any{"role": "basic_subscriber", "sub": "alice", "exp": time.Now().Unix() + 3600})
			get := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			idle := sampleGets(b, get, e.url, tok, 100, time.Minute)
			stop, statuses := startFlood(e.url, 200)
			time.Sleep(500 * time.Millisecond) // let the flood fill the pool
			flood := sampleGets(b, get, e.url, tok, 100, 40*time.Second)
			got := stop()
			b.ReportMetric(float64(pct(idle, 50).Microseconds())/1000, "idle-p50-ms")
			b.ReportMetric(float64(pct(idle, 99).Microseconds())/1000, "idle-p99-ms")
			b.ReportMetric(float64(pct(flood, 50))/float64(pct(idle, 50)), "p50-ratio")
			b.ReportMetric(float64(pct(flood, 99))/float64(pct(idle, 99)), "p99-ratio")
			b.ReportMetric(float64(got[504]), "login-504s")
			b.Logf("%s: idle p50 %v p99 %v; flood (%d GETs) p50 %v p99 %v; login answers %v",
				variant, pct(idle, 50), pct(idle, 99), len(flood), pct(flood, 50), pct(flood, 99), statuses())
		})
	}
}

// newFloodEngine starts the engine; conc and waitMS, when not "", set
// login_max_concurrency and login_concurrency_wait_ms.
func newFloodEngine(b *testing.B, before bool, conc, waitMS string) *engine {
	return newEngineSetup(b, func(ctx context.Context, db string, pool *pgxpool.Pool) {
		if err := migrations.Up(ctx, db, map[string]string{"JWT_SECRET": flowSecret, "AUTHENTICATOR_PASSWORD": "authpw"}); err != nil {
			b.Fatal(err)
		}
		if err := authdb.AddUser(ctx, pool, "alice", "alice-password", "basic_subscriber"); err != nil {
			b.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `insert into public.task(owner, title) select 'alice', 'task ' || g from generate_series(1, 10) g`); err != nil {
			b.Fatal(err)
		}
		if before {
			downTo4(b, db)
		}
	}, func(env map[string]string) {
		env["PGRST_JWT_SECRET"] = flowSecret
		env["PGRST_JWT_SECRET_IS_BASE64"] = "true"
		env["PGRST_DB_POOL"] = "10" // PostgREST's default
		env["PGRST_APP_SETTINGS_LOGIN_MAX_ATTEMPTS_USER"] = "0"
		env["PGRST_APP_SETTINGS_LOGIN_MAX_ATTEMPTS_ADDR"] = "0"
		if conc != "" {
			env["PGRST_APP_SETTINGS_LOGIN_MAX_CONCURRENCY"] = conc
		}
		if waitMS != "" {
			env["PGRST_APP_SETTINGS_LOGIN_CONCURRENCY_WAIT_MS"] = waitMS
		}
	})
}

// downTo4 reverts the migrations after 0004 (the login throttle of 0003).
func downTo4(b *testing.B, db string) {
	cfg, err := pgx.ParseConfig(db)
	if err != nil {
		b.Fatal(err)
	}
	mg, err := migrations.Open(context.Background(), cfg, migrations.Options{Vars: map[string]string{"JWT_SECRET": flowSecret}})
	if err != nil {
		b.Fatal(err)
	}
	defer mg.Close()
	st, err := mg.Status()
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, m := range st {
		if m.Applied && m.Version > 4 {
			n++
		}
	}
	if err := mg.Down(n); err != nil {
		b.Fatal(err)
	}
}

// sampleGets times n sequential GETs, or as many as fit in budget (at
// least 10).
func sampleGets(b *testing.B, c *http.Client, url, tok string, n int, budget time.Duration) []time.Duration {
	out := make([]time.Duration, 0, n)
	end := time.Now().Add(budget)
	for i := 0; i < n && (i < 10 || time.Now().Before(end)); i++ {
		req, _ := http.NewRequest("GET", url+"/task?select=id,title&limit=10", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		t0 := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		if resp.StatusCode != 200 {
			b.Fatalf("GET /task: %d", resp.StatusCode)
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func pct(sorted []time.Duration, p int) time.Duration {
	return sorted[(len(sorted)-1)*p/100]
}

// startFlood runs conns clients posting wrong passwords for fresh names
// until stop is called; stop returns the count of each status.
func startFlood(url string, conns int) (stop func() map[int]int, show func() string) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var done atomic.Bool
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	var seq atomic.Int64
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				body := fmt.Sprintf(`{"user_":"flood%d","pass":"wrong"}`, seq.Add(1))
				req, _ := http.NewRequest("POST", url+"/rpc/login", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Content-Profile", "auth")
				status := -1
				if resp, err := c.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
				}
				mu.Lock()
				counts[status]++
				mu.Unlock()
			}
		}()
	}
	stop = func() map[int]int {
		done.Store(true)
		wg.Wait()
		tr.CloseIdleConnections()
		mu.Lock()
		defer mu.Unlock()
		return counts
	}
	show = func() string {
		mu.Lock()
		defer mu.Unlock()
		return fmt.Sprint(counts)
	}
	return stop, show
}
