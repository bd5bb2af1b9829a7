package postgrest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// PostgREST v16.2's authentication specs (test/spec/Feature/Auth/*.hs) on
// the project's fixture: AuthSpec, AsymmetricJwtSpec,
// AudienceJwtSecretSpec, NoAnonSpec and NoJwtSecretSpec. The JWT error
// catalogue of ErrorSpec is in spec_error_test.go; what the verifier
// does beyond the specs (Auth/Jwt.hs) in jwt_test.go.

// TestSpecAuth replays AuthSpec.hs: tokens, claims and the 401/403 of
// privileges.
func TestSpecAuth(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, authSpecCases)
}

func authSpecCases(t *testing.T, e *engine) []tc {
	return []tc{
		{name: "empty bearer", cite: "T:Auth/AuthSpec.hs:94@v16.2", method: "GET", path: "/items",
			hdr: map[string]string{"Authorization": "Bearer"}, status: 401,
			wantBody: errBody("PGRST301", "Empty JWT is sent in Authorization header", nil, nil),
			wantHdr:  map[string]string{"WWW-Authenticate": invalidToken("Empty JWT is sent in Authorization header"), "Proxy-Status": "PostgREST; error=PGRST301"}},
		{name: "exp not a number", cite: "T:Auth/AuthSpec.hs:145@v16.2", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "exp": "soon"}), status: 401,
			wantBody: errBody("PGRST303", "The JWT 'exp' claim must be a number", nil, nil)},
		{name: "aud not string", cite: "T:Auth/AuthSpec.hs:181-203@v16.2", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "aud": 1}), status: 401,
			wantBody: errBody("PGRST303", "The JWT 'aud' claim must be a string or an array of strings", nil, nil)},
		{name: "aud any string accepted without jwt-aud", cite: "T:Auth/AudienceJwtSecretSpec.hs:160@v16.2 (jwt-aud not set)", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "aud": "whatever"}), status: 200},
		{name: "lowercase bearer", cite: "T:Auth/AuthSpec.hs:234@v16.2", method: "GET", path: "/task?select=title&order=id",
			hdr: map[string]string{"Authorization": "bearer " + tok(t, map[string]any{"role": "basic_subscriber", "username": "alice"})}, status: 200,
			wantBody: `[{"title":"a"},{"title":"b"}]`},
		{name: "anon read denied 401", cite: "T:Auth/AuthSpec.hs:15@v16.2", method: "GET", path: "/task", status: 401,
			wantBody: errBody("42501", "permission denied for table task", nil, nil), wantHdr: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "RLS filters rows", cite: "T:Auth/AuthSpec.hs:71@v16.2 (rows by the fixture's policy)", method: "GET", path: "/task?select=id,title&order=id",
			hdr: aliceToken(t), status: 200, wantBody: `[{"id":1,"title":"a"},{"id":2,"title":"b"}]`,
			wantHdr: map[string]string{"Content-Range": "0-1/*", "Content-Type": jsonCT, "Vary": "Accept, Prefer, Range", "Content-Profile": "public"}},
		{name: "function permission anon 401", cite: "T:Auth/AuthSpec.hs:40@v16.2", method: "POST", path: "/rpc/secret_fn", status: 401,
			wantBody: errBody("42501", "permission denied for function secret_fn", nil, nil), wantHdr: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "function permission user 403", cite: "T:Auth/AuthSpec.hs:27@v16.2", method: "POST", path: "/rpc/secret_fn", hdr: aliceToken(t), status: 403,
			wantHdr: map[string]string{"WWW-Authenticate": ""}},
	}
}

