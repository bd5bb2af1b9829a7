package jwtauth_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTokenFormatEdges covers jwx parsing quirks a caddy-jwt replacement
// must share: exp equal to "now", padded segments, the JSON serialization.
func TestTokenFormatEdges(t *testing.T) {
	t.Setenv("TEST_JWT_SECRET", secretB64)
	s := startSite(t, stackBlock)

	// exp equal to the current second is already expired (now < exp fails);
	// time only moves forward, so this is deterministic.
	expNow := hsClaims(map[string]any{"sub": "demo", "exp": time.Now().Unix()})

	// Padded header/payload segments: the MAC is checked over the canonical
	// (unpadded) re-encoding, so a MAC over the padded text fails while a MAC
	// over the canonical text with padded segments passes.
	hdr := []byte(`{"alg":"HS256","x":12}`) // 22 bytes: base64 needs "=="
	pl := []byte(`{"sub":"demo","p":"ab"}`) // 23 bytes: base64 needs "="
	padded := base64.URLEncoding.EncodeToString(hdr) + "." + base64.URLEncoding.EncodeToString(pl)
	canonical := b64url(hdr) + "." + b64url(pl)
	if strings.Count(padded, "=") != 3 {
		t.Fatalf("test setup: segments are not padded: %s", padded)
	}
	macOverPadded := padded + "." + b64url(hmacSHA256(secret, padded))
	macOverCanonical := padded + "." + b64url(hmacSHA256(secret, canonical))

	// General JSON serialization of the same token.
	valid := sqlToken("demo", time.Hour)
	p := strings.Split(valid, ".")
	jsonSer, _ := json.Marshal(map[string]any{"payload": p[1], "signatures": []any{map[string]any{"protected": p[0], "signature": p[2]}}})

	runCases(t, s, []tcase{
		{"exp equal to now is expired", req{cookies: cookie(expNow)}, 401, nil},
		{"MAC over padded segments", req{headers: bearer(macOverPadded)}, 401, nil},
		{"padded segments, MAC over canonical text", req{headers: bearer(macOverCanonical)}, 200, []string{"id=[demo]"}},
		{"JSON serialization", req{headers: map[string]string{"Authorization": string(jsonSer)}}, 200, []string{"id=[demo]"}},
		{"four dots", req{headers: bearer(valid + ".a.b")}, 401, nil},
	})
}

func TestJWKURLPlaceholdersAndUnreachable(t *testing.T) {
	key, pubSet := rsaJWKS(t, "k1")
	var (
		mu    sync.Mutex
		paths []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if r.URL.Path != "/tenant-a/keys" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(pubSet)
	}))
	defer srv.Close()
	s := startSite(t, `
	route {
		jwtauth {
			jwk_url `+srv.URL+`/{http.request.header.X-Tenant}/keys
		}
		respond "id=[{http.auth.user.id}]" 200
	}
`)
	tok := signRS256(t, key, "k1", map[string]any{"sub": "t-user"})
	runCases(t, s, []tcase{
		{"resolved per request", req{headers: map[string]string{"Authorization": "Bearer " + tok, "X-Tenant": "tenant-a"}}, 200, []string{"id=[t-user]"}},
		{"other tenant has no keys", req{headers: map[string]string{"Authorization": "Bearer " + tok, "X-Tenant": "tenant-b"}}, 401, nil},
	})
	mu.Lock()
	fetched := strings.Join(paths, " ")
	mu.Unlock()
	if !strings.Contains(fetched, "/tenant-b/keys") {
		t.Fatalf("JWKS fetches %v: the placeholder was not resolved per request", fetched)
	}
	if !strings.Contains(s.logs(t), `"msg":"JWK URL"`) {
		t.Fatal("no JWK URL log line")
	}

	// An unreachable JWKS does not stop the config from loading; requests get 401.
	s = startSite(t, `
	route {
		jwtauth {
			jwk_url http://127.0.0.1:`+itoa(freePort(t))+`/keys
		}
		respond "id=[{http.auth.user.id}]" 200
	}
`)
	runCases(t, s, []tcase{{"unreachable JWKS", req{headers: bearer(tok)}, 401, nil}})
	if !strings.Contains(s.logs(t), "failed to refresh JWK cache during initialization") {
		t.Fatal("the failed JWKS fetch was not logged")
	}
}

// TestDuplicateCandidatesTriedOnce: the same token in the cookie and in
// Authorization (after bearer stripping) is verified, and logged, once.
func TestDuplicateCandidatesTriedOnce(t *testing.T) {
	t.Setenv("TEST_JWT_SECRET", secretB64)
	s := startSite(t, stackBlock)
	expired := sqlToken("dedupe", -time.Minute)
	other := sqlToken("dedupe-other", -time.Minute)
	if got := s.do(t, req{cookies: cookie(expired), headers: bearer(expired)}); got.status != 401 {
		t.Fatalf("status %d", got.status)
	}
	if got := s.do(t, req{cookies: cookie(expired), headers: bearer(other)}); got.status != 401 {
		t.Fatalf("status %d", got.status)
	}
	count := func(tok string) int {
		masked := tok[:16] + "…" + tok[len(tok)-16:]
		n := 0
		for _, l := range strings.Split(s.logs(t), "\n") {
			if strings.Contains(l, `"msg":"invalid token"`) && strings.Contains(l, masked) {
				n++
			}
		}
		return n
	}
	if n := count(expired); n != 2 {
		t.Fatalf("expired token checked %d times over two requests, want 2 (once per request)", n)
	}
	if n := count(other); n != 1 {
		t.Fatalf("distinct Authorization token checked %d times, want 1", n)
	}
}
