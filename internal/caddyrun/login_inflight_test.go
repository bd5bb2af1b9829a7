package caddyrun_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A login flood reaches the engine at most LOGIN_MAX_INFLIGHT requests at a
// time; the rest wait in Caddy, and other requests pass meanwhile. Sign-ups
// (bcrypt too) share the same bound.
func TestProjectCaddyfileLoginInflightBound(t *testing.T) {
	var inflight, peak, logins atomic.Int32
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/rpc/login" && r.URL.Path != "/rpc/signup" {
			fmt.Fprint(w, "{}")
			return
		}
		n := inflight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release // a login's bcrypt, held until the test lets go
		inflight.Add(-1)
		logins.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(up.Close)
	st := startProject(t, map[string]string{"POSTGREST_UPSTREAM": strings.TrimPrefix(up.URL, "http://"), "LOGIN_MAX_INFLIGHT": "3"})

	const flood = 20
	var wg sync.WaitGroup
	statuses := make(chan int, flood)
	for i := 0; i < flood; i++ {
		wg.Add(1)
		path := "/rpc/login"
		if i%2 == 1 {
			path = "/rpc/signup"
		}
		go func() {
			defer wg.Done()
			res, err := http.Post(st.base+path, "application/json", strings.NewReader(`{"user_":"x","pass":"y"}`))
			if err != nil {
				statuses <- 0
				return
			}
			res.Body.Close()
			statuses <- res.StatusCode
		}()
	}
	// While every login is held, another route still answers.
	for deadline := time.Now().Add(10 * time.Second); inflight.Load() < 3; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d logins reached the engine", inflight.Load())
		}
	}
	res, err := http.Get(st.base + "/rest/")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /rest/ during the flood: %v %v", err, res)
	}
	res.Body.Close()
	if n := logins.Load(); n != 0 {
		t.Fatalf("%d logins finished before they were released", n)
	}
	close(release)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusUnauthorized {
			t.Errorf("a queued login got %d, want the engine's 401", s)
		}
	}
	if p := peak.Load(); p > 3 {
		t.Errorf("%d logins reached the engine at once, want at most 3", p)
	}
	if logins.Load() != flood {
		t.Errorf("%d of %d logins reached the engine", logins.Load(), flood)
	}
}
