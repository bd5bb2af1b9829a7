package caddyrun_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func validCookie() string {
	return "access_token=" + sqlToken(secret, "HS256", "demo", time.Now().Add(10*time.Minute))
}

// Three engines behind the project's Caddyfile: requests are spread over
// them; a GET whose engine dies mid-request is answered by another one; a
// login that reached an engine is never sent twice.
func TestProjectCaddyfileEnginesFailover(t *testing.T) {
	set := newEngines(t, 1, 3)
	st := startEngines(t, set, nil)
	cookie := validCookie()
	get := func() result { return st.do(t, call{path: "/rest/task", cookie: cookie}) }
	login := func() result { return st.do(t, call{method: "POST", path: "/rpc/login"}) }

	t.Run("spread over every engine", func(t *testing.T) {
		for i := 0; i < 30; i++ {
			if res := get(); res.status != 200 {
				t.Fatalf("GET %d: %d %q", i, res.status, res.body)
			}
		}
		for _, e := range set.engines {
			if n := e.take("GET /task"); n == 0 {
				t.Errorf("engine %s got none of 30 GETs", e.host)
			}
		}
	})

	t.Run("a GET whose engine dies mid-request is answered by another", func(t *testing.T) {
		e := set.engines[1]
		e.drop.Store("GET /task")
		defer e.drop.Store("")
		for i := 0; i < 9; i++ {
			if res := get(); res.status != 200 || res.header.Get("X-Engine") == e.host {
				t.Fatalf("GET %d: %d from %q", i, res.status, res.header.Get("X-Engine"))
			}
		}
		if e.dropped.Load() == 0 {
			t.Fatal("no GET reached the dying engine: nothing was tested")
		}
	})

	t.Run("a login that reached an engine is not sent again", func(t *testing.T) {
		for _, e := range set.engines {
			e.drop.Store("POST /rpc/login")
			e.dropped.Store(0)
		}
		defer func() {
			for _, e := range set.engines {
				e.drop.Store("")
			}
		}()
		if res := login(); res.status != http.StatusBadGateway {
			t.Fatalf("login on a dying engine: %d, want 502", res.status)
		}
		total := 0
		for _, e := range set.engines {
			total += int(e.dropped.Load())
			if n := e.take("POST /rpc/login"); n != 0 {
				t.Errorf("engine %s answered the login", e.host)
			}
		}
		if total != 1 {
			t.Fatalf("the login reached engines %d times, want once", total)
		}
	})

}

// A dead engine takes no traffic; restarted, it takes none until its
// /ready says 200, then takes traffic again; /healthz says whether any
// engine is ready.
func TestProjectCaddyfileEngineDeadAndBack(t *testing.T) {
	set := newEngines(t, 1, 3)
	st := startEngines(t, set, nil)
	cookie := validCookie()
	get := func() result { return st.do(t, call{path: "/rest/task", cookie: cookie}) }
	login := func() result { return st.do(t, call{method: "POST", path: "/rpc/login"}) }
	dead := set.engines[2]
	t.Run("a dead engine takes no traffic, logins included", func(t *testing.T) {
		dead.kill()
		dead.take("GET /task")
		for i := 0; i < 20; i++ {
			if res := get(); res.status != 200 {
				t.Fatalf("GET %d with an engine down: %d", i, res.status)
			}
			// refused connections: the login was never sent, so it goes elsewhere
			if res := login(); res.status != 200 {
				t.Fatalf("login %d with an engine down: %d", i, res.status)
			}
		}
	})

	t.Run("it takes traffic again once back and ready", func(t *testing.T) {
		dead.ready.Store(false)
		if err := dead.start(); err != nil {
			t.Fatal(err)
		}
		dead.ready.Store(false) // listening, schema cache not loaded yet
		time.Sleep(2500 * time.Millisecond)
		for i := 0; i < 20; i++ {
			if res := get(); res.status != 200 {
				t.Fatalf("GET %d: %d", i, res.status)
			}
		}
		if n := dead.take("GET /task"); n != 0 {
			t.Fatalf("an engine not ready yet got %d GETs", n)
		}
		dead.ready.Store(true)
		waitUntil(t, "the restarted engine serves GETs", func() bool {
			for i := 0; i < 6; i++ {
				if res := get(); res.status != 200 {
					t.Fatalf("GET: %d", res.status)
				}
			}
			return dead.take("GET /task") > 0
		})
	})

	t.Run("healthz is 200 while one engine is ready, 503 when none is", func(t *testing.T) {
		for _, e := range set.engines[:2] {
			e.ready.Store(false)
		}
		time.Sleep(2500 * time.Millisecond)
		for i := 0; i < 5; i++ {
			if res := st.do(t, call{path: "/healthz"}); res.status != 200 {
				t.Fatalf("healthz with one engine ready: %d", res.status)
			}
		}
		set.engines[2].ready.Store(false)
		waitUntil(t, "healthz says 503 with no engine ready", func() bool {
			return st.do(t, call{path: "/healthz"}).status == http.StatusServiceUnavailable
		})
	})
}

