package postgrest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// tc is one conformance case. cite names the PostgREST v16.2 test or
// source it reflects (T: = test/spec/Feature/…, others = src/library/PostgREST/…)
// or the section of postgrest-subset.md.
type tc struct {
	name, cite   string
	method, path string
	hdr          map[string]string
	body         string
	status       int
	wantBody     string            // exact JSON (semantic) when not ""
	contains     []string          // substrings of the body
	wantHdr      map[string]string // exact header values ("" = must be absent)
	check        func(t *testing.T, r result)
}

func runCases(t *testing.T, e *engine, cases []tc) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.hdr, c.body)
			if r.status != c.status {
				t.Fatalf("[%s] status %d, want %d; body %s", c.cite, r.status, c.status, r.body)
			}
			if c.wantBody != "" && !jsonEq(r.body, c.wantBody) {
				t.Errorf("[%s] body %s, want %s", c.cite, r.body, c.wantBody)
			}
			for _, s := range c.contains {
				if !strings.Contains(r.body, s) {
					t.Errorf("[%s] body %s lacks %q", c.cite, r.body, s)
				}
			}
			for k, v := range c.wantHdr {
				got := strings.Join(r.header.Values(k), "\n")
				if got != v {
					t.Errorf("[%s] header %s = %q, want %q", c.cite, k, got, v)
				}
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

func errBody(code, msg string, details, hint any) string {
	b, _ := json.Marshal(map[string]any{"code": code, "message": msg, "details": details, "hint": hint})
	return string(b)
}

func TestConformance(t *testing.T) {
	t.Run("prepared", func(t *testing.T) { conformance(t, nil) })
	// PGRST_DB_PREPARED_STATEMENTS=false (PgBouncer in transaction mode):
	// unnamed statements only, same answers.
	t.Run("unprepared", func(t *testing.T) {
		conformance(t, func(env map[string]string) { env["PGRST_DB_PREPARED_STATEMENTS"] = "false" })
	})
}

func conformance(t *testing.T, mod func(env map[string]string)) {
	e := newEngine(t, fixtureSQL, mod)
	now := time.Now().Unix()
	user := bearer(t, map[string]any{"role": "basic_subscriber", "username": "alice", "exp": now + 3600})
	anonTok := bearer(t, map[string]any{"role": "anon"})
	auth := map[string]string{"Content-Profile": "auth"}
	jsonCT := "application/json; charset=utf-8"
	invalidTok := func(msg string) string { return `Bearer error="invalid_token", error_description="` + msg + `"` }

	cases := []tc{
		// ---- JWT (§3) ----
		{name: "empty bearer", cite: "T:Auth/AuthSpec.hs:94", method: "GET", path: "/items",
			hdr: map[string]string{"Authorization": "Bearer"}, status: 401,
			wantBody: errBody("PGRST301", "Empty JWT is sent in Authorization header", nil, nil),
			wantHdr:  map[string]string{"WWW-Authenticate": invalidTok("Empty JWT is sent in Authorization header"), "Proxy-Status": "PostgREST; error=PGRST301"}},
		{name: "four parts placeholder", cite: "spec §3.1 / Auth/Jwt.hs:90", method: "GET", path: "/items",
			hdr: map[string]string{"Authorization": "Bearer {http.request.cookie.access_token}"}, status: 401,
			wantBody: errBody("PGRST301", "Expected 3 parts in JWT; got 4", nil, nil)},
		{name: "bad token on unknown path wins", cite: "spec §1.1 (App.hs:155-257)", method: "GET", path: "/a/b/c",
			hdr: map[string]string{"Authorization": "Bearer x.y"}, status: 401,
			wantBody: errBody("PGRST301", "Expected 3 parts in JWT; got 2", nil, nil)},
		{name: "undecodable", cite: "T:Query/ErrorSpec.hs@v16.2", method: "GET", path: "/items",
			hdr: map[string]string{"Authorization": "Bearer !!!.@@@.###"}, status: 401,
			wantBody: errBody("PGRST301", "JWT cryptographic operation failed", nil, nil)},
		{name: "wrong signature", cite: "spec §3.8", method: "GET", path: "/items",
			hdr:    map[string]string{"Authorization": "Bearer " + sign(t, []byte("another-secret-another-secret-xx!"), nil, map[string]any{"role": "anon"})},
			status: 401, wantBody: errBody("PGRST301", "No suitable key or wrong key type", "None of the keys was able to decode the JWT", nil)},
		{name: "HS512 rejected", cite: "spec §3.3", method: "GET", path: "/items",
			hdr:    map[string]string{"Authorization": "Bearer " + sign(t, []byte(testSecret), map[string]any{"alg": "HS512"}, map[string]any{"role": "anon"})},
			status: 401, wantBody: errBody("PGRST301", "No suitable key or wrong key type", "No suitable key was found to decode the JWT", nil)},
		{name: "kid rejected", cite: "spec §3.3 (#3598)", method: "GET", path: "/items",
			hdr:    map[string]string{"Authorization": "Bearer " + sign(t, []byte(testSecret), map[string]any{"alg": "HS256", "kid": "k1"}, map[string]any{"role": "anon"})},
			status: 401, wantBody: errBody("PGRST301", "No suitable key or wrong key type", "No suitable key was found to decode the JWT", nil)},
		{name: "unknown alg is a parse failure", cite: "jose-jwt Jose/Internal/Parser.hs (BadCrypto)", method: "GET", path: "/items",
			hdr:    map[string]string{"Authorization": "Bearer " + sign(t, []byte(testSecret), map[string]any{"alg": "XX999"}, map[string]any{"role": "anon"})},
			status: 401, wantBody: errBody("PGRST301", "JWT cryptographic operation failed", nil, nil)},
		{name: "alg none", cite: "T:Query/ErrorSpec.hs:215", method: "GET", path: "/items",
			hdr:    map[string]string{"Authorization": "Bearer " + sign(t, []byte(testSecret), map[string]any{"alg": "none"}, map[string]any{"role": "anon"})},
			status: 401, wantBody: errBody("PGRST301", "Wrong or unsupported encoding algorithm", "JWT is unsecured but expected 'alg' was not 'none'", nil)},
		{name: "expired beyond leeway", cite: "T:Query/ErrorSpec.hs:133-174", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "exp": now - 31}), status: 401,
			wantBody: errBody("PGRST303", "JWT expired", nil, nil),
			wantHdr:  map[string]string{"WWW-Authenticate": invalidTok("JWT expired"), "Proxy-Status": "PostgREST; error=PGRST303"}},
		{name: "expired within leeway", cite: "T:Query/ErrorSpec.hs:133-174", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "exp": now - 10}), status: 200},
		{name: "fractional exp counts as 0", cite: "spec §3.5 (Auth/Jwt.hs:66)", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "exp": float64(now+3600) + 0.5}), status: 401,
			wantBody: errBody("PGRST303", "JWT expired", nil, nil)},
		{name: "nbf future", cite: "T:Query/ErrorSpec.hs:133-174", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "nbf": now + 60}), status: 401,
			wantBody: errBody("PGRST303", "JWT not yet valid", nil, nil)},
		{name: "iat future", cite: "T:Query/ErrorSpec.hs:133-174", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "iat": now + 60}), status: 401,
			wantBody: errBody("PGRST303", "JWT issued at future", nil, nil)},
		{name: "exp not a number", cite: "spec §3.5", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "exp": "soon"}), status: 401,
			wantBody: errBody("PGRST303", "The JWT 'exp' claim must be a number", nil, nil)},
		{name: "aud not string", cite: "T:Auth/AuthSpec.hs:181-203", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "aud": 1}), status: 401,
			wantBody: errBody("PGRST303", "The JWT 'aud' claim must be a string or an array of strings", nil, nil)},
		{name: "aud any string accepted without jwt-aud", cite: "spec §3.6", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "anon", "aud": "whatever"}), status: 200},
		{name: "basic scheme is anonymous", cite: "spec §3.1", method: "GET", path: "/items",
			hdr: map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}, status: 200},
		{name: "lowercase bearer", cite: "T:Auth/AuthSpec.hs:234", method: "GET", path: "/task?select=title&order=id",
			hdr: map[string]string{"Authorization": "bearer " + tok(t, map[string]any{"role": "basic_subscriber", "username": "alice"})}, status: 200,
			wantBody: `[{"title":"a"},{"title":"b"}]`},
		{name: "role does not exist", cite: "T:Query/ErrorSpec.hs:120", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "nobody_here"}), status: 401,
			wantBody: errBody("22023", `role "nobody_here" does not exist`, nil, nil), wantHdr: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "role not granted", cite: "spec §3.4 (SQL-verified)", method: "GET", path: "/items",
			hdr: bearer(t, map[string]any{"role": "not_granted"}), status: 403,
			wantBody: errBody("42501", `permission denied to set role "not_granted"`, nil, nil), wantHdr: map[string]string{"WWW-Authenticate": ""}},

		// ---- paths, profiles, methods (§1, §2) ----
		{name: "invalid path", cite: "spec §1 3.1 (PGRST125)", method: "GET", path: "/rpc/a/b", status: 404,
			wantBody: errBody("PGRST125", "Invalid path specified in request URL", nil, nil), wantHdr: map[string]string{"Proxy-Status": "PostgREST; error=PGRST125"}},
		{name: "unknown profile", cite: "T:Query/MultipleSchemaSpec.hs:77", method: "GET", path: "/items",
			hdr: map[string]string{"Accept-Profile": "Auth"}, status: 406,
			wantBody: errBody("PGRST106", "Invalid schema: Auth", nil, "Only the following schemas are exposed: public, auth"),
			wantHdr:  map[string]string{"Content-Profile": ""}},
		{name: "unknown profile beats bad body", cite: "spec §1 3.2 before 3.6", method: "POST", path: "/rpc/login",
			hdr: map[string]string{"Content-Profile": "nope"}, body: "{bad", status: 406,
			wantBody: errBody("PGRST106", "Invalid schema: nope", nil, "Only the following schemas are exposed: public, auth")},
		{name: "post ignores accept-profile", cite: "spec §2 (ApiRequest.hs:164-172)", method: "POST", path: "/rpc/login",
			hdr: map[string]string{"Accept-Profile": "auth"}, body: `{"user_":"a","pass":"secret"}`, status: 404,
			contains: []string{`"code":"PGRST202"`, "public.login(pass, user_)"}},
		{name: "no fallback between schemas", cite: "spec §2", method: "GET", path: "/task",
			hdr: map[string]string{"Accept-Profile": "auth"}, status: 404,
			wantBody: errBody("PGRST205", "Could not find the table 'auth.task' in the schema cache", nil, nil)},
		{name: "rpc delete", cite: "spec §5.2 (PGRST101)", method: "DELETE", path: "/rpc/hello", status: 405,
			wantBody: errBody("PGRST101", "Cannot use the DELETE method on RPC", nil, nil)},
		{name: "unsupported method", cite: "ApiRequest.hs:130-151@v16.2", method: "TRACE", path: "/items", status: 405,
			wantBody: errBody("PGRST117", "Unsupported HTTP method: TRACE", nil, nil)},
		{name: "invalid json", cite: "spec §5.1 (PGRST102)", method: "POST", path: "/rpc/add", body: "{", status: 400,
			wantBody: errBody("PGRST102", "Empty or invalid json", nil, nil)},

		// ---- RPC (§5) ----
		{name: "login 204 two cookies", cite: "spec §11 / T:Query/RpcSpec.hs:1078", method: "POST", path: "/rpc/login",
			hdr: auth, body: `{"user_":"alice","pass":"secret"}`, status: 204,
			wantHdr: map[string]string{"Set-Cookie": "access_token=x; Path=/; HttpOnly\nrefresh_token=y; Path=/rpc/refresh_token",
				"Content-Type": "", "Content-Profile": "", "Content-Length": ""},
			check: func(t *testing.T, r result) {
				if r.body != "" {
					t.Errorf("204 with body %q", r.body)
				}
			}},
		{name: "login wrong password PT401", cite: "T:Query/RpcSpec.hs:771-787 / Error.hs:467-470", method: "POST", path: "/rpc/login",
			hdr: auth, body: `{"user_":"alice","pass":"nope"}`, status: 401,
			wantBody: errBody("PT401", "Invalid user or password", nil, nil),
			wantHdr:  map[string]string{"WWW-Authenticate": "Bearer", "Set-Cookie": "", "Proxy-Status": "PostgREST; error=PT401", "Content-Type": jsonCT}},
		{name: "login via GET read only works", cite: "spec §4.3 / §11", method: "GET", path: "/rpc/login?user_=alice&pass=secret",
			hdr: map[string]string{"Accept-Profile": "auth"}, status: 204},
		{name: "scalar", cite: "T:Query/RpcSpec.hs:398-507", method: "POST", path: "/rpc/add", body: `{"a":1,"b":2}`, status: 200,
			wantBody: "3", wantHdr: map[string]string{"Content-Type": jsonCT, "Content-Range": "0-0/*", "Content-Profile": "public"}},
		{name: "scalar via GET", cite: "T:Query/RpcSpec.hs", method: "GET", path: "/rpc/add?a=4&b=5", status: 200, wantBody: "9"},
		{name: "form body", cite: "spec §5.1", method: "POST", path: "/rpc/add",
			hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "a=10&b=5", status: 200, wantBody: "15"},
		{name: "array body uses first", cite: "T:Query/RpcSpec.hs:862", method: "POST", path: "/rpc/add", body: `[{"a":1,"b":2},{"a":10,"b":20}]`, status: 200, wantBody: "3"},
		{name: "array body keys must match", cite: "spec §5.1", method: "POST", path: "/rpc/add", body: `[{"a":1,"b":2},{"a":10}]`, status: 400,
			wantBody: errBody("PGRST102", "All object keys must match", nil, nil)},
		{name: "text scalar", cite: "T:Query/RpcSpec.hs", method: "GET", path: "/rpc/hello", status: 200, wantBody: `"Hello, world"`},
		{name: "empty body no args", cite: "T:Query/RpcSpec.hs:657", method: "POST", path: "/rpc/hello", status: 200, wantBody: `"Hello, world"`},
		{name: "setof composite", cite: "T:Query/RpcSpec.hs", method: "GET", path: "/rpc/setof_items", status: 200,
			wantBody: `[{"id":1,"name":"one"},{"id":2,"name":"two"},{"id":3,"name":"three"}]`, wantHdr: map[string]string{"Content-Range": "0-2/*"}},
		{name: "setof with filters select order", cite: "spec §5.3", method: "GET", path: "/rpc/setof_items?select=name&id=gt.1&order=id.desc", status: 200,
			wantBody: `[{"name":"three"},{"name":"two"}]`},
		{name: "setof with count", cite: "spec §5.3", method: "GET", path: "/rpc/setof_items?limit=1", hdr: map[string]string{"Prefer": "count=exact"}, status: 206,
			wantBody: `[{"id":1,"name":"one"}]`, wantHdr: map[string]string{"Content-Range": "0-0/3", "Preference-Applied": "count=exact"}},
		{name: "single composite", cite: "T:Query/RpcSpec.hs", method: "GET", path: "/rpc/one_item?id=2", status: 200, wantBody: `{"id":2,"name":"two"}`},
		{name: "setof scalar", cite: "T:Query/RpcSpec.hs", method: "GET", path: "/rpc/nums", status: 200, wantBody: `[1,2,3]`},
		{name: "returns table", cite: "T:Query/RpcSpec.hs", method: "POST", path: "/rpc/table_fn", status: 200, wantBody: `[{"x":1,"y":"a"},{"x":2,"y":"b"}]`},
		{name: "single unnamed json gets body", cite: "spec §5.2", method: "POST", path: "/rpc/body_json", body: `{"x":1,"y":[2]}`, status: 200, wantBody: `{"x":1,"y":[2]}`},
		{name: "single named json is not a fallback", cite: "spec §5.2 (#4553)", method: "POST", path: "/rpc/named_json", body: `{"x":1}`, status: 404,
			contains: []string{"public.named_json(x)"}},
		{name: "overload hint", cite: "spec §5.2 hint example", method: "POST", path: "/rpc/login", hdr: auth, body: `{"username":"a","password":"b"}`, status: 404,
			wantBody: errBody("PGRST202", "Could not find the function auth.login(password, username) in the schema cache",
				"Searched for the function auth.login with parameters password, username or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
				"Perhaps you meant to call the function auth.login(pass, user_)")},
		{name: "overload by names", cite: "spec §5.2", method: "POST", path: "/rpc/overload", body: `{"b":1,"c":2}`, status: 200, wantBody: "3"},
		{name: "no match 202", cite: "Error.hs:246-284@v16.2", method: "POST", path: "/rpc/add", body: `{"x":1,"a":2}`, status: 404,
			wantBody: errBody("PGRST202", "Could not find the function public.add(a, x) in the schema cache",
				"Searched for the function public.add with parameters a, x or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
				"Perhaps you meant to call the function public.add(a, b)")},
		{name: "unknown function fuzzy", cite: "Error.hs noRpcHint@v16.2", method: "GET", path: "/rpc/hellp", status: 404,
			wantBody: errBody("PGRST202", "Could not find the function public.hellp without parameters in the schema cache",
				"Searched for the function public.hellp without parameters, but no matches were found in the schema cache.",
				"Perhaps you meant to call the function public.hello")},
		{name: "ambiguous 300", cite: "spec §5.2 (PGRST203)", method: "POST", path: "/rpc/ambig", status: 300,
			wantBody: errBody("PGRST203", "Could not choose the best candidate function between: public.ambig(), public.ambig(x => integer)", nil,
				"Try renaming the parameters or the function itself in the database so function overloading can be resolved")},
		{name: "GET volatile writer 405", cite: "T:Query/RpcSpec.hs:948", method: "GET", path: "/rpc/writer", status: 405,
			contains: []string{`"code":"25006"`, "read-only transaction"}},
		{name: "POST volatile writer", cite: "spec §4.3", method: "POST", path: "/rpc/writer", status: 200, wantBody: "100"},
		{name: "function isolation wins", cite: "spec §4.3 (MainTx.hs:105-110)", method: "POST", path: "/rpc/iso_fn", status: 200, wantBody: `"serializable"`},
		{name: "void 204 no headers", cite: "T:Query/RpcSpec.hs:470", method: "POST", path: "/rpc/bad_status", status: 500,
			wantBody: errBody("PGRST112", "response.status guc must be a valid status code", nil, nil)},
		{name: "bad response.headers", cite: "T:Query/RpcSpec.hs:1051", method: "POST", path: "/rpc/bad_headers", status: 500,
			wantBody: errBody("PGRST111", "response.headers guc must be a JSON array composed of objects with a single key and a string value", nil, nil)},
		{name: "response.status override", cite: "T:Query/RpcSpec.hs:1142", method: "POST", path: "/rpc/teapot", status: 418},
		{name: "content-type override", cite: "spec §6.1 override rule", method: "POST", path: "/rpc/custom_ct", status: 200,
			wantHdr: map[string]string{"Content-Type": "text/plain"}},
		{name: "raise PGRST", cite: "T:Query/RpcSpec.hs:1371-1414", method: "POST", path: "/rpc/raise_pgrst", status: 402,
			wantBody: errBody("123", "Payment Required", "d", "h"), wantHdr: map[string]string{"X-Powered-By": "Nerd Rage", "WWW-Authenticate": ""}},
		{name: "raise PGRST bad json", cite: "spec §6.3 (PGRST121)", method: "POST", path: "/rpc/raise_pgrst_bad", status: 500,
			contains: []string{`"code":"PGRST121"`, `Invalid JSON value for MESSAGE: 'not json'`}},
		{name: "raise PT402", cite: "T:Query/RpcSpec.hs:771-787", method: "POST", path: "/rpc/raise_pt", status: 402,
			wantBody: errBody("PT402", "Payment", "d", "h")},
		{name: "plain raise 400", cite: "spec §7.2 (P0001)", method: "POST", path: "/rpc/raise_plain", status: 400,
			wantBody: errBody("P0001", "boom", nil, nil)},
		{name: "headers dropped on error", cite: "spec §6.4", method: "POST", path: "/rpc/cookie_then_fail", status: 400,
			wantHdr: map[string]string{"Set-Cookie": ""}},
		{name: "40001 is 500 in v16", cite: "spec §4.3 (MainTx.hs:89)", method: "POST", path: "/rpc/ser_fail", status: 500,
			contains: []string{`"code":"40001"`}},
		{name: "function permission anon 401", cite: "spec §7.3", method: "POST", path: "/rpc/secret_fn", status: 401,
			wantBody: errBody("42501", "permission denied for function secret_fn", nil, nil), wantHdr: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "function permission anon-role token 401", cite: "spec §12.4", method: "POST", path: "/rpc/secret_fn", hdr: anonTok, status: 401},
		{name: "function permission user 403", cite: "T:Auth/AuthSpec.hs:27", method: "POST", path: "/rpc/secret_fn", hdr: user, status: 403,
			wantHdr: map[string]string{"WWW-Authenticate": ""}},

		// ---- GUCs (§4) ----
		{name: "gucs anonymous", cite: "spec §4.2 (Query/PreQuery.hs:36-62)", method: "POST", path: "/rpc/gucs",
			hdr: map[string]string{"Cookie": "refresh_token=abc; other=1", "X-Custom": "v"}, status: 200,
			check: func(t *testing.T, r result) {
				var g map[string]any
				if err := json.Unmarshal([]byte(r.body), &g); err != nil {
					t.Fatal(err)
				}
				if !jsonEq(mustJSON(g["claims"]), `{"role":"anon"}`) {
					t.Errorf("claims %v", g["claims"])
				}
				if g["method"] != "POST" || g["path"] != "/rpc/gucs" || g["role"] != "anon" || g["jwt_exp"] != "3600" {
					t.Errorf("gucs %v", g)
				}
				if g["search_path"] != `"public", "public"` {
					t.Errorf("search_path %v", g["search_path"])
				}
				h := g["headers"].(map[string]any)
				if h["x-custom"] != "v" || h["cookie"] != nil || h["host"] == nil {
					t.Errorf("headers %v", h)
				}
				if !jsonEq(mustJSON(g["cookies"]), `{"refresh_token":"abc","other":"1"}`) {
					t.Errorf("cookies %v", g["cookies"])
				}
				if g["ro"] != "off" || g["iso"] != "read committed" {
					t.Errorf("mode %v %v", g["ro"], g["iso"])
				}
			}},
		{name: "gucs GET read only", cite: "spec §4.3", method: "GET", path: "/rpc/gucs", hdr: user, status: 200,
			check: func(t *testing.T, r result) {
				var g map[string]any
				_ = json.Unmarshal([]byte(r.body), &g)
				if g["ro"] != "on" || g["role"] != "basic_subscriber" {
					t.Errorf("gucs %v", g)
				}
				c := g["claims"].(map[string]any)
				if c["username"] != "alice" || c["role"] != "basic_subscriber" {
					t.Errorf("claims %v", c)
				}
			}},
		{name: "auth search_path", cite: "spec §4.2 row 1", method: "GET", path: "/rpc/gucs_auth", hdr: map[string]string{"Accept-Profile": "auth"}, status: 200,
			wantBody: `"\"auth\", \"public\""`, wantHdr: map[string]string{"Content-Profile": "auth"}},

		// ---- tables (§8) ----
		{name: "anon read denied 401", cite: "T:Auth/AuthSpec.hs:15", method: "GET", path: "/task", status: 401,
			wantBody: errBody("42501", "permission denied for table task", nil, nil), wantHdr: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "RLS filters rows", cite: "spec §8.4", method: "GET", path: "/task?select=id,title&order=id", hdr: user, status: 200,
			wantBody: `[{"id":1,"title":"a"},{"id":2,"title":"b"}]`,
			wantHdr:  map[string]string{"Content-Range": "0-1/*", "Content-Type": jsonCT, "Vary": "Accept, Prefer, Range", "Content-Profile": "public"}},
		{name: "alias and cast", cite: "T:Query/QuerySpec.hs", method: "GET", path: "/task?select=task_id:id,prio:priority::text&order=id&limit=1", hdr: user, status: 200,
			wantBody: `[{"task_id":1,"prio":"1"}]`},
		{name: "unknown column 42703", cite: "T:Query/QuerySpec.hs:1556", method: "GET", path: "/items?select=banana", status: 400,
			contains: []string{`"code":"42703"`, "banana"}},
		{name: "bad value 22P02", cite: "spec §8.1", method: "GET", path: "/items?id=eq.abc", status: 400,
			contains: []string{`"code":"22P02"`, `invalid input syntax for type integer: \"abc\"`}},
		{name: "filters in", cite: "T:Query/QuerySpec.hs", method: "GET", path: "/items?id=in.(1,3)&order=id", status: 200,
			wantBody: `[{"id":1,"name":"one"},{"id":3,"name":"three"}]`},
		{name: "not eq", cite: "T:Query/QuerySpec.hs", method: "GET", path: "/items?id=not.eq.1&order=id.desc", status: 200,
			wantBody: `[{"id":3,"name":"three"},{"id":2,"name":"two"}]`},
		{name: "count exact 206", cite: "spec §8.1", method: "GET", path: "/items?limit=2&order=id", hdr: map[string]string{"Prefer": "count=exact"}, status: 206,
			wantHdr: map[string]string{"Content-Range": "0-1/3", "Preference-Applied": "count=exact"}},
		{name: "range header", cite: "RangeQuery.hs:36-47@v16.2", method: "GET", path: "/items?order=id", hdr: map[string]string{"Range": "1-1"}, status: 200,
			wantBody: `[{"id":2,"name":"two"}]`, wantHdr: map[string]string{"Content-Range": "1-1/*"}},
		{name: "range with unit ignored", cite: "spec §8.1", method: "GET", path: "/items?order=id", hdr: map[string]string{"Range": "items=0-0"}, status: 200,
			wantHdr: map[string]string{"Content-Range": "0-2/*"}},
		{name: "limit 0", cite: "spec §8.1", method: "GET", path: "/items?limit=0", status: 200, wantBody: `[]`, wantHdr: map[string]string{"Content-Range": "*/*"}},
		{name: "negative limit 416", cite: "spec §8.1", method: "GET", path: "/items?limit=-1", status: 416,
			wantBody: errBody("PGRST103", "Requested range not satisfiable", "Limit should be greater than or equal to zero.", nil)},
		{name: "offset past end", cite: "spec §8.1", method: "GET", path: "/items?offset=10", hdr: map[string]string{"Prefer": "count=exact"}, status: 416,
			wantBody: errBody("PGRST103", "Requested range not satisfiable", "An offset of 10 was requested, but there are only 3 rows.", nil),
			wantHdr:  map[string]string{"Content-Range": "*/3", "Proxy-Status": ""}},
		{name: "offset equal to total is 200", cite: "RangeQuery.hs rangeStatus@v16.2", method: "GET", path: "/readonly_items?offset=0", hdr: map[string]string{"Prefer": "count=exact"}, status: 200,
			wantBody: `[]`, wantHdr: map[string]string{"Content-Range": "*/0"}},
		{name: "unknown table fuzzy hint", cite: "spec §7.4 (PGRST205)", method: "GET", path: "/itemz", status: 404,
			wantBody: errBody("PGRST205", "Could not find the table 'public.itemz' in the schema cache", nil, "Perhaps you meant the table 'public.items'")},
		{name: "single schema profile header", cite: "T:Query/QuerySpec.hs:1434", method: "HEAD", path: "/items", status: 200},
		// text/csv is a builtin handler of every relation (SchemaCache.hs
		// initialMediaHandlers@v16.2): a header row, then one line per row.
		{name: "csv", cite: "T:Query/QuerySpec.hs:1234", method: "GET", path: "/items?id=lte.3&order=id", hdr: map[string]string{"Accept": "text/csv"},
			status: 200, wantHdr: map[string]string{"Content-Type": "text/csv; charset=utf-8", "Content-Length": "27"},
			check: raw("id,name\n1,one\n2,two\n3,three")},
		{name: "insert minimal", cite: "T:Query/InsertSpec.hs / Response.hs:85-118", method: "POST", path: "/items", body: `{"id":10,"name":"ten"}`, status: 201,
			wantHdr: map[string]string{"Content-Type": "", "Location": "", "Content-Range": "*/*", "Content-Length": "0", "Content-Profile": ""}},
		{name: "insert representation", cite: "T:Query/InsertSpec.hs", method: "POST", path: "/items?select=name", body: `{"id":11,"name":"eleven"}`,
			hdr: map[string]string{"Prefer": "return=representation"}, status: 201, wantBody: `[{"name":"eleven"}]`,
			wantHdr: map[string]string{"Preference-Applied": "return=representation", "Content-Type": jsonCT}},
		{name: "insert headers-only location", cite: "T:Query/InsertSpec.hs", method: "POST", path: "/items", body: `{"id":12,"name":"twelve"}`,
			hdr: map[string]string{"Prefer": "return=headers-only"}, status: 201,
			wantHdr: map[string]string{"Location": "/items?id=eq.12", "Preference-Applied": "return=headers-only"}},
		{name: "bulk insert count", cite: "T:Query/InsertSpec.hs", method: "POST", path: "/items", body: `[{"id":13,"name":"a"},{"id":14,"name":"b"}]`,
			hdr: map[string]string{"Prefer": "count=exact"}, status: 201, wantHdr: map[string]string{"Content-Range": "*/2"}},
		{name: "insert empty array", cite: "T:Query/InsertSpec.hs@v16.2", method: "POST", path: "/wlog", body: `[]`,
			hdr: map[string]string{"Prefer": "return=representation"}, status: 201, wantBody: `[]`},
		{name: "insert text/plain not acceptable", cite: "ApiRequest/Payload.hs:73@v16.2", method: "POST", path: "/items", body: `x`,
			hdr: map[string]string{"Content-Type": "text/plain"}, status: 400,
			wantBody: errBody("PGRST102", "Content-Type not acceptable: text/plain", nil, nil)},
		{name: "rpc array of scalars", cite: "ApiRequest/Payload.hs payloadAttributes@v16.2", method: "POST", path: "/rpc/hello", body: `[1,2]`, status: 400,
			wantBody: errBody("PGRST102", "All object keys must match", nil, nil)},
		{name: "rpc scalar body no args", cite: "ApiRequest/Payload.hs payloadAttributes@v16.2", method: "POST", path: "/rpc/hello", body: `3`, status: 200,
			wantBody: `"Hello, world"`},
		{name: "upsert merge existing 200", cite: "T:Query/UpsertSpec.hs@v16.2", method: "POST", path: "/items",
			hdr:  map[string]string{"Prefer": "resolution=merge-duplicates, return=representation"},
			body: `[{"id":1,"name":"one"},{"id":3,"name":"three"}]`, status: 200, wantBody: `[{"id":1,"name":"one"},{"id":3,"name":"three"}]`,
			wantHdr: map[string]string{"Preference-Applied": "resolution=merge-duplicates, return=representation"}},
		{name: "upsert merge new 201", cite: "T:Query/UpsertSpec.hs@v16.2", method: "POST", path: "/items",
			hdr:  map[string]string{"Prefer": "resolution=merge-duplicates"},
			body: `[{"id":3,"name":"three"},{"id":30,"name":"thirty"}]`, status: 201},
		{name: "upsert ignore", cite: "T:Query/UpsertSpec.hs@v16.2", method: "POST", path: "/items",
			hdr:  map[string]string{"Prefer": "resolution=ignore-duplicates, return=representation"},
			body: `[{"id":3,"name":"CHANGED"},{"id":31,"name":"thirty-one"}]`, status: 201, wantBody: `[{"id":31,"name":"thirty-one"}]`},
		{name: "put insert 201", cite: "T:Query/UpsertSpec.hs@v16.2 (PUT)", method: "PUT", path: "/items?id=eq.40",
			hdr: map[string]string{"Prefer": "return=representation"}, body: `{"id":40,"name":"forty"}`, status: 201, wantBody: `[{"id":40,"name":"forty"}]`},
		{name: "put update 200", cite: "T:Query/UpsertSpec.hs@v16.2 (PUT)", method: "PUT", path: "/items?id=eq.40",
			hdr: map[string]string{"Prefer": "return=representation"}, body: `{"id":40,"name":"FORTY"}`, status: 200, wantBody: `[{"id":40,"name":"FORTY"}]`},
		{name: "put minimal 204", cite: "Response.hs MutationSingleUpsert@v16.2", method: "PUT", path: "/items?id=eq.40", body: `{"id":40,"name":"x"}`, status: 204,
			wantHdr: map[string]string{"Content-Type": ""}},
		{name: "put pk mismatch", cite: "MainTx.hs failPut@v16.2 (PGRST115)", method: "PUT", path: "/items?id=eq.41", body: `{"id":42,"name":"x"}`, status: 400,
			wantBody: errBody("PGRST115", "Payload values do not match URL in primary key column(s)", nil, nil),
			check: func(t *testing.T, r result) {
				if got := e.do("GET", "/items?id=in.(41,42)", nil, ""); got.body != "[]" {
					t.Errorf("PGRST115 did not roll back: %s", got.body)
				}
			}},
		{name: "put without pk filter", cite: "Plan.hs MutationSingleUpsert@v16.2 (PGRST105)", method: "PUT", path: "/items?name=eq.x", body: `{"id":43}`, status: 405,
			wantBody: errBody("PGRST105", "Filters must include all and only primary key columns with 'eq' operators", nil, nil)},
		{name: "insert unknown column", cite: "spec §8.2 (PGRST204)", method: "POST", path: "/items", body: `{"id":15,"nope":1}`, status: 400,
			wantBody: errBody("PGRST204", "Could not find the 'nope' column of 'items' in the schema cache", nil, nil)},
		{name: "insert duplicate 409", cite: "spec §7.2 (23505)", method: "POST", path: "/items", body: `{"id":1,"name":"dup"}`, status: 409,
			contains: []string{`"code":"23505"`, "Key (id)=(1) already exists."}},
		{name: "anon insert denied", cite: "spec §8.4", method: "POST", path: "/readonly_items", body: `{"id":1}`, status: 401,
			wantBody: errBody("42501", "permission denied for table readonly_items", nil, nil), wantHdr: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "user insert through RLS", cite: "spec §8.4", method: "POST", path: "/task", hdr: merge(user, map[string]string{"Prefer": "return=representation"}),
			body: `{"title":"new"}`, status: 201, contains: []string{`"owner":"alice"`, `"title":"new"`}},
		{name: "user insert RLS violation", cite: "spec §7.3", method: "POST", path: "/task", hdr: user, body: `{"title":"x","owner":"bob"}`, status: 403,
			contains: []string{`new row violates row-level security policy for table \"task\"`}},
		{name: "patch", cite: "spec §8.3", method: "PATCH", path: "/items?id=eq.2", body: `{"name":"TWO"}`, status: 204,
			wantHdr: map[string]string{"Content-Range": "0-0/*", "Content-Type": ""}},
		{name: "patch representation", cite: "spec §8.3", method: "PATCH", path: "/items?id=eq.2", body: `{"name":"deux"}`,
			hdr: map[string]string{"Prefer": "return=representation"}, status: 200, wantBody: `[{"id":2,"name":"deux"}]`},
		{name: "patch nothing matched", cite: "spec §8.3", method: "PATCH", path: "/items?id=eq.999", body: `{"name":"x"}`, status: 204,
			wantHdr: map[string]string{"Content-Range": "*/*"}},
		{name: "delete", cite: "spec §8.3", method: "DELETE", path: "/items?id=eq.13", status: 204, wantHdr: map[string]string{"Content-Range": "*/*"}},
		{name: "delete representation count", cite: "spec §8.3", method: "DELETE", path: "/items?id=eq.14",
			hdr: map[string]string{"Prefer": "return=representation, count=exact"}, status: 200, wantBody: `[{"id":14,"name":"b"}]`,
			wantHdr: map[string]string{"Content-Range": "*/1", "Preference-Applied": "return=representation, count=exact"}},
		{name: "or logic tree", cite: "T:Query/AndOrParamsSpec.hs", method: "GET", path: "/items?or=(id.eq.1,name.eq.three)&order=id&select=id", status: 200,
			wantBody: `[{"id":1},{"id":3}]`},
		{name: "like wildcard", cite: "T:Query/QuerySpec.hs", method: "GET", path: "/items?name=like.t*&id=lt.10&order=id&select=id", status: 200,
			wantBody: `[{"id":3}]`},
		{name: "is null", cite: "T:Query/QuerySpec.hs", method: "GET", path: "/task?priority=is.null&select=title", hdr: bearer(t, map[string]any{"role": "basic_subscriber", "username": "bob"}), status: 200,
			wantBody: `[{"title":"c"}]`},
		{name: "bad operator PGRST100", cite: "spec §7.4 (PGRST100)", method: "GET", path: "/items?id=noop.1", status: 400,
			wantBody: errBody("PGRST100", `"failed to parse filter (noop.1)" (line 1, column 1)`, `unexpected "o" expecting "not" or operator (eq, gt, ...)`, nil)},
		{name: "embedding PGRST200", cite: "Error.hs NoRelBetween@v16.2", method: "GET", path: "/items?select=id,task(*)", status: 400,
			contains: []string{`"code":"PGRST200"`, "Could not find a relationship between 'items' and 'task' in the schema cache"}},
		{name: "aggregates PGRST123", cite: "Error.hs@v16.2 (db-aggregates-enabled=false)", method: "GET", path: "/items?select=id.sum()", status: 400,
			contains: []string{`"code":"PGRST123"`}},
		{name: "content-location", cite: "spec §8.1", method: "GET", path: "/items?select=id&id=eq.1", status: 200,
			wantHdr: map[string]string{"Content-Location": "/items?id=eq.1&select=id"}},
		{name: "cors preflight", cite: "T:CorsSpec.hs:15@v16.2 (wai-cors adds simple methods/headers)", method: "OPTIONS", path: "/items",
			hdr:    map[string]string{"Origin": "http://example.test", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, prefer"},
			status: 200, wantHdr: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD",
				"Access-Control-Allow-Headers": "Authorization, content-type, prefer, Accept, Accept-Language, Content-Language", "Access-Control-Max-Age": "86400"}},
		{name: "cors simple", cite: "Cors.hs@v16.2 (wai-cors)", method: "GET", path: "/items?id=eq.1", hdr: map[string]string{"Origin": "http://example.test"},
			status: 200, wantHdr: map[string]string{"Access-Control-Allow-Origin": "*",
				"Access-Control-Expose-Headers": "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit"}},
		{name: "singular object", cite: "T:Query/SingularSpec.hs@v16.2", method: "GET", path: "/items?id=eq.1",
			hdr: map[string]string{"Accept": "application/vnd.pgrst.object+json"}, status: 200, wantBody: `{"id":1,"name":"one"}`,
			wantHdr: map[string]string{"Content-Type": "application/vnd.pgrst.object+json; charset=utf-8"}},
		{name: "singular many rows 406", cite: "T:Query/SingularSpec.hs@v16.2 (PGRST116)", method: "GET", path: "/items?id=lt.3",
			hdr: map[string]string{"Accept": "application/vnd.pgrst.object+json"}, status: 406,
			wantBody: errBody("PGRST116", "Cannot coerce the result to a single JSON object", "The result contains 2 rows", nil)},
		{name: "singular patch rolled back", cite: "T:Query/SingularSpec.hs@v16.2", method: "PATCH", path: "/items?id=lt.3",
			hdr: map[string]string{"Accept": "application/vnd.pgrst.object+json", "Prefer": "return=representation"}, body: `{"name":"changed"}`, status: 406,
			check: func(t *testing.T, r result) {
				if got := e.do("GET", "/items?id=lt.3&name=eq.changed", nil, ""); got.body != "[]" {
					t.Errorf("406 did not roll back: %s", got.body)
				}
			}},
		{name: "prefer timezone", cite: "T:Query/PreferencesSpec.hs@v16.2 (timezone)", method: "GET", path: "/rpc/hoisted",
			hdr: map[string]string{"Prefer": "timezone=America/Los_Angeles"}, status: 200, wantBody: `"7s America/Los_Angeles"`,
			wantHdr: map[string]string{"Preference-Applied": "timezone=America/Los_Angeles"}},
		{name: "prefer invalid timezone is PostgreSQL's error", cite: "T:Query/Preferences/TimezoneSpec.hs:35@v16.2", method: "GET", path: "/rpc/hoisted",
			hdr: map[string]string{"Prefer": "timezone=Nowhere/Nothing"}, status: 400,
			wantBody: errBody("22023", `invalid value for parameter "TimeZone": "Nowhere/Nothing"`, nil, nil)},
		{name: "prefer timezone offset", cite: "T:Query/Preferences/TimezoneSpec.hs:60@v16.2", method: "GET", path: "/rpc/hoisted",
			hdr: map[string]string{"Prefer": "timezone=+05:30"}, status: 200, wantBody: `"7s +05:30"`,
			wantHdr: map[string]string{"Preference-Applied": "timezone=+05:30"}},
		{name: "variadic GET repeated", cite: "T:Query/RpcSpec.hs variadic@v16.2", method: "GET", path: "/rpc/var_fn?v=a&v=b&v=c", status: 200, wantBody: `"a|b|c"`},
		{name: "variadic POST array", cite: "T:Query/RpcSpec.hs variadic@v16.2", method: "POST", path: "/rpc/var_fn", body: `{"v":["x","y"]}`, status: 200, wantBody: `"x|y"`},
		{name: "options", cite: "spec §4.1 (no transaction)", method: "OPTIONS", path: "/items", status: 200,
			wantHdr: map[string]string{"Allow": "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE", "Content-Length": "0"}},
		{name: "options volatile rpc", cite: "Response.hs:225@v16.2", method: "OPTIONS", path: "/rpc/writer", status: 200,
			wantHdr: map[string]string{"Allow": "OPTIONS,POST"}},
		{name: "options stable rpc", cite: "Response.hs:226@v16.2", method: "OPTIONS", path: "/rpc/hello", status: 200,
			wantHdr: map[string]string{"Allow": "OPTIONS,GET,HEAD,POST"}},
	}
	runCases(t, e, cases)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// GET / (spec §9): content type, follow-privileges, validity under
