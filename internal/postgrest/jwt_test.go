package postgrest

import (
	"testing"
	"time"
)

// TestJWTVerification: what PostgREST v16.2's verifier does that its specs
// do not exercise (Auth/Jwt.hs, jose-jwt), with a plain secret. The specs'
// cases are in spec_auth_test.go and spec_error_test.go.
func TestJWTVerification(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, jwtVerificationCases)
}

func jwtVerificationCases(t *testing.T, e *engine) []tc {
	now := time.Now().Unix()
	noKey := errBody("PGRST301", "No suitable key or wrong key type", "No suitable key was found to decode the JWT", nil)
	return []tc{
		// A plain secret is one HS256 key without a key id (Auth/Jwt.hs
		// :89-109@v16.2, jose-jwt canDecodeJws/algCompatible).
		{name: "HS512 rejected", cite: "Auth/Jwt.hs:89-109@v16.2", method: "GET", path: "/items",
			hdr:    map[string]string{"Authorization": "Bearer " + sign(t, []byte(testSecret), map[string]any{"alg": "HS512"}, map[string]any{"role": "anon"})},
			status: 401, wantBody: noKey},
		{name: "kid rejected", cite: "Auth/Jwt.hs:89-109@v16.2 (#3598)", method: "GET", path: "/items",
			hdr:    map[string]string{"Authorization": "Bearer " + sign(t, []byte(testSecret), map[string]any{"alg": "HS256", "kid": "k1"}, map[string]any{"role": "anon"})},
			status: 401, wantBody: noKey},
		{name: "unknown alg is a parse failure", cite: "jose-jwt Jose/Internal/Parser.hs (BadCrypto)", method: "GET", path: "/items",
			hdr:    map[string]string{"Authorization": "Bearer " + sign(t, []byte(testSecret), map[string]any{"alg": "XX999"}, map[string]any{"role": "anon"})},
			status: 401, wantBody: errBody("PGRST301", "JWT cryptographic operation failed", nil, nil)},
		// A time that is not an integer converts to nothing, then 0.
		{name: "fractional exp counts as 0", cite: "Auth/Jwt.hs:66@v16.2", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "exp": float64(now+3600) + 0.5}), status: 401,
			wantBody: errBody("PGRST303", "JWT expired", nil, nil)},
		// Only a Bearer Authorization header is a token (wai-extra
		// extractBearerAuth); any other scheme is no token.
		{name: "basic scheme is anonymous", cite: "ApiRequest.hs:115-116@v16.2", method: "GET", path: "/items",
			hdr: map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}, status: 200},
		// The role is switched with set_config('role', …) (Query/PreQuery.hs
		// @v16.2): PostgreSQL refuses a role not granted to the
		// authenticator, 42501 as an authenticated request.
		{name: "role not granted", cite: "Query/PreQuery.hs:36-62@v16.2, Error.hs@v16.2 (42501)", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "not_granted"}), status: 403,
			wantBody: errBody("42501", `permission denied to set role "not_granted"`, nil, nil), wantHdr: map[string]string{"WWW-Authenticate": ""}},
	}
}
