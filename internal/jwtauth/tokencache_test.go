package jwtauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

var cacheKey = []byte("0123456789abcdef0123456789ABCDEF")

func cacheToken(key []byte, claims map[string]any) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]any{"alg": "HS256", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	in := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + enc.EncodeToString(m.Sum(nil))
}

func cacheModule(t *testing.T, withCache bool) *JWTAuth {
	t.Helper()
	ja := &JWTAuth{SignKey: base64.StdEncoding.EncodeToString(cacheKey), SignAlgorithm: "HS256"}
	if err := ja.Validate(); err != nil {
		t.Fatal(err)
	}
	if withCache {
		ja.verified = newTokenCache(maxVerifiedTokens)
	}
	return ja
}

func cacheAuth(ja *JWTAuth, tok string) (User, bool, error) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return ja.Authenticate(nil, r)
}

// A token whose signature was verified while it was valid is still
// rejected once expired, with the error the module gives without a cache,
// and leaves the cache.
func TestCacheNeverExtendsATokensLife(t *testing.T) {
	expired := cacheToken(cacheKey, map[string]any{"sub": "demo", "exp": time.Now().Add(-time.Minute).Unix()})
	_, _, want := cacheAuth(cacheModule(t, false), expired)
	if want == nil {
		t.Fatal("an expired token was accepted without the cache")
	}
	ja := cacheModule(t, true)
	verified, err := jwt.ParseString(expired, jwt.WithKey(jwa.HS256, cacheKey), jwt.WithValidate(false))
	if err != nil {
		t.Fatal(err)
	}
	ja.verified.put(expired, verified) // as if cached while it was valid
	_, ok, got := cacheAuth(ja, expired)
	if ok || got == nil || got.Error() != want.Error() {
		t.Fatalf("cached expired token: ok=%v err=%v, want %v", ok, got, want)
	}
	if _, cached := ja.verified.get(expired); cached {
		t.Error("the expired token stayed in the cache")
	}
}

// Forged and malformed tokens are never cached; valid ones are, and give
// the same user with or without the cache, also under racing requests.
func TestCacheConcurrentAuthenticate(t *testing.T) {
	ja, plain := cacheModule(t, true), cacheModule(t, false)
	var valid, forged []string
	for i := 0; i < 50; i++ {
		claims := map[string]any{"sub": fmt.Sprint("user", i), "exp": time.Now().Add(time.Hour).Unix()}
		valid = append(valid, cacheToken(cacheKey, claims))
		forged = append(forged, cacheToken([]byte("another key of thirty-two bytes!"), claims))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				n := (g*31 + i) % 50
				u, ok, err := cacheAuth(ja, valid[n])
				want, _, _ := cacheAuth(plain, valid[n])
				if !ok || err != nil || u.ID != want.ID {
					errs <- fmt.Errorf("valid token %d: %v %v %q", n, ok, err, u.ID)
					return
				}
				if _, ok, _ := cacheAuth(ja, forged[n]); ok {
					errs <- fmt.Errorf("forged token %d accepted", n)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, f := range forged {
		if _, cached := ja.verified.get(f); cached {
			t.Fatal("a forged token was cached")
		}
	}
	if _, cached := ja.verified.get(valid[0]); !cached {
		t.Error("a valid token was not cached")
	}
}

// The cache holds at most maxVerifiedTokens entries.
func TestCacheBounded(t *testing.T) {
	c := newTokenCache(3)
	tok, _ := jwt.NewBuilder().Subject("x").Build()
	for i := 0; i < 10; i++ {
		c.put(fmt.Sprint(i), tok)
		if len(c.m) > 3 {
			t.Fatalf("%d entries", len(c.m))
		}
	}
}
