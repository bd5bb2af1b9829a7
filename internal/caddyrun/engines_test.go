package caddyrun_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeEngine stands in for one API engine: an API server and an admin
// server (/ready) on the same loopback address, as the native stack runs
// its engines (each on its own 127.0.0.x, all on the same two ports).
type fakeEngine struct {
	host             string
	apiPort, admPort int

	mu    sync.Mutex
	api   *http.Server
	adm   *http.Server
	conns map[net.Conn]bool
	seen  map[string]int // "GET /task" -> count

	ready  atomic.Bool
	status atomic.Int32 // answer to API requests (0: 200)
	// drop, when set, is a request ("POST /rpc/login") that the engine
	// reads and then dies on without answering, as a SIGKILL mid-request.
	drop    atomic.Value
	dropped atomic.Int32
	// hold, when set, blocks /rpc/login until closed, counting them
	hold             chan struct{}
	inflight, peakIn atomic.Int32
}

// engineSet is several fake engines sharing two ports on 127.0.0.1, .2, ...
type engineSet struct {
	engines          []*fakeEngine
	apiPort, admPort int
}

// newEngines starts n fake engines on consecutive loopback addresses from
// 127.0.0.<first>, every one on the same two free ports.
func newEngines(t *testing.T, first, n int) *engineSet {
	t.Helper()
	for attempt := 0; attempt < 20; attempt++ {
		set := &engineSet{apiPort: freePort(t), admPort: freePort(t)}
		ok := true
		for i := 0; i < n && ok; i++ {
			e := &fakeEngine{host: "127.0.0." + strconv.Itoa(first+i), apiPort: set.apiPort, admPort: set.admPort}
			if err := e.start(); err != nil {
				ok = false
				break
			}
			set.engines = append(set.engines, e)
		}
		if ok {
			t.Cleanup(set.stop)
			return set
		}
		set.stop()
	}
	t.Fatal("no two ports free on every loopback address")
	return nil
}

func (s *engineSet) stop() {
	for _, e := range s.engines {
		e.kill()
	}
}

// upstreams is the POSTGREST_UPSTREAM (or POSTGREST_ADMIN_UPSTREAM) list.
func (s *engineSet) upstreams(admin bool) string {
	var out []string
	for _, e := range s.engines {
		out = append(out, e.addr(admin))
	}
	return strings.Join(out, " ")
}

func (e *fakeEngine) addr(admin bool) string {
	p := e.apiPort
	if admin {
		p = e.admPort
	}
	return net.JoinHostPort(e.host, strconv.Itoa(p))
}

func (e *fakeEngine) start() error {
	api, err := net.Listen("tcp", e.addr(false))
	if err != nil {
		return err
	}
	adm, err := net.Listen("tcp", e.addr(true))
	if err != nil {
		api.Close()
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.seen == nil {
		e.seen = map[string]int{}
	}
	e.conns = map[net.Conn]bool{}
	track := func(c net.Conn, st http.ConnState) {
		e.mu.Lock()
		defer e.mu.Unlock()
		if st == http.StateClosed || st == http.StateHijacked {
			delete(e.conns, c)
		} else if e.conns != nil {
			e.conns[c] = true
		}
	}
	e.api = &http.Server{Handler: http.HandlerFunc(e.serveAPI), ConnState: track}
	e.adm = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ready" && e.ready.Load() {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}), ConnState: track}
	e.ready.Store(true)
	go func() { _ = e.api.Serve(api) }()
	go func() { _ = e.adm.Serve(adm) }()
	return nil
}

// kill closes both listeners and every connection at once, as SIGKILL does.
func (e *fakeEngine) kill() {
	e.mu.Lock()
	api, adm, conns := e.api, e.adm, e.conns
	e.api, e.adm, e.conns = nil, nil, nil
	e.mu.Unlock()
	for c := range conns {
		c.Close()
	}
	if api != nil {
		api.Close()
		adm.Close()
	}
}

func (e *fakeEngine) serveAPI(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	key := r.Method + " " + r.URL.Path
	if d, _ := e.drop.Load().(string); d == key {
		e.dropped.Add(1)
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
	}
	e.mu.Lock()
	e.seen[key]++
	hold := e.hold
	e.mu.Unlock()
	if hold != nil && r.URL.Path == "/rpc/login" {
		n := e.inflight.Add(1)
		for p := e.peakIn.Load(); n > p && !e.peakIn.CompareAndSwap(p, n); p = e.peakIn.Load() {
		}
		<-hold
		e.inflight.Add(-1)
	}
	w.Header().Set("X-Engine", e.host)
	if s := e.status.Load(); s != 0 {
		w.WriteHeader(int(s))
	}
	fmt.Fprintf(w, "engine %s %s", e.host, key)
}

// count returns how many times key reached the engine (and resets it).
func (e *fakeEngine) take(key string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.seen[key]
	delete(e.seen, key)
	return n
}

// waitUntil polls cond for up to 30 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startEngines loads the project's Caddyfile in front of the engine set.
func startEngines(t *testing.T, set *engineSet, env map[string]string) *stack {
	t.Helper()
	vars := map[string]string{
		"POSTGREST_UPSTREAM":       set.upstreams(false),
		"POSTGREST_ADMIN_UPSTREAM": set.upstreams(true),
		"POSTGREST_ADMIN_PORT":     strconv.Itoa(set.admPort),
	}
	for k, v := range env {
		vars[k] = v
	}
	return startProject(t, vars)
}
