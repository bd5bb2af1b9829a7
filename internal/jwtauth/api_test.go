package jwtauth

// These tests pin the package-internal API that mirrors caddy-jwt v1.1.1
// (helper names, signatures and the jwkCaches field), so code written
// against caddy-jwt's package keeps compiling and behaving the same here.
// Every identifier in this file starts with "api" or "TestAPI" to stay clear
// of names such code may declare in the same package.

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/caddyauth"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestAPIParseMetaClaim(t *testing.T) {
	for _, c := range []struct {
		in, claim, placeholder string
		ok                     bool
	}{
		{"role", "role", "role", true},
		{"org.role -> org_role", "org.role", "org_role", true},
		{"  tier->plan  ", "tier", "plan", true},
		{"-> orphan", "", "", false},
		{"dangling ->", "", "", false},
		{"a -> b -> c", "", "", false},
		{"   ", "", "", false},
	} {
		claim, placeholder, err := parseMetaClaim(c.in)
		assert.Equal(t, c.claim, claim, c.in)
		assert.Equal(t, c.placeholder, placeholder, c.in)
		if c.ok {
			assert.NoError(t, err, c.in)
		} else if assert.Error(t, err, c.in) {
			assert.Contains(t, err.Error(), c.in)
		}
	}
}

func TestAPIStringify(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	for _, c := range []struct {
		in   any
		want string
	}{
		{nil, ""},
		{"plain", "plain"},
		{false, "false"},
		{json.Number("12.50"), "12.50"},
		{time.Date(2024, 2, 29, 1, 0, 0, 5, paris), "2024-02-29T00:00:00.000000005Z"},
		{net.IPv4(127, 0, 0, 1), "127.0.0.1"}, // a fmt.Stringer
		{[]any{"a", true, json.Number("3"), map[string]any{}}, "a,true,3,"},
		{[]string{"typed", "slice"}, ""},
		{float64(7), ""},
		{struct{}{}, ""},
	} {
		assert.Equal(t, c.want, stringify(c.in), "%#v", c.in)
	}
}

func TestAPIDesensitizedTokenString(t *testing.T) {
	assert.Equal(t, "", desensitizedTokenString(""))
	assert.Equal(t, "123456", desensitizedTokenString("123456"))
	assert.Equal(t, "12…67", desensitizedTokenString("1234567"))
	assert.Equal(t, "abcde…lmnop", desensitizedTokenString("abcdefghijklmnop"))
	long := strings.Repeat("0123456789", 6)
	assert.Equal(t, long[:16]+"…"+long[44:], desensitizedTokenString(long))
}

func TestAPITokenSources(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/?a=qa&b=&c=qc", nil)
	r.Header.Set("X-One", "h1")
	r.Header.Set("Authorization", "Bearer z")
	r.AddCookie(&http.Cookie{Name: "s", Value: "c1"})
	r.AddCookie(&http.Cookie{Name: "s", Value: "c2"})

	assert.Equal(t, []string{"qc", "qa"}, getTokensFromQuery(r, []string{"c", "b", "missing", "a"}))
	assert.Equal(t, []string{"h1"}, getTokensFromHeader(r, []string{"x-one", "X-Two"}))
	assert.Equal(t, []string{"c1"}, getTokensFromCookies(r, []string{"s", "t"}))
	// Nothing found is an empty, non-nil list.
	assert.Equal(t, []string{}, getTokensFromQuery(r, nil))
	assert.Equal(t, []string{}, getTokensFromCookies(r, []string{"none"}))

	ja := &JWTAuth{FromQuery: []string{"a"}, FromHeader: []string{"X-One"}, FromCookies: []string{"s"}}
	assert.Equal(t, []string{"qa", "h1", "c1", "Bearer z"}, ja.candidates(r))
	assert.Equal(t, "z", normToken("BEARER  z "))
}

func TestAPIDetermineSigningAlgorithm(t *testing.T) {
	ja := &JWTAuth{SignAlgorithm: "HS384"}
	assert.Equal(t, jwa.RS512, ja.determineSigningAlgorithm(jwa.KeyAlgorithmFrom(""), jwa.RS512))
	assert.Equal(t, jwa.ES256, ja.determineSigningAlgorithm(jwa.ES256, jwa.RS512))
	assert.Equal(t, jwa.HS384, ja.determineSigningAlgorithm(jwa.SignatureAlgorithm("")))
	assert.Equal(t, jwa.SignatureAlgorithm(""), (&JWTAuth{}).determineSigningAlgorithm())
}

func TestAPIErrorSinkLogs(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	ja := &JWTAuth{logger: zap.New(core)}
	ja.Error(errors.New("jwks fetch broke"))
	entries := logs.All()
	require.Len(t, entries, 1)
	assert.Equal(t, zap.ErrorLevel, entries[0].Level)
	assert.Equal(t, "error", entries[0].Message)
	assert.Equal(t, "jwks fetch broke", entries[0].ContextMap()["error"])
}

