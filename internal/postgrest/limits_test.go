package postgrest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/queryparams"
)

// errorBody checks PostgREST's four-key error body and returns its code.
func errorBody(t *testing.T, body string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("error body is not JSON: %v: %q", err, body)
	}
	for _, k := range []string{"code", "details", "hint", "message"} {
		if _, ok := m[k]; !ok || len(m) != 4 {
			t.Fatalf("error body lacks %q or has extra keys: %s", k, body)
		}
	}
	var code string
	_ = json.Unmarshal(m["code"], &code)
	return code
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A panic while serving is a 500 with PostgREST's error body for that
// request only, logged with its stack; the next request is served.
//
// Not parallel: testHookServe is a package variable.
func TestPanicIsA500ForThatRequestOnly(t *testing.T) {
	e := newEngine(t, fixtureSQL, nil)
	logs := &syncBuffer{}
	e.srv.log.SetOutput(logs)
	hook := func(r *http.Request) {
		if r.Header.Get("X-Test-Panic") != "" {
			panic("injected test panic")
		}
	}
	testHookServe.Store(&hook)
	t.Cleanup(func() { testHookServe.Store(nil) })

	req, _ := http.NewRequest("GET", e.url+"/items?select=id", nil)
	req.Header.Set("X-Test-Panic", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the panicking request got no response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || errorBody(t, string(body)) != "PGRSTX00" {
		t.Fatalf("panic: %d %s", resp.StatusCode, body)
	}
	if l := logs.String(); !strings.Contains(l, "injected test panic") || !strings.Contains(l, "goroutine ") {
		t.Fatalf("panic not logged with its stack: %q", l)
	}
	if r := e.do("GET", "/items?select=id&id=eq.1", nil, ""); r.status != 200 || !jsonEq(r.body, `[{"id":1}]`) {
		t.Fatalf("after the panic: %d %s", r.status, r.body)
	}
}

// endlessReader yields n bytes of 'a' without holding them.
type endlessReader struct{ n int }

func (r *endlessReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = 'a'
	}
	r.n -= k
	return k, nil
}

const loginPrefix = `{"user_":"u","pass":"`

// loginBody is a /rpc/login body of len(loginPrefix)+n+2 bytes.
func loginBody(n int) io.Reader {
	return io.MultiReader(strings.NewReader(loginPrefix), &endlessReader{n: n}, strings.NewReader(`"}`))
}

