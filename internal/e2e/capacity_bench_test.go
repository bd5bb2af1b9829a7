package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authstack/authstack/internal/pgserver"
	"github.com/authstack/authstack/internal/stack"
)

// BenchmarkCapacity measures, through the whole native stack (one engine,
// Caddy, PostgreSQL), how much CPU each kind of request costs each
// component, as requests per CPU-second of that component: the rate one
// core of it sustains. CPU time comes from /proc (utime+stime of Caddy and
// the engine; of every PostgreSQL process of the cluster, backends
// included), so the figures hold on a noisy machine where wall-clock rates
// do not. The baseline of the same run is the bcrypt floor: raw
// crypt(pass, hash) at cost 10 on one connection, per PostgreSQL
// CPU-second. docs/stack.md ("Capacity") turns them into a sizing model.
//
//	go test ./internal/e2e -run '^$' -bench Capacity -benchtime 1x
func BenchmarkCapacity(b *testing.B) {
	for i := 0; i < b.N; i++ {
		capacityOnce(b)
	}
}

// cpuSeconds is the CPU time (user+system) of pid from /proc/<pid>/stat;
// with children, also the time of its children it has waited for.
func cpuSeconds(pid int, children bool) float64 {
	f := procStat(pid)
	if f == nil {
		return 0
	}
	t := atof(f[11]) + atof(f[12])
	if children {
		t += atof(f[13]) + atof(f[14])
	}
	return t / 100 // USER_HZ
}

// procStat returns the fields of /proc/<pid>/stat after the command name
// (f[0] is the state, f[1] the parent's pid, f[11..14] the CPU times).
func procStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 15 {
		return nil
	}
	return f
}

func atof(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }

// groupCPU is the CPU time of a PostgreSQL cluster: the postmaster, every
// live child of it (backends and workers, each in its own session), and
// the children it has reaped.
func groupCPU(postmaster int) float64 {
	total := cpuSeconds(postmaster, true)
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(d))
		if pid == postmaster {
			continue
		}
		if f := procStat(pid); f != nil && f[1] == strconv.Itoa(postmaster) {
			total += cpuSeconds(pid, false)
		}
	}
	return total
}

// cpuSample is the CPU seconds of Caddy, the engine and PostgreSQL.
type cpuSample struct{ caddy, engine, pg float64 }

func sampleCPU(st *stack.State) cpuSample {
	return cpuSample{
		caddy:  cpuSeconds(st.Component(stack.CompCaddy).PID, false),
		engine: cpuSeconds(st.Component(stack.CompAPI).PID, false),
		pg:     groupCPU(st.Component(stack.CompPG).PID),
	}
}

// closedLoop runs fn from workers goroutines for d, returning the number
// of successful calls; a failed call ends the benchmark.
func closedLoop(b *testing.B, d time.Duration, workers int, fn func(w int) error) int64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	var firstErr atomic.Value
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if err := fn(w); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				n.Add(1)
			}
		}(w)
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		b.Fatal(err)
	}
	return n.Load()
}

// measure runs one load and reports its rate and per-core figures.
func measure(b *testing.B, st *stack.State, name string, workers int, fn func(w int) error) (perPGCore float64) {
	const d = 10 * time.Second
	before, t0 := sampleCPU(st), time.Now()
	n := closedLoop(b, d, workers, fn)
	after, wall := sampleCPU(st), time.Since(t0).Seconds()
	per := func(cpu float64) float64 {
		if cpu <= 0 {
			return 0
		}
		return float64(n) / cpu
	}
	e, pg, c := per(after.engine-before.engine), per(after.pg-before.pg), per(after.caddy-before.caddy)
	b.ReportMetric(float64(n)/wall, name+"/s")
	b.ReportMetric(e, name+"/engine-core-s")
	b.ReportMetric(pg, name+"/pg-core-s")
	b.ReportMetric(c, name+"/caddy-core-s")
	b.Logf("%-8s %6d in %.1fs = %7.1f/s wall (%d clients); per CPU-second: engine %8.1f, PostgreSQL %8.1f, Caddy %8.1f",
		name, n, wall, float64(n)/wall, workers, e, pg, c)
	return pg
}

