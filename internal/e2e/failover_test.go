package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/stack"
)

// loadStats counts what a load loop saw.
type loadStats struct {
	ok       atomic.Int64
	mu       sync.Mutex
	failures []failure
}

type failure struct {
	at   time.Duration // since the load started
	what string        // "GET 502 Bad Gateway", "login EOF"
}

func (f failure) String() string { return fmt.Sprintf("%.2fs: %s", f.at.Seconds(), f.what) }

func (s *loadStats) fail(t0 time.Time, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{time.Since(t0), what})
}

func (s *loadStats) failed() []failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]failure(nil), s.failures...)
}

// do runs one request and says whether it got want.
func do(client *http.Client, req *http.Request, want int) (string, bool) {
	res, err := client.Do(req)
	if err != nil {
		return err.Error(), false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.Status, res.StatusCode == want
}

// demoCookie signs in as demo and returns its access_token cookie.
func demoCookie(t *testing.T, base string) string {
	t.Helper()
	for _, c := range login(t, base) {
		if c.Name == "access_token" {
			return "access_token=" + c.Value
		}
	}
	t.Fatal("login set no access_token cookie")
	return ""
}

func loginRequest(ctx context.Context, base string) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/rpc/login", strings.NewReader(`{"user_": "demo", "pass": "demo"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Profile", "auth")
	return req
}

// servedSinceStart counts the GET /task lines in an engine's access log
// (PGRST_LOG_LEVEL=info) after its last start.
func servedSinceStart(t *testing.T, logPath string) int {
	t.Helper()
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if i := strings.LastIndex(s, "Starting PostgREST"); i >= 0 {
		s = s[i:]
	}
	return strings.Count(s, `"GET /task`)
}

// load runs workers loops of req until ctx ends, counting into stats the
// answers with status want and the others as failures.
func load(ctx context.Context, wg *sync.WaitGroup, workers int, t0 time.Time, stats *loadStats, what string, want int, req func() *http.Request) {
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if got, ok := do(client, req(), want); ok {
					stats.ok.Add(1)
				} else {
					stats.fail(t0, what+" "+got)
				}
			}
		}()
	}
}

// Three engines behind Caddy under authenticated GETs and logins for 30 s;
// one engine is killed with SIGKILL in the middle. No GET fails; at most the
// logins in flight on the killed engine fail (LOGIN_MAX_INFLIGHT=1 per
// engine: one); the engine comes back by itself (--restart on-failure) and
// serves requests again.
func TestFailoverThreeEngines(t *testing.T) {
	p := newProject(t)
	p.env = append(p.env, "PGRST_LOG_LEVEL=info", "LOGIN_MAX_INFLIGHT=1",
		// every engine's login reaches bcrypt: no 429 for want of a slot
		"PGRST_APP_SETTINGS_LOGIN_MAX_CONCURRENCY=3",
		// the logins below open 100+ sessions of demo while the GETs use
		// one: past the cap (50) a login ends the oldest session, and the
		// API refuses its token at once (auth.check_session, migration 0007)
		"PGRST_APP_SETTINGS_MAX_SESSIONS_PER_USER=0")
	p.mustRun(4*time.Minute, "up", "--detach", "--api-replicas", "3")
	s, code := p.status()
	for _, name := range []string{"api", "api-2", "api-3"} {
		if pid, healthy, _, _, _ := s.comp(name); pid == 0 || !healthy {
			t.Fatalf("engine %s: pid %d healthy %v (status exit %d)", name, pid, healthy, code)
		}
	}
	victim := p.state().Component("api-2")
	victimLog := filepath.Join(p.stateDir(), "logs", "api-2.log")

	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	cookie := demoCookie(t, p.base())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t0 := time.Now()
	var gets, logins loadStats
	var wg sync.WaitGroup
	load(ctx, &wg, 3, t0, &gets, "GET", http.StatusOK, func() *http.Request {
		req, _ := http.NewRequest(http.MethodGet, p.base()+"/rest/task?select=id,title", nil)
		req.Header.Set("Cookie", cookie)
		return req
	})
	load(ctx, &wg, 2, t0, &logins, "login", http.StatusNoContent, func() *http.Request {
		return loginRequest(context.Background(), p.base())
	})

	time.Sleep(10 * time.Second)
	killedAt := time.Since(t0)
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// the engine's admin /ready from the test, to time its return
	var readyAgain atomic.Int64
	go func() {
		for ctx.Err() == nil && readyAgain.Load() == 0 {
			if st, _ := stack.ReadState(p.stateDir()); st != nil && st.Component("api-2").PID != victim.PID &&
				getOK(fmt.Sprintf("http://127.0.0.2:%d/ready", p.admin)) {
				readyAgain.Store(int64(time.Since(t0)))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	wg.Wait()
	total := time.Since(t0)

	s, _ = p.status()
	pid, _, restarts, lastExit, _ := s.comp("api-2")
	if pid == victim.PID || restarts != 1 || !strings.Contains(lastExit, "signal 9") {
		t.Errorf("api-2 after the kill: pid %d (was %d), restarts %d, last exit %q", pid, victim.PID, restarts, lastExit)
	}
	// it takes traffic again (some time after the load, on a slow machine)
	eventually(t, "the restarted api-2 serves GETs", func() bool {
		if servedSinceStart(t, victimLog) > 0 {
			return true
		}
		req, _ := http.NewRequest(http.MethodGet, p.base()+"/rest/task?select=id", nil)
		req.Header.Set("Cookie", cookie)
		if what, ok := do(client, req, http.StatusOK); !ok {
			t.Errorf("GET after the load: %s", what)
		}
		return false
	})

	if f := gets.failed(); len(f) != 0 {
		t.Errorf("%d of %d GETs failed (want none): %v", len(f), int(gets.ok.Load())+len(f), f)
	}
	lf := logins.failed()
	if len(lf) > 1 {
		t.Errorf("%d logins failed, want at most the 1 in flight on the killed engine: %v", len(lf), lf)
	}
	for _, f := range lf {
		if f.at < killedAt || !strings.Contains(f.what, "502") {
			t.Errorf("failed login %v: want a 502 after the kill (%.2fs)", f, killedAt.Seconds())
		}
	}
	back := "not within the load"
	if ns := readyAgain.Load(); ns != 0 {
		back = fmt.Sprintf("%.1fs after the kill", (time.Duration(ns) - killedAt).Seconds())
	}
	t.Logf("failover: %d GETs and %d logins in %.1fs (%.0f GET/s, %.1f login/s); api-2 killed at %.1fs, ready again %s; failed GETs %d, failed logins %d %v; api-2 served %d GETs since its restart",
		gets.ok.Load(), logins.ok.Load(), total.Seconds(), float64(gets.ok.Load())/total.Seconds(), float64(logins.ok.Load())/total.Seconds(),
		killedAt.Seconds(), back, len(gets.failed()), len(lf), lf, servedSinceStart(t, victimLog))
}