// LOGIN_MAX_INFLIGHT bounds the logins in flight on each engine; least_conn
// fills every engine, so N engines hold N × LOGIN_MAX_INFLIGHT.
func TestProjectCaddyfileLoginInflightPerEngine(t *testing.T) {
	set := newEngines(t, 1, 2)
	hold := make(chan struct{})
	for _, e := range set.engines {
		e.mu.Lock()
		e.hold = hold
		e.mu.Unlock()
	}
	st := startEngines(t, set, map[string]string{"LOGIN_MAX_INFLIGHT": "2"})
	const flood = 12
	var wg sync.WaitGroup
	statuses := make(chan int, flood)
	for i := 0; i < flood; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := http.Post(st.base+"/rpc/login", "application/json", strings.NewReader(`{}`))
			if err != nil {
				statuses <- 0
				return
			}
			res.Body.Close()
			statuses <- res.StatusCode
		}()
	}
	waitUntil(t, "4 logins in flight", func() bool {
		return set.engines[0].inflight.Load()+set.engines[1].inflight.Load() == 4
	})
	time.Sleep(300 * time.Millisecond) // a fifth, if the bound leaked, would arrive now
	if res := st.do(t, call{path: "/rest/task", cookie: validCookie()}); res.status != 200 {
		t.Fatalf("GET during the flood: %d", res.status)
	}
	close(hold)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 200 {
			t.Errorf("a queued login got %d", s)
		}
	}
	for _, e := range set.engines {
		if p := e.peakIn.Load(); p != 2 {
			t.Errorf("engine %s had %d logins in flight at most, want exactly LOGIN_MAX_INFLIGHT=2", e.host, p)
		}
	}
}

// POSTGREST_READS=replica: GET and HEAD on /rest/* go to the read engine
// (on a standby); everything else to the primary's engines; reads fall
// back to the primary's engines when the read engine answers 503 (its
// standby is down), is not ready, or is dead.
func TestProjectCaddyfileReadReplica(t *testing.T) {
	set := newEngines(t, 1, 3)
	primaries, reader := set.engines[:2], set.engines[2]
	st := startProject(t, map[string]string{
		"POSTGREST_UPSTREAM":       primaries[0].addr(false) + " " + primaries[1].addr(false),
		"POSTGREST_ADMIN_UPSTREAM": primaries[0].addr(true) + " " + primaries[1].addr(true),
		"POSTGREST_ADMIN_PORT":     strconv.Itoa(set.admPort),
		"POSTGREST_READS":          "replica",
		"POSTGREST_READ_UPSTREAM":  reader.addr(false),
	})
	cookie := validCookie()
	fromPrimaries := func(key string) int { return primaries[0].take(key) + primaries[1].take(key) }
	read := func(t *testing.T, method string) result {
		t.Helper()
		res := st.do(t, call{method: method, path: "/rest/task", cookie: cookie})
		if res.status != 200 {
			t.Fatalf("%s /rest/task: %d %q", method, res.status, res.body)
		}
		return res
	}

	t.Run("reads to the read engine, the rest to the primary's", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			read(t, "GET")
			read(t, "HEAD")
		}
		if got := reader.take("GET /task") + reader.take("HEAD /task"); got != 10 {
			t.Errorf("read engine got %d of 10 reads", got)
		}
		if got := fromPrimaries("GET /task") + fromPrimaries("HEAD /task"); got != 0 {
			t.Errorf("the primary's engines got %d reads", got)
		}
		for _, c := range []call{
			{method: "POST", path: "/rest/task", cookie: cookie},
			{method: "PATCH", path: "/rest/task?id=eq.1", cookie: cookie},
			{method: "DELETE", path: "/rest/task?id=eq.1", cookie: cookie},
			{method: "POST", path: "/rpc/login"},
			{method: "POST", path: "/rpc/refresh_token"},
			{method: "GET", path: "/rpc/whoami", cookie: cookie},
		} {
			if res := st.do(t, c); res.status != 200 || res.header.Get("X-Engine") == reader.host {
				t.Errorf("%s %s: %d from %q, want the primary's engines", c.method, c.path, res.status, res.header.Get("X-Engine"))
			}
		}
		reader.mu.Lock()
		if n := len(reader.seen); n != 0 {
			t.Errorf("the read engine saw writes or RPCs: %v", reader.seen)
		}
		reader.mu.Unlock()
	})

	t.Run("X-Read-Primary sends a read to the primary's engines", func(t *testing.T) {
		res := st.do(t, call{path: "/rest/task", cookie: cookie, headers: map[string]string{"X-Read-Primary": "1"}})
		if res.status != 200 || res.header.Get("X-Engine") == reader.host || reader.take("GET /task") != 0 {
			t.Fatalf("GET with X-Read-Primary: %d from %q", res.status, res.header.Get("X-Engine"))
		}
		fromPrimaries("GET /task")
	})

	t.Run("a read answered 503 by the read engine is served by the primary's", func(t *testing.T) {
		reader.status.Store(http.StatusServiceUnavailable)
		defer reader.status.Store(0)
		res := read(t, "GET")
		if res.header.Get("X-Engine") == reader.host || !strings.Contains(res.body, "GET /task") {
			t.Fatalf("answer %q from %q", res.body, res.header.Get("X-Engine"))
		}
		if reader.take("GET /task") != 1 || fromPrimaries("GET /task") != 1 {
			t.Fatal("the read did not go to the read engine first, then to the primary's")
		}
	})

	t.Run("reads go to the primary's while the read engine is not ready", func(t *testing.T) {
		reader.ready.Store(false)
		waitUntil(t, "reads leave the read engine", func() bool {
			reader.take("GET /task")
			read(t, "GET")
			return reader.take("GET /task") == 0
		})
		reader.ready.Store(true)
		waitUntil(t, "reads come back to the read engine", func() bool {
			read(t, "GET")
			return reader.take("GET /task") == 1
		})
	})

	t.Run("no read fails while the read engine is dead", func(t *testing.T) {
		reader.kill()
		fromPrimaries("GET /task")
		for i := 0; i < 20; i++ {
			read(t, "GET")
		}
		if fromPrimaries("GET /task") != 20 {
			t.Fatal("the primary's engines did not serve the reads")
		}
	})
}
