package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// jwkJSON renders the public half of priv as a JWK with the given fields.
func jwkJSON(t *testing.T, pub any, fields map[string]any) []byte {
	t.Helper()
	k, err := jwk.FromRaw(pub)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range fields {
		if err := k.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signed mints a token with alg and an optional kid.
func signed(t *testing.T, alg jwa.SignatureAlgorithm, priv any, kid string, claims map[string]any) string {
	t.Helper()
	payload, _ := json.Marshal(claims)
	h := jws.NewHeaders()
	if kid != "" {
		_ = h.Set(jws.KeyIDKey, kid)
	}
	b, err := jws.Sign(payload, jws.WithKey(alg, priv, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// T:Auth/AsymmetricJwtSpec.hs@v16.2 and Config.hs parseSecret@v16.2:
// jwt-secret may be a JWK or a JWKS; jose-jwt picks the keys whose kty,
// alg and kid fit the token header.
func TestAsymmetricKeys(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	role := map[string]any{"role": "author"}

	single := jwkJSON(t, &rsaKey.PublicKey, map[string]any{"alg": "RS256", "use": "sig"})
	set := []byte(`{"keys":[` + string(jwkJSON(t, &ecKey.PublicKey, map[string]any{"kid": "ec1"})) + `,` +
		string(jwkJSON(t, edPub, nil)) + `,` +
		string(jwkJSON(t, &rsaKey.PublicKey, map[string]any{"kid": "r1"})) + `,` +
		string(jwkJSON(t, &otherRSA.PublicKey, map[string]any{"kid": "r2", "use": "enc"})) + `]}`)

	cases := []struct {
		name   string
		secret []byte
		token  string
		msg    string // "" = accepted
		detail string
	}{
		{"jwk rs256", single, signed(t, jwa.RS256, rsaKey, "", role), "", ""},
		{"jwk alg mismatch", single, signed(t, jwa.RS512, rsaKey, "", role), "No suitable key or wrong key type", "No suitable key was found to decode the JWT"},
		{"jwk hs256 not rsa", single, signed(t, jwa.HS256, []byte("reallyreallyreallyreallyverysafe"), "", role), "No suitable key or wrong key type", "No suitable key was found to decode the JWT"},
		{"jwk wrong signer", single, signed(t, jwa.RS256, otherRSA, "", role), "No suitable key or wrong key type", "None of the keys was able to decode the JWT"},
		{"jwks es256 kid", set, signed(t, jwa.ES256, ecKey, "ec1", role), "", ""},
		{"jwks es256 no kid", set, signed(t, jwa.ES256, ecKey, "", role), "", ""},
		{"jwks eddsa", set, signed(t, jwa.EdDSA, edPriv, "", role), "", ""},
		{"jwks rs256 kid", set, signed(t, jwa.RS256, rsaKey, "r1", role), "", ""},
		{"jwks unknown kid", set, signed(t, jwa.RS256, rsaKey, "nope", role), "No suitable key or wrong key type", "No suitable key was found to decode the JWT"},
		{"jwks enc key unusable", set, signed(t, jwa.RS256, otherRSA, "r2", role), "No suitable key or wrong key type", "No suitable key was found to decode the JWT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keys, err := ParseSecret(c.secret)
			if err != nil {
				t.Fatal(err)
			}
			a := New(Config{Keys: keys, RoleClaim: MustParsePath("$.role"), AnonRole: "anon"})
			res, e := a.Authenticate(hdr("Bearer " + c.token))
			if c.msg == "" {
				if e != nil {
					t.Fatalf("rejected: %s %s", e.Message, e.Details)
				}
				if res.Role != "author" {
					t.Fatalf("role %q", res.Role)
				}
				return
			}
			if e == nil || e.Message != c.msg || string(e.Details) != `"`+c.detail+`"` {
				t.Fatalf("got %v, want %s / %s", e, c.msg, c.detail)
			}
		})
	}
}

func TestParseSecretPlain(t *testing.T) {
	if _, err := ParseSecret([]byte("short")); err != ErrShortSecret {
		t.Fatalf("short secret: %v", err)
	}
	// JSON that is not a JWK is a plain secret.
	keys, err := ParseSecret([]byte(`{"not":"a jwk at all, but long enough"}`))
	if err != nil || len(keys) != 1 || keys[0].Alg != "HS256" || keys[0].Kid != nil {
		t.Fatalf("keys %+v err %v", keys, err)
	}
	// A symmetric JWK keeps its own alg (HS512 here).
	keys, err = ParseSecret([]byte(`{"kty":"oct","k":"c2VjcmV0","alg":"HS512"}`))
	if err != nil || len(keys) != 1 || keys[0].Alg != "HS512" || string(keys[0].Secret) != "secret" {
		t.Fatalf("oct jwk: %+v %v", keys, err)
	}
	a := New(Config{Keys: keys, RoleClaim: MustParsePath("$.role"), AnonRole: "anon"})
	if _, e := a.Authenticate(hdr("Bearer " + signed(t, jwa.HS512, []byte("secret"), "", map[string]any{"role": "r"}))); e != nil {
		t.Fatalf("HS512 with oct JWK: %v", e)
	}
}

// An empty JWKS is a configured secret without usable keys: tokens fail
// with "No suitable key", not PGRST300 (configJWKS is set).
func TestEmptyJWKS(t *testing.T) {
	keys, err := ParseSecret([]byte(`{"keys":[]}`))
	if err != nil || keys == nil || len(keys) != 0 {
		t.Fatalf("keys %v err %v", keys, err)
	}
	a := New(Config{Secret: []byte(`{"keys":[]}`), Keys: keys, RoleClaim: MustParsePath("$.role"), AnonRole: "anon"})
	_, e := a.Authenticate(hdr("Bearer " + mint(map[string]any{"role": "r"})))
	if e == nil || e.Code != "PGRST301" || string(e.Details) != `"No suitable key was found to decode the JWT"` {
		t.Fatalf("got %v", e)
	}
}
