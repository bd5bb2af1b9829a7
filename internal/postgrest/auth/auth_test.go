package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

var secret = []byte("reallyreallyreallyreallyverysafe")

func mint(claims map[string]any) string {
	h, _ := json.Marshal(map[string]any{"alg": "HS256", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func hdr(v string) http.Header { return http.Header{"Authorization": {v}} }

// The cache never extends a token's life: time checks run on every
// request (Auth.hs:27-32@v16.2).
func TestCacheNeverExtendsLife(t *testing.T) {
	a := New(Config{Secret: secret, RoleClaim: MustParsePath("$.role"), AnonRole: "anon", CacheMaxEntries: 10})
	now := time.Unix(1_800_000_000, 0)
	a.SetClock(func() time.Time { return now })
	tok := mint(map[string]any{"role": "r", "exp": now.Unix() + 60})
	if _, e := a.Authenticate(hdr("Bearer " + tok)); e != nil {
		t.Fatalf("fresh token: %v", e)
	}
	if a.Cache().Len() != 1 {
		t.Fatalf("cache len %d", a.Cache().Len())
	}
	now = now.Add(91 * time.Second) // past exp + 30 s leeway
	if _, e := a.Authenticate(hdr("Bearer " + tok)); e == nil || e.Message != "JWT expired" {
		t.Fatalf("cached expired token accepted: %v", e)
	}
}

func TestCacheBounded(t *testing.T) {
	a := New(Config{Secret: secret, RoleClaim: MustParsePath("$.role"), AnonRole: "anon", CacheMaxEntries: 3})
	for i := 0; i < 10; i++ {
		if _, e := a.Authenticate(hdr("Bearer " + mint(map[string]any{"role": "r", "n": i}))); e != nil {
			t.Fatal(e)
		}
	}
	if n := a.Cache().Len(); n != 3 {
		t.Fatalf("cache holds %d entries, want 3", n)
	}
	// failures are not cached
	a.Authenticate(hdr("Bearer a.b.c"))
	if n := a.Cache().Len(); n != 3 {
		t.Fatalf("cache holds %d entries after a failure", n)
	}
}

func TestRoleClaimKey(t *testing.T) {
	claims := map[string]any{"role": "a", "app": map[string]any{"roles": []any{"x", "y"}}, "https://ns/role": "z", "num": json.Number("5")}
	cases := []struct {
		key, want string
		found     bool
	}{
		{"$.role", "a", true},
		{".role", "a", true}, // deprecated JSPath syntax still accepted in v16.2
		{"$.app.roles[1]", "y", true},
		{`$."https://ns/role"`, "z", true},
		{"$.missing", "", false},
	}
	for _, c := range cases {
		p, err := ParsePath(c.key)
		if err != nil {
			t.Fatalf("%s: %v", c.key, err)
		}
		v, ok := p.Eval(claims)
		if ok != c.found || (ok && v != c.want) {
			t.Errorf("%s: %v %v", c.key, v, ok)
		}
	}
	if _, err := ParsePath("role"); err == nil {
		t.Error("a key without $ must be rejected")
	}
	// a non-string role claim is used as its JSON text
	a := New(Config{Secret: secret, RoleClaim: MustParsePath("$.num")})
	res, e := a.Authenticate(hdr("Bearer " + mint(map[string]any{"num": 5})))
	if e != nil || res.Role != "5" {
		t.Fatalf("numeric role: %v %v", res, e)
	}
}

// Auth.hs@v16.2: no anon role → 401 PGRST302; no secret + token → 500 PGRST300.
func TestAnonAndSecretErrors(t *testing.T) {
	a := New(Config{Secret: secret, RoleClaim: MustParsePath("$.role")})
	if _, e := a.Authenticate(http.Header{}); e == nil || e.Code != "PGRST302" || e.Status != 401 || e.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("no anon role: %+v", e)
	}
	if _, e := a.Authenticate(hdr("Bearer " + mint(map[string]any{"sub": "x"}))); e == nil || e.Code != "PGRST302" {
		t.Fatalf("token without role and no anon: %+v", e)
	}
	b := New(Config{RoleClaim: MustParsePath("$.role"), AnonRole: "anon"})
	if _, e := b.Authenticate(hdr("Bearer " + mint(map[string]any{"role": "x"}))); e == nil || e.Code != "PGRST300" || e.Status != 500 {
		t.Fatalf("no secret: %+v", e)
	}
	if r, e := b.Authenticate(http.Header{}); e != nil || r.Role != "anon" {
		t.Fatalf("no secret, no token: %+v %+v", r, e)
	}
	// aud configured
	c := New(Config{Secret: secret, RoleClaim: MustParsePath("$.role"), AnonRole: "anon", Audience: "api"})
	for _, tc := range []struct {
		aud any
		ok  bool
	}{{"api", true}, {"other", false}, {[]any{"x", "api"}, true}, {[]any{}, true}, {nil, true}, {[]any{"x"}, false}} {
		claims := map[string]any{"role": "r"}
		if tc.aud != nil {
			claims["aud"] = tc.aud
		}
		_, e := c.Authenticate(hdr("Bearer " + mint(claims)))
		if (e == nil) != tc.ok || (e != nil && e.Message != "JWT not in audience") {
			t.Errorf("aud %v: %+v", tc.aud, e)
		}
	}
}