// apiJWKServer publishes one Ed25519 public JWK per tenant at /<tenant>.
func apiJWKServer(t *testing.T, tenants ...string) (string, map[string]jwk.Key) {
	t.Helper()
	mux := http.NewServeMux()
	private := make(map[string]jwk.Key)
	for _, tenant := range tenants {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		key, err := jwk.FromRaw(priv)
		require.NoError(t, err)
		require.NoError(t, key.Set(jwk.KeyIDKey, "kid-"+tenant))
		require.NoError(t, key.Set(jwk.AlgorithmKey, jwa.EdDSA))
		pub, err := key.PublicKey()
		require.NoError(t, err)
		set := jwk.NewSet()
		require.NoError(t, set.AddKey(pub))
		body, err := json.Marshal(set)
		require.NoError(t, err)
		mux.HandleFunc("/"+tenant, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})
		private[tenant] = key
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, private
}

func apiSign(t *testing.T, key jwk.Key, sub string) string {
	t.Helper()
	tok, err := jwt.NewBuilder().Subject(sub).Build()
	require.NoError(t, err)
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA, key))
	require.NoError(t, err)
	return string(signed)
}

func apiRequest(tenant, token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	repl := caddy.NewReplacer()
	repl.Set("tenant", tenant)
	r = r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl))
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

func TestAPIJWKCachesPerResolvedURL(t *testing.T) {
	base, keys := apiJWKServer(t, "red", "blue")
	ja := &JWTAuth{JWKURL: base + "/{tenant}"}
	require.True(t, ja.usingJWK())
	require.NoError(t, ja.Validate())
	require.NotNil(t, ja.jwkCaches)
	assert.Empty(t, ja.jwkCaches, "no cache before the first request")
	t.Cleanup(func() { _ = ja.Cleanup() })

	user, ok, err := ja.Authenticate(nil, apiRequest("red", apiSign(t, keys["red"], "rosa")))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, User{ID: "rosa"}, user)

	// A blue token checked against the red key set: the kid is unknown there.
	_, ok, err = ja.Authenticate(nil, apiRequest("red", apiSign(t, keys["blue"], "bo")))
	assert.False(t, ok)
	if assert.Error(t, err) {
		assert.Contains(t, err.Error(), `"kid-blue" not found in JWKs from `+base+"/red")
	}

	_, ok, err = ja.Authenticate(nil, apiRequest("blue", apiSign(t, keys["blue"], "bo")))
	require.NoError(t, err)
	assert.True(t, ok)

	require.Len(t, ja.jwkCaches, 2)
	for _, tenant := range []string{"red", "blue"} {
		entry := ja.jwkCaches[base+"/"+tenant]
		require.NotNil(t, entry, tenant)
		assert.Equal(t, 1, entry.CachedSet.Len(), tenant)
		_, found := entry.CachedSet.LookupKeyID("kid-" + tenant)
		assert.True(t, found, tenant)
	}
	assert.Equal(t, base+"/blue", ja.resolveJWKURL(apiRequest("blue", "")))
}

func TestAPIParseCaddyfile(t *testing.T) {
	h := httpcaddyfile.Helper{Dispenser: caddyfile.NewTestDispenser(`
	jwtauth {
		jwk_url http://127.0.0.1:9/{tenant}
		from_cookies at
		user_claims uid sub
		meta_claims "org.role -> role" plan
	}`)}
	handler, err := parseCaddyfile(h)
	require.NoError(t, err)
	auth, ok := handler.(caddyauth.Authentication)
	require.True(t, ok)
	var got JWTAuth
	require.NoError(t, json.Unmarshal(auth.ProvidersRaw["jwt"], &got))
	assert.Equal(t, JWTAuth{
		JWKURL:      "http://127.0.0.1:9/{tenant}",
		FromCookies: []string{"at"},
		UserClaims:  []string{"uid", "sub"},
		MetaClaims:  map[string]string{"org.role": "role", "plan": "plan"},
	}, got)
	// Every field is present, also the empty ones (no omitempty).
	assert.True(t, strings.HasPrefix(string(auth.ProvidersRaw["jwt"]), `{"sign_key":"",`))
}

func TestAPIErrorsAndParseSignKey(t *testing.T) {
	_, _, err := parseSignKey("")
	assert.ErrorIs(t, err, ErrMissingKeys)
	_, asym, err := parseSignKey("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----")
	assert.True(t, asym)
	assert.ErrorIs(t, err, ErrInvalidPublicKey)
	raw, asym, err := parseSignKey("c2VjcmV0")
	assert.NoError(t, err)
	assert.False(t, asym)
	assert.Equal(t, []byte("secret"), raw)

	ja := &JWTAuth{SignKey: "c2VjcmV0", SignAlgorithm: "HS999"}
	assert.ErrorIs(t, ja.Validate(), ErrInvalidSignAlgorithm)
	assert.Equal(t, "user claim is empty", ErrEmptyUserClaim.Error())
}
