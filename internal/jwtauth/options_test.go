package jwtauth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/authstack/authstack/internal/caddyrun"
)

type tcase struct {
	name   string
	r      req
	status int
	body   []string // substrings expected in a 200 body
}

func runCases(t *testing.T, s *site, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := s.do(t, tc.r)
			if got.status != tc.status {
				t.Fatalf("status %d, want %d (body %q)", got.status, tc.status, got.body)
			}
			for _, want := range tc.body {
				if !strings.Contains(got.body, want) {
					t.Errorf("body %q lacks %q", got.body, want)
				}
			}
		})
	}
}

func hsClaims(c map[string]any) string { return macToken("HS256", secret, nil, c) }

func TestSourcesClaimsAndMeta(t *testing.T) {
	s := startSite(t, `
	route {
		jwtauth {
			sign_key `+secretB64+`
			from_query tok t2
			from_header X-Token
			from_cookies session
			issuer_whitelist https://issuer.one https://issuer.two
			audience_whitelist api web
			user_claims username uid
			meta_claims role "nested.team -> team" "exp -> expires" flags admin "n -> num" aud missing "obj -> obj"
		}
		respond "id=[{http.auth.user.id}] role=[{http.auth.user.role}] team=[{http.auth.user.team}] expires=[{http.auth.user.expires}] flags=[{http.auth.user.flags}] admin=[{http.auth.user.admin}] num=[{http.auth.user.num}] aud=[{http.auth.user.aud}] missing=[{http.auth.user.missing}] obj=[{http.auth.user.obj}]" 200
	}
`)
	exp := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	base := func(extra map[string]any) string {
		c := map[string]any{"iss": "https://issuer.two", "aud": "web", "username": "eva", "exp": exp}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return hsClaims(c)
	}
	a := base(map[string]any{"username": "from-a"})
	b := base(map[string]any{"username": "from-b"})
	c := base(map[string]any{"username": "from-c"})
	meta := base(map[string]any{
		"role": "admin", "nested": map[string]any{"team": "blue"}, "flags": []string{"x", "y"},
		"admin": true, "n": 7, "aud": []string{"web", "other"}, "obj": map[string]any{"k": "v"},
	})

	runCases(t, s, []tcase{
		{"query token", req{path: "/?tok=" + a}, 200, []string{"id=[from-a]"}},
		{"second query name", req{path: "/?t2=" + a}, 200, []string{"id=[from-a]"}},
		{"header token", req{headers: map[string]string{"X-Token": "Bearer " + b}}, 200, []string{"id=[from-b]"}},
		{"cookie token", req{cookies: []string{"session=" + c}}, 200, []string{"id=[from-c]"}},
		{"query beats header beats cookie", req{path: "/?tok=" + a, headers: map[string]string{"X-Token": b}, cookies: []string{"session=" + c}}, 200, []string{"id=[from-a]"}},
		{"header beats cookie", req{headers: map[string]string{"X-Token": b}, cookies: []string{"session=" + c}}, 200, []string{"id=[from-b]"}},
		{"bad query, good cookie", req{path: "/?tok=junk", cookies: []string{"session=" + c}}, 200, []string{"id=[from-c]"}},
		{"issuer not on the list", req{path: "/?tok=" + base(map[string]any{"iss": "https://evil"})}, 401, nil},
		{"issuer missing", req{path: "/?tok=" + base(map[string]any{"iss": nil})}, 401, nil},
		{"audience not on the list", req{path: "/?tok=" + base(map[string]any{"aud": "mobile"})}, 401, nil},
		{"audience missing", req{path: "/?tok=" + base(map[string]any{"aud": nil})}, 401, nil},
		{"audience array with one allowed", req{path: "/?tok=" + base(map[string]any{"aud": []string{"mobile", "api"}})}, 200, []string{"id=[eva]"}},
		{"user_claims falls through to uid number", req{path: "/?tok=" + base(map[string]any{"username": nil, "uid": 19911110})}, 200, []string{"id=[19911110]"}},
		{"fractional uid", req{path: "/?tok=" + base(map[string]any{"username": nil, "uid": 1.5})}, 200, []string{"id=[1.5]"}},
		{"bool username is skipped", req{path: "/?tok=" + base(map[string]any{"username": true, "uid": "u1"})}, 200, []string{"id=[u1]"}},
		{"empty username stops the search", req{path: "/?tok=" + base(map[string]any{"username": "", "uid": 42})}, 401, nil},
		{"no user claim at all", req{path: "/?tok=" + base(map[string]any{"username": nil})}, 401, nil},
		{"meta claims", req{path: "/?tok=" + meta}, 200, []string{
			"role=[admin]", "team=[blue]", "expires=[2100-01-01T00:00:00Z]", "flags=[x,y]", "admin=[true]",
			"num=[]", "aud=[]", "missing=[]", "obj=[]",
		}},
	})
}

