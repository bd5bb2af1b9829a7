package postgrest

import (
	"testing"
	"time"
)

// TestSpecError replays PostgREST v16.2's ErrorSpec
// (test/spec/Feature/Query/ErrorSpec.hs) on the project's fixture: the JWT
// error catalogue, Proxy-Status, the PGRST205 hint and
// client-error-verbosity. Statuses of database errors are in
// errors_test.go.
func TestSpecError(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, errorSpecCases)
	t.Run("client-error-verbosity minimal", func(t *testing.T) {
		t.Parallel()
		e := newReadOnlyEngine(t, func(env map[string]string) { env["PGRST_CLIENT_ERROR_VERBOSITY"] = "minimal" })
		runCases(t, e, []tc{
			{name: "minimal", cite: "T:Query/ErrorSpec.hs:230@v16.2", method: "GET", path: "/itemsx", status: 404,
				check: raw(`{"code":"PGRST205","message":"Could not find the table 'public.itemsx' in the schema cache"}`)},
		})
	})
}

func errorSpecCases(t *testing.T, e *engine) []tc {
	now := time.Now().Unix()
	return []tc{
		{name: "wrong signature", cite: "T:Query/ErrorSpec.hs:107@v16.2", method: "GET", path: "/items",
			hdr:    map[string]string{"Authorization": "Bearer " + sign(t, []byte("another-secret-another-secret-xx!"), nil, map[string]any{"role": "anon"})},
			status: 401, wantBody: errBody("PGRST301", "No suitable key or wrong key type", "None of the keys was able to decode the JWT", nil)},
		{name: "role does not exist", cite: "T:Query/ErrorSpec.hs:120@v16.2", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "nobody_here"}), status: 401,
			wantBody: errBody("22023", `role "nobody_here" does not exist`, nil, nil), wantHdr: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "expired beyond leeway", cite: "T:Query/ErrorSpec.hs:134@v16.2", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "exp": now - 31}), status: 401,
			wantBody: errBody("PGRST303", "JWT expired", nil, nil),
			wantHdr:  map[string]string{"WWW-Authenticate": invalidToken("JWT expired"), "Proxy-Status": "PostgREST; error=PGRST303"}},
		{name: "expired within leeway", cite: "T:Query/ErrorSpec.hs:133@v16.2 (30 seconds clock skew)", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "exp": now - 10}), status: 200},
		{name: "nbf future", cite: "T:Query/ErrorSpec.hs:148@v16.2", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "nbf": now + 60}), status: 401,
			wantBody: errBody("PGRST303", "JWT not yet valid", nil, nil)},
		{name: "iat future", cite: "T:Query/ErrorSpec.hs:162@v16.2", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "iat": now + 60}), status: 401,
			wantBody: errBody("PGRST303", "JWT issued at future", nil, nil)},
		// Caddy forwards an unresolved placeholder when there is no cookie:
		// split on its dots, it has four parts (Auth/Jwt.hs:90@v16.2).
		{name: "four parts placeholder", cite: "T:Query/ErrorSpec.hs:191@v16.2 (four parts)", method: "GET", path: "/items",
			hdr: map[string]string{"Authorization": "Bearer {http.request.cookie.access_token}"}, status: 401,
			wantBody: errBody("PGRST301", "Expected 3 parts in JWT; got 4", nil, nil)},
		// App.hs:155-257@v16.2: the JWT is checked before the path.
		{name: "bad token on unknown path wins", cite: "T:Query/ErrorSpec.hs:191@v16.2, App.hs:155-257@v16.2", method: "GET", path: "/a/b/c",
			hdr: map[string]string{"Authorization": "Bearer x.y"}, status: 401,
			wantBody: errBody("PGRST301", "Expected 3 parts in JWT; got 2", nil, nil)},
		{name: "undecodable", cite: "T:Query/ErrorSpec.hs:203@v16.2", method: "GET", path: "/items",
			hdr: map[string]string{"Authorization": "Bearer !!!.@@@.###"}, status: 401,
			wantBody: errBody("PGRST301", "JWT cryptographic operation failed", nil, nil)},
		{name: "alg none", cite: "T:Query/ErrorSpec.hs:215@v16.2", method: "GET", path: "/items",
			hdr:    map[string]string{"Authorization": "Bearer " + sign(t, []byte(testSecret), map[string]any{"alg": "none"}, map[string]any{"role": "anon"})},
			status: 401, wantBody: errBody("PGRST301", "Wrong or unsupported encoding algorithm", "JWT is unsecured but expected 'alg' was not 'none'", nil)},
		{name: "invalid path", cite: "T:Query/ErrorSpec.hs:33@v16.2", method: "GET", path: "/rpc/a/b", status: 404,
			wantBody: errBody("PGRST125", "Invalid path specified in request URL", nil, nil), wantHdr: map[string]string{"Proxy-Status": "PostgREST; error=PGRST125"}},
		{name: "unknown table fuzzy hint", cite: "T:Query/ErrorSpec.hs:80@v16.2", method: "GET", path: "/itemz", status: 404,
			wantBody: errBody("PGRST205", "Could not find the table 'public.itemz' in the schema cache", nil, "Perhaps you meant the table 'public.items'")},
	}
}
