package postgrest

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/pgtest"
)

// Helpers of the spec_*_test.go files, which replay PostgREST v16.2's
// test specs (test/spec/Feature/**) on the project's own fixtures.

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