func TestErrorPlaceholder(t *testing.T) {
	s := startSite(t, `
	route {
		jwtauth {
			sign_key `+secretB64+`
			from_cookies access_token
		}
		respond "ok {http.auth.user.id}" 200
	}
	handle_errors {
		respond "status={err.status_code} error=[{http.auth.jwt.error}]"
	}
`)
	expired := sqlToken("demo", -time.Minute)
	wrong := macToken("HS256", []byte("x"), nil, map[string]any{"sub": "x"})
	runCases(t, s, []tcase{
		{"expired", req{cookies: cookie(expired)}, 401, []string{`status=401`, `error=["exp" not satisfied]`}},
		{"last candidate's error wins", req{cookies: cookie(expired), headers: bearer(wrong)}, 401, []string{`could not verify message using any of the signatures or keys`}},
		{"alg none", req{cookies: cookie(b64url([]byte(`{"alg":"none"}`)) + "." + b64url([]byte(`{"sub":"a"}`)) + ".")}, 401, []string{`unsupported signature algorithm "none"`}},
		{"numeric sub", req{cookies: cookie(hsClaims(map[string]any{"sub": 42}))}, 401, []string{`failed to decode value for key sub`}},
		{"empty sub", req{cookies: cookie(hsClaims(map[string]any{"sub": ""}))}, 401, []string{`error=[user claim is empty]`}},
		{"no candidate leaves it unset", req{}, 401, []string{`status=401`}},
		{"success", req{cookies: cookie(sqlToken("demo", time.Minute))}, 200, []string{"ok demo"}},
	})
	if got := s.do(t, req{}); strings.Contains(got.body, "satisfied") || strings.Contains(got.body, "verify") {
		t.Fatalf("error placeholder set without any candidate: %q", got.body)
	}
}

