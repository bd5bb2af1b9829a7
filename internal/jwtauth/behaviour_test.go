package jwtauth_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// The stack's own block: HS256 secret from the environment, token from the
// access_token cookie.
const stackBlock = `
	route {
		jwtauth {
			sign_key {env.TEST_JWT_SECRET}
			sign_alg HS256
			from_cookies access_token
		}
		respond "id=[{http.auth.user.id}] role=[{http.auth.user.role}]" 200
	}
`

func cookie(tok string) []string { return []string{"access_token=" + tok} }

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// stackBlockCase is one request of TestStackBlock and the answer it gets.
type stackBlockCase struct {
	name   string
	r      req
	status int
	id     string // expected {http.auth.user.id} when 200
}

func TestStackBlock(t *testing.T) {
	t.Setenv("TEST_JWT_SECRET", secretB64)
	s := startSite(t, stackBlock)

	valid := sqlToken("demo", 10*time.Minute)
	for _, tc := range stackBlockCases(valid) {
		t.Run(tc.name, func(t *testing.T) { checkStackBlockAnswer(t, s, tc) })
	}

	// Logs: failures and successes are logged with the token masked, never
	// whole. (Caddy's own debug-level error log carries the request URI, so
	// the query-token case shows up there; only the auth loggers are checked.)
	checkStackBlockLogs(t, s.logs(t), valid)
}

