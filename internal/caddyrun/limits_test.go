package caddyrun_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// zeros is an endless body of JSON-ish filler, generated as it is read so
// a 100 MB request costs the test no memory.
type zeros struct{ left int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.left {
		p = p[:z.left]
	}
	for i := range p {
		p[i] = ' '
	}
	z.left -= int64(len(p))
	return len(p), nil
}

// post sends a body of size bytes to path; chunked leaves Content-Length
// unset. It returns the status, or an error if the request failed or took
// longer than the deadline.
func (st *stack) post(t *testing.T, path string, size int64, chunked bool) (int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var body io.Reader = &zeros{size}
	if chunked {
		body = io.MultiReader(body) // hides the length from net/http
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, st.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if !chunked {
		r.ContentLength = size
	}
	r.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

func TestProjectCaddyfileBodyLimit(t *testing.T) {
	st := startProject(t, nil)
	const limit = 1_000_000 // REQUEST_BODY_MAX_SIZE's default, 1MB
	for _, chunked := range []bool{false, true} {
		status, err := st.post(t, "/rpc/login", 100<<20, chunked)
		if err != nil {
			t.Fatalf("chunked=%v: 100 MB body: %v", chunked, err)
		}
		if status != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked=%v: 100 MB body: status %d, want 413", chunked, status)
		}
	}
	// A body at the limit passes whole (on another path, to tell it apart).
	status, err := st.post(t, "/rpc/logout", limit, false)
	if err != nil || status != 200 {
		t.Fatalf("body at the limit: status %d err %v", status, err)
	}
	var got []seen
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		got = append(got, st.api.take()...)
		if len(got) > 0 && got[len(got)-1].Path == "/rpc/logout" {
			break
		}
	}
	for _, r := range got {
		if r.Path == "/rpc/logout" && r.BodyBytes != limit {
			t.Errorf("body at the limit reached the upstream as %d bytes", r.BodyBytes)
		}
		if r.Path == "/rpc/login" && r.BodyBytes > limit {
			t.Errorf("upstream received %d bytes of a 100 MB body, more than the %d limit", r.BodyBytes, limit)
		}
	}
}

func TestProjectCaddyfileBodyLimitFromEnv(t *testing.T) {
	st := startProject(t, map[string]string{"REQUEST_BODY_MAX_SIZE": "10KB"})
	if status, err := st.post(t, "/rpc/login", 20_000, false); err != nil || status != 413 {
		t.Fatalf("20 kB body with a 10KB limit: status %d err %v, want 413", status, err)
	}
	st.api.take()
	if status, err := st.post(t, "/rpc/login", 9_000, false); err != nil || status != 200 {
		t.Fatalf("9 kB body with a 10KB limit: status %d err %v", status, err)
	}
}

// rawStatus writes a raw HTTP/1.1 request and returns the status code of
// the answer (0 when the connection closed without one).
func rawStatus(t *testing.T, base, req string) int {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = io.WriteString(c, req) }()
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

func TestProjectCaddyfileHeaderLimit(t *testing.T) {
	st := startProject(t, nil)
	big := strings.Repeat("a", 100_000)
	for name, req := range map[string]string{
		"100 kB header": "GET /rest/task HTTP/1.1\r\nHost: x\r\nX-Junk: " + big + "\r\n\r\n",
		"100 kB URI":    "GET /rest/task?q=" + big + " HTTP/1.1\r\nHost: x\r\n\r\n",
		"100 kB cookie": "POST /rpc/login HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nCookie: access_token=" + big + "\r\n\r\n",
	} {
		if got := rawStatus(t, st.base, req); got != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s: status %d, want 431", name, got)
		}
	}
	if got := st.api.take(); len(got) != 0 {
		t.Fatalf("oversized requests reached the upstream: %d", len(got))
	}
	// 20 kB of headers are still fine.
	ok := "POST /rpc/login HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nX-Junk: " + big[:20_000] + "\r\nConnection: close\r\n\r\n"
	if got := rawStatus(t, st.base, ok); got != 200 {
		t.Fatalf("20 kB header: status %d", got)
	}
}

// hangingUpstream accepts connections and never answers.
func hangingUpstream(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				<-done
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { l.Close(); close(done) })
	return l.Addr().String()
}

