package postgrest

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/pgtest"
)

// Helpers of the spec_*_test.go files, which replay PostgREST v16.2's
// test specs (test/spec/Feature/**) on the project's own fixtures, and of
// the tests named for a behaviour (errors_test.go, txsettings_test.go …).

// tc is one case: a request and what its response must be. cite names
// what it reflects: a PostgREST v16.2 test ("T:Query/RpcSpec.hs:470@v16.2"
// is test/spec/Feature/Query/RpcSpec.hs line 470), a source file
// ("Plan.hs@v16.2" is src/library/PostgREST/Plan.hs) or the project's docs.
type tc struct {
	name, cite   string
	method, path string
	hdr          map[string]string
	body         string
	status       int
	wantBody     string            // exact JSON (semantic) when not ""
	contains     []string          // substrings of the body
	wantHdr      map[string]string // exact header values ("" = must be absent)
	check        func(t *testing.T, r result)
}

// runCases runs cases in order on one engine (a case may depend on the
// writes of the cases before it), each as a subtest.
func runCases(t *testing.T, e *engine, cases []tc) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.hdr, c.body)
			if r.status != c.status {
				t.Fatalf("[%s] status %d, want %d; body %s", c.cite, r.status, c.status, r.body)
			}
			if c.wantBody != "" && !jsonEq(r.body, c.wantBody) {
				t.Errorf("[%s] body %s, want %s", c.cite, r.body, c.wantBody)
			}
			for _, s := range c.contains {
				if !strings.Contains(r.body, s) {
					t.Errorf("[%s] body %s lacks %q", c.cite, r.body, s)
				}
			}
			for k, v := range c.wantHdr {
				got := strings.Join(r.header.Values(k), "\n")
				if got != v {
					t.Errorf("[%s] header %s = %q, want %q", c.cite, k, got, v)
				}
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

// runBothModes runs a case table on two engines, each with fixture in a
// database of its own and in parallel with other tests: one with prepared
// statements (the default), one with unnamed statements only
// (PGRST_DB_PREPARED_STATEMENTS=false, as behind PgBouncer in transaction
// mode), which must give the same answers. cases builds the table for its
// engine (checks may send requests of their own).
func runBothModes(t *testing.T, fixture string, mod func(env map[string]string), cases func(t *testing.T, e *engine) []tc) {
	t.Helper()
	bothModes(t, func(t *testing.T, mod func(env map[string]string)) *engine { return newEngine(t, fixture, mod) }, mod, cases)
}

// runBothModesReadOnly is runBothModes(t, fixtureSQL, nil, cases) on the
// shared fixture database (newReadOnlyEngine), for a table whose cases
// change no row that another test reads.
func runBothModesReadOnly(t *testing.T, cases func(t *testing.T, e *engine) []tc) {
	t.Helper()
	bothModes(t, func(t *testing.T, mod func(env map[string]string)) *engine { return newReadOnlyEngine(t, mod) }, nil, cases)
}

func bothModes(t *testing.T, start func(t *testing.T, mod func(env map[string]string)) *engine, mod func(env map[string]string), cases func(t *testing.T, e *engine) []tc) {
	t.Helper()
	for _, m := range []struct{ name, prepared string }{{"prepared", "true"}, {"unprepared", "false"}} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, func(env map[string]string) {
				if mod != nil {
					mod(env)
				}
				env["PGRST_DB_PREPARED_STATEMENTS"] = m.prepared
			})
			runCases(t, e, cases(t, e))
		})
	}
}

// errBody is PostgREST's error body (Error.hs@v16.2: four keys, nulls kept).
func errBody(code, msg string, details, hint any) string {
	b, _ := json.Marshal(map[string]any{"code": code, "message": msg, "details": details, "hint": hint})
	return string(b)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// jsonCT is the Content-Type of JSON responses.
const jsonCT = "application/json; charset=utf-8"

// invalidToken is the WWW-Authenticate value of a JWT error (Error.hs
// :684-689@v16.2).
func invalidToken(msg string) string {
	return `Bearer error="invalid_token", error_description="` + msg + `"`
}

// aliceToken is a valid token of the fixture's basic_subscriber alice.
func aliceToken(t *testing.T) map[string]string {
	return bearer(t, map[string]any{"role": "basic_subscriber", "username": "alice", "exp": time.Now().Unix() + 3600})
}

// authProfile selects the fixture's auth schema for a POST.
var authProfile = map[string]string{"Content-Profile": "auth"}

// raw checks the exact body bytes (for CSV, XML and binary media types).
func raw(want string) func(t *testing.T, r result) {
	return func(t *testing.T, r result) {
		t.Helper()
		if r.body != want {
			t.Errorf("body %q, want %q", r.body, want)
		}
	}
}

// both runs several checks.
func both(checks ...func(t *testing.T, r result)) func(t *testing.T, r result) {
	return func(t *testing.T, r result) {
		t.Helper()
		for _, c := range checks {
			c(t, r)
		}
	}
}

// hasHeader checks that a header is present (whatever its value).
func hasHeader(name string) func(t *testing.T, r result) {
	return func(t *testing.T, r result) {
		t.Helper()
		if _, ok := r.header[strings.ToLower(name)]; !ok && r.header.Get(name) == "" {
			t.Errorf("header %s absent", name)
		}
	}
}

// contentLength checks Content-Length against the body received.
func contentLength(t *testing.T, r result) {
	t.Helper()
	if got := r.header.Get("Content-Length"); got != strconv.Itoa(len(r.body)) {
		t.Errorf("Content-Length %q for a body of %d bytes", got, len(r.body))
	}
}

func accept(mt string) map[string]string { return map[string]string{"Accept": mt} }

// notAvailable is PGRST107's body for one Accept value.
func notAvailable(mts string) string {
	return errBody("PGRST107", "None of these media types are available: "+mts, nil, nil)
}

// exec runs SQL as the superuser on the engine's database.
func exec(t *testing.T, e *engine, sql string) {
	t.Helper()
	pool := pgtest.NewPool(t, e.db)
	if _, err := pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("exec: %v", err)
	}
}