// go-openapi (T:OpenApi/OpenApiSpec.hs, T:OpenApi/RootSpec.hs@v16.2).
func TestOpenAPIRoot(t *testing.T) {
	e := newEngine(t, fixtureSQL, nil)
	doc := func(hdr map[string]string) (result, map[string]any) {
		r := e.do("GET", "/", hdr, "")
		var m map[string]any
		if r.status == 200 {
			if err := json.Unmarshal([]byte(r.body), &m); err != nil {
				t.Fatalf("body: %v", err)
			}
		}
		return r, m
	}
	r, anon := doc(map[string]string{"Accept": "application/json"})
	if r.status != 200 || r.header.Get("Content-Type") != "application/openapi+json; charset=utf-8" || r.header.Get("Content-Profile") != "public" {
		t.Fatalf("GET /: %d %v", r.status, r.header)
	}
	// (validity under go-openapi is checked in TestOpenAPIValid: its
	// validator mistakes a definition named "items" for the keyword.)
	paths := anon["paths"].(map[string]any)
	if _, ok := paths["/items"]; !ok {
		t.Error("anon document lacks /items")
	}
	if _, ok := paths["/task"]; ok {
		t.Error("anon document lists /task although anon has no privilege on it")
	}
	if _, ok := paths["/rpc/secret_fn"]; ok {
		t.Error("anon document lists a function anon may not execute")
	}
	if p, ok := paths["/rpc/writer"].(map[string]any); !ok || p["get"] != nil || p["post"] == nil {
		t.Errorf("volatile function: %v", paths["/rpc/writer"])
	}
	_, user := doc(bearer(t, map[string]any{"role": "basic_subscriber"}))
	if _, ok := user["paths"].(map[string]any)["/task"]; !ok {
		t.Error("basic_subscriber document lacks /task")
	}
	if r, _ := doc(map[string]string{"Accept": "text/csv"}); r.status != 406 || !strings.Contains(r.body, "PGRST107") {
		t.Errorf("csv root: %d %s", r.status, r.body)
	}
	r, authDoc := doc(map[string]string{"Accept-Profile": "auth"})
	if r.status != 200 || r.header.Get("Content-Profile") != "auth" {
		t.Fatalf("auth root: %d", r.status)
	}
	if _, ok := authDoc["paths"].(map[string]any)["/rpc/login"]; !ok {
		t.Error("auth document lacks /rpc/login")
	}
}