// Bodies over PGRST_SERVER_MAX_BODY_SIZE get 413 before anything is
// parsed, whether the length is declared or not; smaller ones are served.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	e := newReadOnlyEngine(t, func(env map[string]string) { env["PGRST_SERVER_MAX_BODY_SIZE"] = "4096" })
	post := func(body io.Reader, length int64) (int, string) {
		req, _ := http.NewRequest("POST", e.url+"/rpc/login", body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Profile", "auth")
		req.ContentLength = length // -1: chunked, no declared length
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, length := range []int64{-1, int64(len(loginPrefix)) + 4097 + 2} {
		st, body := post(loginBody(4097), length)
		if st != 413 || errorBody(t, body) != "PGRSTX01" || !strings.Contains(body, "4096 bytes") {
			t.Fatalf("over the limit (Content-Length %d): %d %s", length, st, body)
		}
	}
	// at the limit: the function runs (wrong password: PT401)
	ok := loginPrefix + strings.Repeat("a", 4096-len(loginPrefix)-2) + `"}`
	if st, body := post(strings.NewReader(ok), -1); st != 401 || !strings.Contains(body, "Invalid user or password") {
		t.Fatalf("at the limit: %d %s", st, body)
	}
	if r := e.do("POST", "/rpc/login", map[string]string{"Content-Profile": "auth"}, `{"user_":"u","pass":"secret"}`); r.status != 204 {
		t.Fatalf("small body: %d %s", r.status, r.body)
	}
}

// A 100 MB body costs the engine at most about the limit in allocations
// (before the limit it allocated the whole body several times over).
//
// Not parallel: the allocations counted are the whole process's.
func TestBodyLimitBoundsMemory(t *testing.T) {
	e := newEngine(t, fixtureSQL, nil)
	for _, declared := range []bool{false, true} {
		req := httptest.NewRequest("POST", "/rpc/login", loginBody(100<<20))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Profile", "auth")
		req.ContentLength = -1
		if declared {
			req.ContentLength = int64(len(loginPrefix)) + 100<<20 + 2
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("100 MB body (declared length %v): status %d, %.1f MiB allocated", declared, rec.Code, float64(alloc)/(1<<20))
		if rec.Code != 413 {
			t.Fatalf("status %d %s", rec.Code, rec.Body)
		}
		if alloc > 16<<20 {
			t.Fatalf("%d bytes allocated for a body over a 1 MiB limit", alloc)
		}
	}
}

// URIs over 16 KiB get 414 and headers over 32 KiB get 431, both with
// PostgREST's error body, before the query string is parsed.
func TestURIAndHeaderLimits(t *testing.T) {
	t.Parallel()
	e := newReadOnlyEngine(t, nil)
	r := e.do("GET", "/items?select=id&name=eq."+strings.Repeat("a", apirequest.MaxURIBytes), nil, "")
	if r.status != 414 || errorBody(t, r.body) != "PGRSTX02" {
		t.Fatalf("long URI: %d %s", r.status, r.body)
	}
	r = e.do("GET", "/items?select=id", map[string]string{"X-Big": strings.Repeat("b", apirequest.MaxHeaderBytes)}, "")
	if r.status != 431 || errorBody(t, r.body) != "PGRSTX03" {
		t.Fatalf("big header: %d %s", r.status, r.body)
	}
	// far over: net/http's own cap answers without reading it all
	r = e.do("GET", "/items?select=id", map[string]string{"X-Big": strings.Repeat("b", 4*apirequest.MaxHeaderBytes)}, "")
	if r.status != 431 {
		t.Fatalf("huge header: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/items?select=id&id=eq.1", map[string]string{"X-Ok": strings.Repeat("c", 8<<10)}, ""); r.status != 200 {
		t.Fatalf("normal request: %d %s", r.status, r.body)
	}
}

// While PostgreSQL shuts down (smart mode: sessions stay, new connections
// get FATAL 57P03 "the database system is shutting down"), requests get 503
// PGRST000 with Retry-After as PostgREST's ConnectionUsageError, never 500;
// the engine recovers by itself once PostgreSQL is back.
//
// Not parallel: it stops the package's PostgreSQL (parallel tests start
// only after the others have ended).
func TestShuttingDownIs503(t *testing.T) {
	e := newEngine(t, fixtureSQL, nil)
	if r := e.do("GET", "/items?select=id&id=eq.1", nil, ""); r.status != 200 {
		t.Fatalf("before: %d %s", r.status, r.body)
	}
	ctx := context.Background()
	held, err := pgx.Connect(ctx, e.db) // keeps the smart shutdown waiting
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close(ctx)
	cl := pgtest.Server(t)
	restarted := false
	defer func() {
		if !restarted {
			_ = cl.Stop()
			_ = cl.Start(context.Background())
		}
	}()
	if err := syscall.Kill(cl.Pid(), syscall.SIGTERM); err != nil { // pg_ctl stop -m smart
		t.Fatal(err)
	}
	// new connections are refused with 57P03 once the postmaster has the signal
	eventually(t, "57P03 on connect", func() bool {
		c, err := pgx.Connect(ctx, e.db)
		if err == nil {
			c.Close(ctx)
			return false
		}
		return strings.Contains(err.Error(), "57P03")
	})
	e.srv.Pool().Reset() // the next request must connect
	r := e.do("GET", "/items?select=id&id=eq.1", nil, "")
	if r.status != 503 || r.header.Get("Retry-After") == "" || errorBody(t, r.body) != "PGRST000" || !strings.Contains(r.body, "57P03") ||
		!strings.Contains(r.body, `"message":"Database connection error. Retrying the connection."`) {
		t.Fatalf("while shutting down: %d %s %v", r.status, r.body, r.header)
	}
	if err := cl.Stop(); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := cl.Start(sctx); err != nil {
		t.Fatal(err)
	}
	restarted = true
	eventually(t, "recovery", func() bool { return e.do("GET", "/items?select=id&id=eq.1", nil, "").status == 200 })
}

// The hardening issue's requests: deep and/or trees and select lists are a
// 400 PGRST100 naming the limit (the 1 MB crasher is refused
// before parsing), deep JSON
// bodies a 400 PGRST102; the engine keeps serving.
func TestNestingLimitsOverHTTP(t *testing.T) {
	t.Parallel()
	e := newReadOnlyEngine(t, nil)
	nest := func(depth int) string {
		return strings.Repeat("(and", depth-1) + "(id.eq.1" + strings.Repeat(")", depth)
	}
	if r := e.do("GET", "/items?select=id&and="+nest(64), nil, ""); r.status != 200 || !jsonEq(r.body, `[{"id":1}]`) {
		t.Fatalf("64 levels: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/?and=" + nest(65), "/task?or=" + strings.Replace(nest(65), "(and", "(or", -1),
		"/items?select=" + strings.Repeat("a(", 65) + "id" + strings.Repeat(")", 65)} {
		r := e.do("GET", path, nil, "")
		if r.status != 400 || errorBody(t, r.body) != "PGRST100" || !strings.Contains(r.body, "nesting deeper than 64 levels") {
			t.Fatalf("%.40s…: %d %s", path, r.status, r.body)
		}
	}
	// beyond net/http's own request-line-and-headers cap it answers 431 itself
	if r := e.do("GET", "/?and="+nest(200000), nil, ""); r.status != 431 {
		t.Fatalf("1 MB crasher: %d %.200s", r.status, r.body)
	}
	deep := `{"payload":` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `}` // 64 levels with the object
	if r := e.do("POST", "/rpc/named_json", nil, deep); r.status != 200 {
		t.Fatalf("body at the limit: %d %s", r.status, r.body)
	}
	deeper := `{"payload":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`
	r := e.do("POST", "/rpc/named_json", nil, deeper)
	if r.status != 400 || errorBody(t, r.body) != "PGRST102" || !strings.Contains(r.body, "nesting deeper than 64 levels") {
		t.Fatalf("deep body: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/items?select=id&id=eq.2", nil, ""); r.status != 200 {
		t.Fatalf("afterwards: %d %s", r.status, r.body)
	}
}

// Crash recovery: a backend killed with SIGKILL makes the postmaster end
// every session (57P02) and recover (new connections get 57P03 "in recovery
// mode"). Requests meanwhile are 503, never 500, and the engine recovers.
//
// Not parallel: the crash ends every session of the package's PostgreSQL.
func TestCrashRecoveryIs503(t *testing.T) {
	e := newEngine(t, fixtureSQL, nil)
	ctx := context.Background()
	// fill the pool with idle connections that the crash will end
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); e.do("GET", "/items?select=id", nil, "") }()
	}
	wg.Wait()
	victim, err := pgx.Connect(ctx, e.db)
	if err != nil {
		t.Fatal(err)
	}
	// the test cluster commits asynchronously: flush so that recovery keeps
	// the fixture
	if _, err := victim.Exec(ctx, "checkpoint"); err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := victim.QueryRow(ctx, "select pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	victim.Close(ctx)
	statuses := map[int]int{}
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := e.do("GET", "/items?select=id&id=eq.1", nil, "")
		statuses[r.status]++
		if r.status == 500 {
			t.Fatalf("500 during crash recovery: %s", r.body)
		}
		if r.status == 503 && r.header.Get("Retry-After") == "" {
			t.Fatalf("503 without Retry-After: %s", r.body)
		}
		if r.status == 200 && statuses[503] > 0 || time.Now().After(deadline) {
			break
		}
		if r.status == 200 && statuses[200] > 50 {
			break // recovery was faster than the first request
		}
		if r.status != 200 && r.status != 503 {
			t.Fatalf("during crash recovery: %d %s", r.status, r.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("statuses while recovering: %v", statuses)
	if statuses[200] == 0 {
		t.Fatal("never recovered")
	}
}

// Many or deep embedded resources: 800 to-one embeds in one anonymous request
// (under the 16 KiB query string limit) made the PostgreSQL backend that
// planned them grow to 24 GB until the OOM killer ended it and, with it,
// every session of the cluster. More than MaxEmbeds (64) is now a 400
// before any SQL; 64 of the same embed, the worst shape measured, plan in
// well under a second and answer. Embedding a cycle (films → director →
// films …) 48 deep grew a backend to 10 GB on this fixture's 5 films;
// deeper than 16 levels is a 400 too.
func TestEmbedLimitOverHTTP(t *testing.T) {
	e := embedEngine(t, nil)
	sel := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("d%d:directors(id)", i)
		}
		return "/films?select=id," + strings.Join(parts, ",") + "&id=eq.1"
	}
	r := e.do("GET", sel(queryparams.MaxEmbeds), nil, "")
	var rows []map[string]any
	if r.status != 200 || json.Unmarshal([]byte(r.body), &rows) != nil || len(rows) != 1 || len(rows[0]) != 65 || rows[0]["d63"] == nil {
		t.Fatalf("64 embeds: %d %.300s", r.status, r.body)
	}
	for _, n := range []int{queryparams.MaxEmbeds + 1, 800} {
		r = e.do("GET", sel(n), nil, "")
		if r.status != 400 || errorBody(t, r.body) != "PGRST100" || !strings.Contains(r.body, "more than 64 embedded resources") {
			t.Fatalf("%d embeds: %d %.300s", n, r.status, r.body)
		}
	}
	// a cycle embedded deeply multiplies the rows at every to-many step
	chain := func(pairs int, leaf string) string {
		return "/films?select=" + strings.Repeat("d:directors(f:films(", pairs) + leaf + strings.Repeat("))", pairs) + "&id=eq.1"
	}
	if r := e.do("GET", chain(queryparams.MaxEmbedDepth/2, "id"), nil, ""); r.status != 200 {
		t.Fatalf("16 levels: %d %.300s", r.status, r.body)
	}
	for _, path := range []string{chain(queryparams.MaxEmbedDepth/2, "d:directors(id)"), chain(24, "id")} {
		r = e.do("GET", path, nil, "")
		if r.status != 400 || errorBody(t, r.body) != "PGRST100" || !strings.Contains(r.body, "embedding deeper than 16 levels") {
			t.Fatalf("%.60s…: %d %.300s", path, r.status, r.body)
		}
	}
	if r := e.do("GET", "/films?select=title,directors(last_name)&id=eq.1", nil, ""); r.status != 200 {
		t.Fatalf("afterwards: %d %s", r.status, r.body)
	}
}