func capacityOnce(b *testing.B) {
	p := newProject(b)
	// bcrypt for every login at once (no 429 for want of a slot), as in a
	// sized deployment
	p.env = append(p.env, "PGRST_APP_SETTINGS_LOGIN_MAX_CONCURRENCY=0", "LOGIN_MAX_INFLIGHT=8")
	if out, code := p.run(3*time.Minute, "up", "--detach"); code != 0 {
		b.Fatalf("up: %s", out)
	}
	st, err := stack.ReadState(filepath.Join(p.dir, ".stack"))
	if err != nil || st == nil {
		b.Fatalf("state: %v", err)
	}
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	call := func(req *http.Request, want int) (*http.Response, error) {
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			return nil, fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, res.Status)
		}
		return res, nil
	}
	loginReq := func() *http.Request { return loginRequest(context.Background(), p.base()) }
	cookies := func(res *http.Response) (access, refresh string) {
		for _, c := range res.Cookies() {
			switch c.Name {
			case "access_token":
				access = c.Value
			case "refresh_token":
				refresh = c.Value
			}
		}
		return
	}
	res, err := call(loginReq(), http.StatusNoContent)
	if err != nil {
		b.Fatal(err)
	}
	access, _ := cookies(res)

	b.ResetTimer()
	measure(b, st, "get", 8, func(int) error {
		req, _ := http.NewRequest(http.MethodGet, p.base()+"/rest/task?select=id,title", nil)
		req.Header.Set("Cookie", "access_token="+access)
		_, err := call(req, http.StatusOK)
		return err
	})
	loginPG := measure(b, st, "login", 4, func(int) error {
		_, err := call(loginReq(), http.StatusNoContent)
		return err
	})
	refresh := make([]string, 8)
	for w := range refresh {
		res, err := call(loginReq(), http.StatusNoContent)
		if err != nil {
			b.Fatal(err)
		}
		_, refresh[w] = cookies(res)
	}
	measure(b, st, "refresh", len(refresh), func(w int) error {
		req, _ := http.NewRequest(http.MethodPost, p.base()+"/rpc/refresh_token", nil)
		req.Header.Set("Content-Profile", "auth")
		req.Header.Set("Cookie", "refresh_token="+refresh[w])
		res, err := call(req, http.StatusNoContent)
		if err != nil {
			return err
		}
		_, refresh[w] = cookies(res)
		return nil
	})
	b.StopTimer()
	floor := cryptFloor(b, p, st)
	b.ReportMetric(floor, "crypt/pg-core-s")
	b.ReportMetric(floor/loginPG, "login-cost/crypt")
	b.Logf("bcrypt floor: %.1f crypt(cost 10) per PostgreSQL CPU-second; a login costs %.2f of them", floor, floor/loginPG)
}

// cryptFloor is raw bcrypt verification of demo's stored hash in SQL, per
// PostgreSQL CPU-second, on the same cluster.
func cryptFloor(b *testing.B, p *project, st *stack.State) float64 {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgserver.ConnURL("postgres", p.envValue("POSTGRES_PASSWORD"), "127.0.0.1", p.pgPort, "app"))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	var hash string
	if err := conn.QueryRow(ctx, "select password from auth.user where username = 'demo'").Scan(&hash); err != nil {
		b.Fatal(err)
	}
	pm := st.Component(stack.CompPG).PID
	before, n := groupCPU(pm), 0
	for t0 := time.Now(); time.Since(t0) < 5*time.Second; n++ {
		var ok bool
		if err := conn.QueryRow(ctx, "select public.crypt('demo', $1) = $1", hash).Scan(&ok); err != nil || !ok {
			b.Fatal(err, ok)
		}
	}
	return float64(n) / (groupCPU(pm) - before)
}
