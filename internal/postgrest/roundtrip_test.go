package postgrest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// countingProxy forwards TCP connections to target and counts the writes
// the engine makes towards PostgreSQL: each is one network round trip's
// request (pgconn sends a pipeline with a single write at its Sync).
type countingProxy struct {
	ln     net.Listener
	target string
	writes atomic.Int64
	wg     sync.WaitGroup
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() { ln.Close() })
	return p
}

func (p *countingProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		go func() { _, _ = io.Copy(c, s); c.Close() }()
		go func() {
			buf := make([]byte, 256<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					p.writes.Add(1)
					if _, werr := s.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			s.Close()
		}()
	}
}

// A request's transaction is one network exchange with PostgreSQL (BEGIN,
// the settings, the pre-request function, the main statement and COMMIT
// pipelined), with prepared statements on and off; a check on the main
// statement's result (application/vnd.pgrst.object+json) takes a second
// one, the COMMIT.
func TestOneRoundTripPerRequest(t *testing.T) {
	t.Parallel()
	for _, prepared := range []string{"true", "false"} {
		t.Run("prepared="+prepared, func(t *testing.T) {
			t.Parallel()
			var proxy *countingProxy
			e := newEngine(t, fixtureSQL+`create function public.pre() returns void language sql as 'select 1';`, func(env map[string]string) {
				u, err := url.Parse(env["PGRST_DB_URI"])
				if err != nil {
					t.Fatal(err)
				}
				proxy = newCountingProxy(t, u.Host)
				u.Host = proxy.ln.Addr().String()
				env["PGRST_DB_URI"] = u.String()
				env["PGRST_DB_POOL"] = "1"
				env["PGRST_DB_CHANNEL_ENABLED"] = "false"
				env["PGRST_DB_PREPARED_STATEMENTS"] = prepared
				env["PGRST_DB_PRE_REQUEST"] = "public.pre"
			})
			hdr := bearer(t, map[string]any{"role": "basic_subscriber", "username": "alice"})
			if r := e.do("GET", "/task?select=title&order=id", hdr, ""); r.status != 200 { // opens the pooled connection
				t.Fatalf("warm-up: %d %s", r.status, r.body)
			}
			count := func(n int, method, path string, h map[string]string, body string, status int) int64 {
				before := proxy.writes.Load()
				for i := 0; i < n; i++ {
					if r := e.do(method, path, h, body); r.status != status {
						t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
					}
				}
				return proxy.writes.Load() - before
			}
			if w := count(20, "GET", "/task?select=title&order=id&limit=10", hdr, "", 200); w != 20 {
				t.Errorf("20 reads took %d round trips", w)
			}
			if w := count(10, "POST", "/rpc/add", nil, `{"a":1,"b":2}`, 200); w != 10 {
				t.Errorf("10 calls took %d round trips", w)
			}
			single := merge(hdr, map[string]string{"Accept": "application/vnd.pgrst.object+json"})
			if w := count(5, "GET", "/task?select=title&id=eq.1", single, "", 200); w != 10 {
				t.Errorf("5 singular reads took %d round trips, want 10", w)
			}
			// A failing statement: the rollback is the second exchange.
			if w := count(5, "GET", "/task?id=eq.x", hdr, "", 400); w != 10 {
				t.Errorf("5 failing reads took %d round trips, want 10", w)
			}
		})
	}
}