// rsaJWKS makes an RSA key and a JWK set holding its public half (kid, RS256).
func rsaJWKS(t *testing.T, kid string) (*rsa.PrivateKey, jwk.Set) {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwk.FromRaw(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	_ = pub.Set(jwk.KeyIDKey, kid)
	_ = pub.Set(jwk.AlgorithmKey, jwa.RS256)
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	return priv, set
}

func signRS256(t *testing.T, priv *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	tok := jwt.New()
	for k, v := range claims {
		_ = tok.Set(k, v)
	}
	hdr := jws.NewHeaders()
	if kid != "" {
		_ = hdr.Set(jws.KeyIDKey, kid)
	}
	b, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, priv, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestJWKS(t *testing.T) {
	newKey := func(kid string) (*rsa.PrivateKey, jwk.Key) {
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := jwk.FromRaw(priv.Public())
		if err != nil {
			t.Fatal(err)
		}
		if kid != "" {
			_ = pub.Set(jwk.KeyIDKey, kid)
		}
		_ = pub.Set(jwk.AlgorithmKey, jwa.RS256)
		return priv, pub
	}
	priv1, pub1 := newKey("k1")
	_, pub2 := newKey("k2")
	privOther, _ := newKey("k1")
	set := jwk.NewSet()
	_ = set.AddKey(pub2)
	_ = set.AddKey(pub1)

	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test JWKS server not on loopback: %s", srv.URL)
	}

	sign := func(priv *rsa.PrivateKey, kid string, claims map[string]any) string {
		tok := jwt.New()
		for k, v := range claims {
			_ = tok.Set(k, v)
		}
		hdr := jws.NewHeaders()
		if kid != "" {
			_ = hdr.Set(jws.KeyIDKey, kid)
		}
		b, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, priv, jws.WithProtectedHeaders(hdr)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	claims := map[string]any{"sub": "jwks-user", "exp": time.Now().Add(time.Hour).Unix()}

	s := startSite(t, `
	route {
		jwtauth {
			jwk_url `+srv.URL+`/keys
			from_cookies access_token
		}
		respond "id=[{http.auth.user.id}]" 200
	}
	handle_errors {
		respond "error=[{http.auth.jwt.error}]"
	}
`)
	runCases(t, s, []tcase{
		{"kid found", req{cookies: cookie(sign(priv1, "k1", claims))}, 200, []string{"id=[jwks-user]"}},
		{"kid found, wrong signer", req{cookies: cookie(sign(privOther, "k1", claims))}, 401, []string{"could not verify"}},
		{"unknown kid", req{cookies: cookie(sign(priv1, "nope", claims))}, 401, []string{`key specified by kid "nope" not found in JWKs from ` + srv.URL + `/keys`}},
		{"no kid", req{cookies: cookie(sign(priv1, "", claims))}, 401, []string{"missing kid in JWT header"}},
		{"HS256 token in JWK mode", req{cookies: cookie(sqlToken("demo", time.Minute))}, 401, nil},
	})
	if hits.Load() == 0 {
		t.Fatal("the JWKS server was never asked")
	}
}

func TestPEMAndEdDSA(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(priv.Public())
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)

	signWith := func(alg jwa.SignatureAlgorithm, key any) string {
		tok := jwt.New()
		_ = tok.Set("sub", "asym")
		b, err := jwt.Sign(tok, jwt.WithKey(alg, key))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Run("rsa pem", func(t *testing.T) {
		keyFile := filepath.Join(t.TempDir(), "pub.pem")
		if err := os.WriteFile(keyFile, []byte(pemText), 0o600); err != nil {
			t.Fatal(err)
		}
		s := startSite(t, `
	route {
		jwtauth {
			sign_key {file.`+keyFile+`}
			sign_alg RS256
		}
		respond "id=[{http.auth.user.id}]" 200
	}
`)
		runCases(t, s, []tcase{
			{"RS256", req{headers: bearer(signWith(jwa.RS256, priv))}, 200, []string{"id=[asym]"}},
			{"PS256 with the same key", req{headers: bearer(signWith(jwa.PS256, priv))}, 200, []string{"id=[asym]"}},
			{"HS256 MACed with the PEM text", req{headers: bearer(macToken("HS256", []byte(pemText), nil, map[string]any{"sub": "x"}))}, 401, nil},
		})
	})
	t.Run("eddsa raw", func(t *testing.T) {
		s := startSite(t, `
	route {
		jwtauth {
			sign_key `+base64.StdEncoding.EncodeToString(edPub)+`
			sign_alg EdDSA
		}
		respond "id=[{http.auth.user.id}]" 200
	}
`)
		_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
		runCases(t, s, []tcase{
			{"EdDSA", req{headers: bearer(signWith(jwa.EdDSA, edPriv))}, 200, []string{"id=[asym]"}},
			{"EdDSA other key", req{headers: bearer(signWith(jwa.EdDSA, otherPriv))}, 401, nil},
			{"HS256 header is ignored under EdDSA", req{headers: bearer(macToken("HS256", edPub, nil, map[string]any{"sub": "x"}))}, 401, nil},
		})
	})
}

func TestSkipVerification(t *testing.T) {
	s := startSite(t, `
	route {
		jwtauth {
			skip_verification
			from_cookies access_token
		}
		respond "id=[{http.auth.user.id}]" 200
	}
`)
	runCases(t, s, []tcase{
		{"wrong key accepted", req{cookies: cookie(macToken("HS256", []byte("k"), nil, map[string]any{"sub": "w"}))}, 200, []string{"id=[w]"}},
		{"alg none accepted", req{cookies: cookie(b64url([]byte(`{"alg":"none"}`)) + "." + b64url([]byte(`{"sub":"n"}`)) + ".")}, 200, []string{"id=[n]"}},
		{"bare JSON accepted", req{headers: map[string]string{"Authorization": `{"sub":"admin"}`}}, 200, []string{"id=[admin]"}},
		{"expiry still enforced", req{cookies: cookie(sqlToken("demo", -time.Minute))}, 401, nil},
		{"user claim still enforced", req{cookies: cookie(macToken("HS256", []byte("k"), nil, map[string]any{"sub": ""}))}, 401, nil},
	})
}

func TestConfigErrors(t *testing.T) {
	t.Setenv("TEST_EMPTY_SECRET", "")
	route := func(block string) string {
		return "\troute {\n\t\tjwtauth {\n" + block + "\n\t\t}\n\t\trespond 200\n\t}"
	}
	const invalidCfg = "http.authentication.providers.jwt: invalid configuration: "
	tests := []struct {
		name, body, want string
	}{
		{"sign_key without value", route("sign_key"), `invalid sign_key: ""`},
		{"sign_key with two values", route("sign_key a b"), `invalid sign_key: "a"`},
		{"sign_alg without value", route("sign_key " + secretB64 + "\nsign_alg"), `invalid sign_alg: ""`},
		{"jwk_url without value", route("jwk_url"), `invalid jwk_url: ""`},
		{"skip_verification takes no argument", route("skip_verification true"), `unrecognized option: true`},
		{"unknown option", route("leeway 5"), `unrecognized option: leeway`},
		{"header_first", route("header_first"), `option header_first deprecated, the priority now defaults to from_query > from_header > from_cookies`},
		{"meta_claims too many delimiters", route(`meta_claims "a->b->c"`), `invalid meta_claims: too many delimiters (->) in key "a->b->c"`},
		{"meta_claims empty claim", route(`meta_claims "->x"`), `invalid meta_claims: empty claim in key "->x"`},
		{"meta_claims empty placeholder", route(`meta_claims "x->"`), `invalid meta_claims: empty placeholder in key "x->"`},
		{"meta_claims duplicate", route(`meta_claims a "a -> b"`), `invalid meta_claims: duplicate claim: a`},
		{"meta_claims unquoted arrow", route(`meta_claims IsAdmin -> is_admin`), `invalid meta_claims: empty claim in key "->"`},
		{"outside a route", "\tjwtauth {\n\t\tsign_key " + secretB64 + "\n\t}", `directive 'jwtauth' is not an ordered HTTP handler, so it cannot be used here - try placing within a route block or using the order global option`},
		{"empty block", route(""), invalidCfg + `invalid sign_key: missing sign_key and jwk_url`},
		{"unset env secret", route("sign_key {env.TEST_UNSET_SECRET_XYZ}"), invalidCfg + `invalid sign_key: missing sign_key and jwk_url`},
		{"empty env secret", route("sign_key {env.TEST_EMPTY_SECRET}"), invalidCfg + `invalid sign_key: missing sign_key and jwk_url`},
		{"unset env secret does not fall back to jwk_url", route("sign_key {env.TEST_UNSET_SECRET_XYZ}\njwk_url http://127.0.0.1:1/keys"), invalidCfg + `invalid sign_key: missing sign_key and jwk_url`},
		{"not base64", route("sign_key not_base64!!"), invalidCfg + `invalid sign_key: illegal base64 data at input byte 3`},
		{"missing padding", route("sign_key YQ"), invalidCfg + `invalid sign_key: illegal base64 data at input byte`},
		{"url-safe alphabet", route("sign_key a-_b"), invalidCfg + `invalid sign_key: illegal base64 data at input byte 1`},
		{"lowercase alg", route("sign_key " + secretB64 + "\nsign_alg hs256"), invalidCfg + `invalid sign_alg: invalid jwa.SignatureAlgorithm value`},
		{"unknown alg", route("sign_key " + secretB64 + "\nsign_alg ABC"), invalidCfg + `invalid sign_alg: invalid jwa.SignatureAlgorithm value`},
		{"PKCS#1 RSA PUBLIC KEY is not PEM here", route("sign_key \"-----BEGIN RSA PUBLIC KEY-----\nMIIB\n-----END RSA PUBLIC KEY-----\""), invalidCfg + `invalid sign_key: illegal base64 data at input byte`},
		{"PEM of the wrong type", route("sign_key \"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n-----BEGIN CERTIFICATE-----\""), invalidCfg + `invalid sign_key (asymmetric):`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := loadErr(t, tc.body)
			if err == nil {
				t.Fatalf("config loaded, want error %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error:\n  %v\nwant it to contain:\n  %s", err, tc.want)
			}
		})
	}

	// Accepted: sign_alg none, a one-byte key, a trailing newline.
	for _, body := range []string{
		route("sign_key " + secretB64 + "\nsign_alg none"),
		route("sign_key YQ=="),
		route("skip_verification\nsign_alg ABC"),
		route("jwk_url http://127.0.0.1:1/keys\nsign_alg ABC"),
	} {
		if err := loadErr(t, body); err != nil {
			t.Errorf("config %q refused: %v", body, err)
		}
	}
}

func TestAdaptedJSONShape(t *testing.T) {
	cf := "{\n\tadmin off\n}\nhttp://127.0.0.1:1 {\n\troute {\n\t\tjwtauth {\n\t\t\tsign_key {env.JWT_SECRET}\n\t\t\tsign_alg HS256\n\t\t\tfrom_cookies access_token\n\t\t}\n\t}\n}\n"
	cfg, _, err := caddyrun.AdaptBytes([]byte(cf), filepath.Join(t.TempDir(), "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"handler":"authentication","providers":{"jwt":{"audience_whitelist":null,"from_cookies":["access_token"],"from_header":null,"from_query":null,"issuer_whitelist":null,"jwk_url":"","meta_claims":null,"sign_alg":"HS256","sign_key":"{env.JWT_SECRET}","skip_verification":false,"user_claims":null}}}`
	if !strings.Contains(string(cfg), want) {
		t.Fatalf("adapted config lacks the caddy-jwt handler JSON\n got: %s\nwant: %s", cfg, want)
	}
}