// stackBlockCases are the requests of TestStackBlock; valid is an access
// token minted by the SQL of the auth schema.
func stackBlockCases(valid string) []stackBlockCase {
	now := time.Now()
	claims := func(extra map[string]any) map[string]any {
		c := map[string]any{"role": "basic_subscriber", "username": "demo", "sub": "demo", "exp": now.Add(time.Hour).Unix()}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	hs := func(extra map[string]any) string { return macToken("HS256", secret, nil, claims(extra)) }
	otherValid := macToken("HS256", secret, nil, map[string]any{"sub": "other", "exp": now.Add(time.Hour).Unix()})
	wrongKey := macToken("HS256", []byte("another-secret-another-secret-!!"), nil, claims(nil))
	// MAC keyed with the base64 *text* of the secret instead of its bytes.
	textKey := macToken("HS256", []byte(secretB64), nil, claims(nil))
	noneHdr := map[string]any{"alg": "none", "typ": "JWT"}
	noneUnsigned := b64url(mustJSON(noneHdr)) + "." + b64url(mustJSON(claims(nil))) + "."
	// alg none, but the signature bytes are a valid HS256 MAC.
	noneWithMAC := macToken("HS256", secret, noneHdr, claims(nil))
	noAlg := macToken("HS256", secret, map[string]any{"typ": "JWT"}, claims(nil))
	rsHeader := macToken("HS256", secret, map[string]any{"alg": "RS256", "typ": "JWT"}, claims(nil))
	parts := strings.Split(valid, ".")

	return []stackBlockCase{
		{"valid cookie (SQL-minted)", req{cookies: cookie(valid)}, 200, "demo"},
		{"no token at all", req{}, 401, ""},
		{"empty cookie", req{cookies: []string{"access_token="}}, 401, ""},
		{"header-only bearer token still authenticates", req{headers: bearer(valid)}, 200, "demo"},
		{"bare token in Authorization", req{headers: map[string]string{"Authorization": valid}}, 200, "demo"},
		{"lowercase bearer", req{headers: map[string]string{"Authorization": "bearer " + valid}}, 200, "demo"},
		{"BEARER prefix inside the cookie", req{cookies: cookie("BEARER " + valid)}, 200, "demo"},
		{"bearer<TAB> is not stripped", req{headers: map[string]string{"Authorization": "Bearer\t" + valid}}, 401, ""},
		{"Token scheme is not stripped", req{headers: map[string]string{"Authorization": "Token " + valid}}, 401, ""},
		{"cookie name is case-sensitive", req{cookies: []string{"Access_Token=" + valid}}, 401, ""},
		{"expired", req{cookies: cookie(sqlToken("demo", -time.Minute))}, 401, ""},
		{"exp 0 counts as absent", req{cookies: cookie(hs(map[string]any{"exp": 0}))}, 200, "demo"},
		{"no exp at all", req{cookies: cookie(hs(map[string]any{"exp": nil}))}, 200, "demo"},
		{"fractional exp", req{cookies: cookie(hs(map[string]any{"exp": float64(now.Add(time.Hour).Unix()) + 0.5}))}, 200, "demo"},
		{"numeric-string exp", req{cookies: cookie(hs(map[string]any{"exp": "4102444800"}))}, 200, "demo"},
		{"nbf in the future", req{cookies: cookie(hs(map[string]any{"nbf": now.Add(time.Hour).Unix()}))}, 401, ""},
		{"nbf in the past", req{cookies: cookie(hs(map[string]any{"nbf": now.Add(-time.Hour).Unix()}))}, 200, "demo"},
		{"iat in the future", req{cookies: cookie(hs(map[string]any{"iat": now.Add(time.Hour).Unix()}))}, 401, ""},
		{"wrong key", req{cookies: cookie(wrongKey)}, 401, ""},
		{"MAC over the base64 text, not the bytes", req{cookies: cookie(textKey)}, 401, ""},
		{"alg none, empty signature", req{cookies: cookie(noneUnsigned)}, 401, ""},
		{"alg none with a valid HS256 MAC", req{cookies: cookie(noneWithMAC)}, 401, ""},
		{"HS384 under sign_alg HS256 (header alg wins)", req{cookies: cookie(macToken("HS384", secret, nil, claims(nil)))}, 200, "demo"},
		{"HS512 under sign_alg HS256 (header alg wins)", req{cookies: cookie(macToken("HS512", secret, nil, claims(nil)))}, 200, "demo"},
		{"no alg in header falls back to sign_alg", req{cookies: cookie(noAlg)}, 200, "demo"},
		{"RS256 header with an HMAC secret", req{cookies: cookie(rsHeader)}, 401, ""},
		{"missing sub", req{cookies: cookie(hs(map[string]any{"sub": nil}))}, 401, ""},
		{"empty sub", req{cookies: cookie(hs(map[string]any{"sub": ""}))}, 401, ""},
		{"numeric sub fails to parse", req{cookies: cookie(hs(map[string]any{"sub": 42}))}, 401, ""},
		{"whitespace sub is an id", req{cookies: cookie(hs(map[string]any{"sub": " "}))}, 200, " "},
		{"malformed: one segment", req{cookies: cookie("abc")}, 401, ""},
		{"malformed: garbage segments", req{cookies: cookie("a.b.c")}, 401, ""},
		{"malformed: five segments", req{cookies: cookie(valid + ".x.y")}, 401, ""},
		{"padded signature segment accepted", req{cookies: cookie(parts[0] + "." + parts[1] + "." + base64.URLEncoding.EncodeToString(mustDecode(parts[2])))}, 200, "demo"},
		{"query token ignored without from_query", req{path: "/?access_token=" + valid}, 401, ""},
		{"only the first duplicate cookie counts", req{cookies: []string{"access_token=garbage", "access_token=" + valid}}, 401, ""},
		{"bad cookie, good Authorization", req{cookies: cookie(wrongKey), headers: bearer(valid)}, 200, "demo"},
		{"cookie beats Authorization", req{cookies: cookie(valid), headers: bearer(otherValid)}, 200, "demo"},
		{"expired cookie, valid other Authorization", req{cookies: cookie(sqlToken("demo", -time.Minute)), headers: bearer(otherValid)}, 200, "other"},
	}
}

// checkStackBlockAnswer: a 200 names the user and not the role; a 401 is
// empty, without WWW-Authenticate or Content-Type.
func checkStackBlockAnswer(t *testing.T, s *site, tc stackBlockCase) {
	got := s.do(t, tc.r)
	if got.status != tc.status {
		t.Fatalf("status %d, want %d (body %q)", got.status, tc.status, got.body)
	}
	if tc.status == 200 {
		if want := "id=[" + tc.id + "]"; !strings.Contains(got.body, want) {
			t.Fatalf("body %q, want it to contain %q", got.body, want)
		}
		if strings.Contains(got.body, "basic_subscriber") {
			t.Fatalf("role exposed without meta_claims: %q", got.body)
		}
	}
	if tc.status == 401 {
		if got.body != "" {
			t.Fatalf("401 body %q, want empty", got.body)
		}
		if v := got.header.Get("WWW-Authenticate"); v != "" {
			t.Fatalf("WWW-Authenticate %q, want none", v)
		}
		if v := got.header.Get("Content-Type"); v != "" {
			t.Fatalf("Content-Type %q on 401, want none", v)
		}
	}
}

func checkStackBlockLogs(t *testing.T, logs, valid string) {
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `"logger":"http.log.error"`) {
			continue
		}
		if strings.Contains(l, valid) {
			t.Fatalf("a whole token was written to the log: %s", l)
		}
	}
	for _, want := range []string{
		`"logger":"http.authentication.providers.jwt"`,
		`"msg":"invalid token"`,
		`"msg":"user authenticated"`,
		`"token_string":"` + valid[:16] + `…` + valid[len(valid)-16:] + `"`,
		`"user_claim":"sub"`,
		`"error":"\"exp\" not satisfied"`,
		`"user_claims":["sub"]`,
		`"error":"user claim is empty"`,
		`"msg":"auth provider returned error"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s", want)
		}
	}
}

func mustDecode(s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