func TestProjectCaddyfileHealthzHangingEngine(t *testing.T) {
	st := startProject(t, map[string]string{"POSTGREST_ADMIN_UPSTREAM": hangingUpstream(t)})
	// Failure condition: no answer within 5 s (the gateway's own bound is 2 s).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, _ := http.NewRequestWithContext(ctx, http.MethodGet, st.base+"/healthz", nil)
	res, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		t.Fatalf("/healthz with a hanging engine: %v", err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 5 {
		t.Fatalf("/healthz with a hanging engine: status %d, want 502, 503 or 504", res.StatusCode)
	}
}

// accessLines returns the access log entries of the log file.
func accessLines(t *testing.T, file string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, l := range strings.Split(string(b), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && strings.HasPrefix(fmt.Sprint(m["logger"]), "http.log.access") {
			out = append(out, m)
		}
	}
	return out
}

func TestProjectCaddyfileAccessLog(t *testing.T) {
	st := startProject(t, nil)
	long := "/rest/task?q=" + strings.Repeat("b", 30_000)
	if res := st.do(t, call{path: long}); res.status != 401 {
		t.Fatalf("long URI: status %d", res.status)
	}
	if res := st.do(t, call{path: "/healthz"}); res.status != 200 {
		t.Fatalf("/healthz: status %d", res.status)
	}
	if res := st.do(t, call{path: "/rest/after"}); res.status != 401 {
		t.Fatalf("status %d", res.status)
	}
	var uris []string
	deadline := time.Now().Add(5 * time.Second)
	for len(uris) < 2 && time.Now().Before(deadline) { // the log is written after the response
		uris = uris[:0]
		for _, m := range accessLines(t, st.logFile) {
			req, _ := m["request"].(map[string]any)
			uris = append(uris, fmt.Sprint(req["uri"]))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(uris) != 2 || uris[1] != "/rest/after" {
		t.Fatalf("access log URIs %.200q, want the long URI (cut) and /rest/after, no /healthz", uris)
	}
	if len(uris[0]) > 1100 || !strings.HasPrefix(long, strings.TrimSuffix(uris[0], "...")) || len(uris[0]) < 1000 {
		t.Fatalf("long URI logged as %d bytes, want its first 1000 and a mark", len(uris[0]))
	}
	// Nor does any other entry (e.g. the handler error, logged at DEBUG
	// here, at ERROR for a 5xx) hold more of it.
	b, err := os.ReadFile(st.logFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), long[:1100]) {
		t.Fatal("a log entry holds more than the first 1000 characters of the long URI")
	}
}

// A select with more than 128 opening parentheses (embedded resources,
// aggregate calls) is refused by the gateway for every engine, the real
// PostgREST included, before it reaches one: hundreds of to-one embeds
// make PostgreSQL plan a join until it runs out of memory
// (docs/postgrest.md, "Limits"), and so does a cycle of relationships
// embedded deeply. Counted over every select parameter (PostgREST reads
// the first), percent-encoded or not; nesting deeper than 16, or
// unbalanced parentheses, are refused too.
func TestProjectCaddyfileSelectComplexity(t *testing.T) {
	st := startProject(t, nil)
	valid := sqlToken(secret, "HS256", "demo", time.Now().Add(10*time.Minute))
	sel := func(n int, open string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("e%d:rel%sid)", i, open)
		}
		return "select=id," + strings.Join(parts, ",")
	}
	for _, c := range []struct {
		path    string
		refused bool
	}{
		{"/rest/films?" + sel(128, "("), false},
		{"/rest/films?" + sel(129, "("), true},
		{"/rest/films?" + sel(129, "%28"), true},
		{"/rpc/films_of?y=1&" + sel(200, "("), true},
		{"/rest/films?select=id&" + sel(200, "("), true}, // Caddy joins repeated parameters: all are counted
		{"/rest/films?or=" + strings.Repeat("(and", 150) + strings.Repeat(")", 150), false},
		{"/rest/films?select=" + strings.Repeat("d:directors(f:films(", 8) + "id" + strings.Repeat("))", 8), false},
		{"/rest/films?select=" + strings.Repeat("d:directors(f:films(", 8) + "x(id)" + strings.Repeat("))", 8), true},
		{"/rest/films?select=" + strings.Repeat("d:directors(id,f:films(id),", 30) + "id" + strings.Repeat(")", 30), true},
		{"/rest/films?select=id,d:directors(id", true}, // unbalanced
		{"/rest/films?select=id,count(),d:directors(id,films(title.count()))", false},
	} {
		res := st.do(t, call{path: c.path, cookie: "access_token=" + valid})
		got := st.api.take()
		if !c.refused {
			if res.status != 200 || len(got) != 1 {
				t.Errorf("%.60s…: status %d, upstream saw %d requests", c.path, res.status, len(got))
			}
			continue
		}
		var body map[string]any
		if res.status != 400 || len(got) != 0 || json.Unmarshal([]byte(res.body), &body) != nil || body["code"] != "PGRST100" ||
			!strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
			t.Errorf("%.60s…: status %d %q %v, upstream saw %d requests", c.path, res.status, res.body, res.header, len(got))
		}
	}
	// without a token the answer is jwtauth's 401, as for any private request
	if res := st.do(t, call{path: "/rest/films?" + sel(129, "(")}); res.status != 401 {
		t.Errorf("no token: status %d", res.status)
	}
}
