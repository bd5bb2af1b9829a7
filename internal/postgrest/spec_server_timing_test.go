package postgrest

import (
	"regexp"
	"testing"
)

// TestSpecServerTiming replays PostgREST v16.2's ServerTimingSpec and
// JwtCacheSpec (test/spec/Feature/Query/ServerTimingSpec.hs,
// Auth/JwtCacheSpec.hs): server-timing-enabled adds jwt, parse, plan,
// transaction and response durations (ms) to successful responses.
func TestSpecServerTiming(t *testing.T) {
	t.Parallel()
	e := newEngine(t, fixtureSQL, func(env map[string]string) { env["PGRST_SERVER_TIMING_ENABLED"] = "true" })
	re := regexp.MustCompile(`^jwt;dur=\d+\.\d, parse;dur=\d+\.\d, plan;dur=\d+\.\d, transaction;dur=\d+\.\d, response;dur=\d+\.\d$`)
	user := bearer(t, map[string]any{"role": "basic_subscriber", "username": "alice"})
	for _, c := range []struct {
		method, path, body string
		hdr                map[string]string
		status             int
	}{
		{"GET", "/items?id=eq.1", "", nil, 200},
		{"GET", "/task", "", user, 200},
		{"GET", "/task", "", user, 200}, // cached JWT
		{"POST", "/items", `{"id":9,"name":"nine"}`, nil, 201},
		{"DELETE", "/items?id=eq.9", "", nil, 204},
		{"POST", "/rpc/login", `{"user_":"x","pass":"secret"}`, map[string]string{"Content-Profile": "auth"}, 204},
		{"OPTIONS", "/items", "", nil, 200},
		{"HEAD", "/", "", nil, 200},
	} {
		r := e.do(c.method, c.path, c.hdr, c.body)
		if r.status != c.status {
			t.Fatalf("%s %s: status %d, want %d: %s", c.method, c.path, r.status, c.status, r.body)
		}
		if st := r.header.Get("Server-Timing"); !re.MatchString(st) {
			t.Errorf("%s %s: Server-Timing %q", c.method, c.path, st)
		}
	}
	// errors carry no Server-Timing (App.hs handleError)
	if r := e.do("GET", "/nope", nil, ""); r.status != 404 || r.header.Get("Server-Timing") != "" {
		t.Errorf("error response: %d %q", r.status, r.header.Get("Server-Timing"))
	}
	// off by default
	d := newReadOnlyEngine(t, nil)
	if r := d.do("GET", "/items", nil, ""); r.status != 200 || r.header.Get("Server-Timing") != "" {
		t.Errorf("default: %d %q", r.status, r.header.Get("Server-Timing"))
	}
}