// TestSpecAsymmetricJwt replays AsymmetricJwtSpec.hs: jwt-secret given as
// a JWKS.
func TestSpecAsymmetricJwt(t *testing.T) {
	t.Parallel()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwk.FromRaw(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	_ = pub.Set(jwk.KeyIDKey, "k1")
	pubJSON, _ := json.Marshal(pub)
	e := newReadOnlyEngine(t, func(env map[string]string) {
		env["PGRST_JWT_SECRET"] = `{"keys":[` + string(pubJSON) + `]}`
	})
	sign := func(kid string) string {
		h := jws.NewHeaders()
		_ = h.Set(jws.KeyIDKey, kid)
		b, err := jws.Sign([]byte(`{"role":"basic_subscriber","username":"alice"}`), jws.WithKey(jwa.ES256, priv, jws.WithProtectedHeaders(h)))
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + string(b)
	}
	runCases(t, e, []tc{
		{name: "es256 accepted", cite: "T:Auth/AsymmetricJwtSpec.hs:30@v16.2", method: "GET", path: "/task?select=title&order=id",
			hdr: map[string]string{"Authorization": sign("k1")}, status: 200, wantBody: `[{"title":"a"},{"title":"b"}]`},
		{name: "unknown kid", cite: "jose-jwt canDecodeJws (kid)", method: "GET", path: "/task",
			hdr: map[string]string{"Authorization": sign("k2")}, status: 401,
			wantBody: errBody("PGRST301", "No suitable key or wrong key type", "No suitable key was found to decode the JWT", nil)},
		{name: "hs256 no longer accepted", cite: "Config.hs parseSecret@v16.2", method: "GET", path: "/task",
			hdr: bearer(t, map[string]any{"role": "basic_subscriber"}), status: 401,
			wantBody: errBody("PGRST301", "No suitable key or wrong key type", "No suitable key was found to decode the JWT", nil)},
	})
}

// TestSpecAudienceJwtSecret replays AudienceJwtSecretSpec.hs with jwt-aud
// set, and a role claim key reaching into a nested claim.
func TestSpecAudienceJwtSecret(t *testing.T) {
	t.Parallel()
	e := newReadOnlyEngine(t, func(env map[string]string) {
		env["PGRST_JWT_AUD"] = "api"
		env["PGRST_JWT_ROLE_CLAIM_KEY"] = `$."https://example.test/claims".roles[0]`
	})
	nested := func(aud any) map[string]string {
		return bearer(t, map[string]any{"aud": aud, "https://example.test/claims": map[string]any{"roles": []any{"basic_subscriber"}}})
	}
	runCases(t, e, []tc{
		{name: "aud matches", cite: "T:Auth/AudienceJwtSecretSpec.hs:23@v16.2", method: "POST", path: "/rpc/gucs", hdr: nested("api"), status: 200,
			contains: []string{`"role":"basic_subscriber"`}},
		{name: "aud mismatch", cite: "T:Auth/AudienceJwtSecretSpec.hs:88@v16.2", method: "POST", path: "/rpc/gucs", hdr: nested([]any{"other"}), status: 401,
			wantBody: errBody("PGRST303", "JWT not in audience", nil, nil)},
	})
}

// TestSpecNoAnon replays NoAnonSpec.hs: without db-anon-role.
func TestSpecNoAnon(t *testing.T) {
	t.Parallel()
	e := newReadOnlyEngine(t, func(env map[string]string) { delete(env, "PGRST_DB_ANON_ROLE") })
	runCases(t, e, []tc{
		{name: "anonymous 401 PGRST302", cite: "T:Auth/NoAnonSpec.hs:24@v16.2", method: "GET", path: "/items", status: 401,
			wantBody: errBody("PGRST302", "Anonymous access is disabled", nil, nil), wantHdr: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "token role works", cite: "T:Auth/NoAnonSpec.hs:15@v16.2", method: "GET", path: "/items?id=eq.1", hdr: bearer(t, map[string]any{"role": "basic_subscriber"}),
			status: 200},
		// App.hs:239@v16.2: authenticated means a role other than the anon
		// role; without one, every request is.
		{name: "everyone is authenticated: 403", cite: "App.hs:239@v16.2", method: "POST", path: "/rpc/secret_fn", hdr: bearer(t, map[string]any{"role": "anon"}),
			status: 403},
	})
}

// TestSpecNoJwtSecret replays NoJwtSecretSpec.hs: without jwt-secret.
func TestSpecNoJwtSecret(t *testing.T) {
	t.Parallel()
	e := newReadOnlyEngine(t, func(env map[string]string) { delete(env, "PGRST_JWT_SECRET") })
	runCases(t, e, []tc{
		{name: "token 500 PGRST300", cite: "T:Auth/NoJwtSecretSpec.hs:21@v16.2", method: "GET", path: "/items", hdr: bearer(t, map[string]any{"role": "anon"}), status: 500,
			wantBody: errBody("PGRST300", "Server lacks JWT secret", nil, nil), wantHdr: map[string]string{"WWW-Authenticate": ""}},
		{name: "no token proceeds as anon", cite: "T:Auth/NoJwtSecretSpec.hs:35@v16.2", method: "GET", path: "/items?id=eq.1", status: 200},
	})
}
