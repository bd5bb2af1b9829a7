package postgrest

import (
	"io"
	"net/http"
	"testing"
)

// TestSpecRpc replays PostgREST v16.2's RpcSpec
// (test/spec/Feature/Query/RpcSpec.hs) on the project's fixtures: finding
// the function, its arguments, the shapes of its results, response GUCs
// and RAISE. The transaction settings a function reads are in
// txsettings_test.go; embedding in function results in
// spec_embed_rpc_test.go.
func TestSpecRpc(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, rpcSpecCases)
	t.Run("shapes", func(t *testing.T) {
		t.Parallel()
		e := newEngine(t, rpcFixtureSQL, nil)
		runCases(t, e, rpcShapeCases())
	})
	t.Run("reason phrase", func(t *testing.T) {
		t.Parallel()
		testCustomReasonPhrase(t)
	})
}

func rpcSpecCases(t *testing.T, e *engine) []tc {
	auth := authProfile
	return []tc{
		// arguments (ApiRequest/Payload.hs@v16.2)
		{name: "scalar", cite: "T:Query/RpcSpec.hs:398-507@v16.2", method: "POST", path: "/rpc/add", body: `{"a":1,"b":2}`, status: 200,
			wantBody: "3", wantHdr: map[string]string{"Content-Type": jsonCT, "Content-Range": "0-0/*", "Content-Profile": "public"}},
		{name: "scalar via GET", cite: "T:Query/RpcSpec.hs:543@v16.2", method: "GET", path: "/rpc/add?a=4&b=5", status: 200, wantBody: "9"},
		{name: "form body", cite: "T:Query/RpcSpec.hs:561@v16.2", method: "POST", path: "/rpc/add",
			hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "a=10&b=5", status: 200, wantBody: "15"},
		{name: "array body uses first", cite: "T:Query/RpcSpec.hs:862@v16.2", method: "POST", path: "/rpc/add", body: `[{"a":1,"b":2},{"a":10,"b":20}]`, status: 200, wantBody: "3"},
		{name: "array body keys must match", cite: "ApiRequest/Payload.hs@v16.2 (T:Query/InsertSpec.hs:83@v16.2 for tables)", method: "POST", path: "/rpc/add", body: `[{"a":1,"b":2},{"a":10}]`, status: 400,
			wantBody: errBody("PGRST102", "All object keys must match", nil, nil)},
		{name: "empty body no args", cite: "T:Query/RpcSpec.hs:657@v16.2", method: "POST", path: "/rpc/hello", status: 200, wantBody: `"Hello, world"`},
		{name: "rpc array of scalars", cite: "ApiRequest/Payload.hs payloadAttributes@v16.2", method: "POST", path: "/rpc/hello", body: `[1,2]`, status: 400,
			wantBody: errBody("PGRST102", "All object keys must match", nil, nil)},
		{name: "rpc scalar body no args", cite: "ApiRequest/Payload.hs payloadAttributes@v16.2", method: "POST", path: "/rpc/hello", body: `3`, status: 200,
			wantBody: `"Hello, world"`},
		{name: "invalid json", cite: "T:Query/RpcSpec.hs:602@v16.2", method: "POST", path: "/rpc/add", body: "{", status: 400,
			wantBody: errBody("PGRST102", "Empty or invalid json", nil, nil)},
		{name: "rpc delete", cite: "T:Query/RpcSpec.hs:620@v16.2", method: "DELETE", path: "/rpc/hello", status: 405,
			wantBody: errBody("PGRST101", "Cannot use the DELETE method on RPC", nil, nil)},
		{name: "variadic GET repeated", cite: "T:Query/RpcSpec.hs:721-726@v16.2", method: "GET", path: "/rpc/var_fn?v=a&v=b&v=c", status: 200, wantBody: `"a|b|c"`},
		{name: "variadic POST array", cite: "T:Query/RpcSpec.hs:709@v16.2", method: "POST", path: "/rpc/var_fn", body: `{"v":["x","y"]}`, status: 200, wantBody: `"x|y"`},
		// result shapes (Query/SqlFragment.hs:196-215, Response.hs:175-197@v16.2)
		{name: "text scalar", cite: "T:Query/RpcSpec.hs:408@v16.2", method: "GET", path: "/rpc/hello", status: 200, wantBody: `"Hello, world"`},
		{name: "setof composite", cite: "T:Query/RpcSpec.hs:122@v16.2", method: "GET", path: "/rpc/setof_items", status: 200,
			wantBody: `[{"id":1,"name":"one"},{"id":2,"name":"two"},{"id":3,"name":"three"}]`, wantHdr: map[string]string{"Content-Range": "0-2/*"}},
		{name: "setof with filters select order", cite: "T:Query/RpcSpec.hs:299-317@v16.2", method: "GET", path: "/rpc/setof_items?select=name&id=gt.1&order=id.desc", status: 200,
			wantBody: `[{"name":"three"},{"name":"two"}]`},
		{name: "setof with count", cite: "T:Query/RpcSpec.hs:87@v16.2", method: "GET", path: "/rpc/setof_items?limit=1", hdr: map[string]string{"Prefer": "count=exact"}, status: 206,
			wantBody: `[{"id":1,"name":"one"}]`, wantHdr: map[string]string{"Content-Range": "0-0/3", "Preference-Applied": "count=exact"}},
		{name: "single composite", cite: "T:Query/RpcSpec.hs:464@v16.2", method: "GET", path: "/rpc/one_item?id=2", status: 200, wantBody: `{"id":2,"name":"two"}`},
		{name: "setof scalar", cite: "T:Query/RpcSpec.hs:423@v16.2", method: "GET", path: "/rpc/nums", status: 200, wantBody: `[1,2,3]`},
		{name: "returns table", cite: "T:Query/RpcSpec.hs:703@v16.2", method: "POST", path: "/rpc/table_fn", status: 200, wantBody: `[{"x":1,"y":"a"},{"x":2,"y":"b"}]`},
		// finding the function (Plan.hs:258-307, Error.hs:246-284@v16.2)
		{name: "single unnamed json gets body", cite: "T:Query/RpcSpec.hs:1152@v16.2", method: "POST", path: "/rpc/body_json", body: `{"x":1,"y":[2]}`, status: 200, wantBody: `{"x":1,"y":[2]}`},
		{name: "single named json is not a fallback", cite: "T:Query/RpcSpec.hs:1158@v16.2 (#4553)", method: "POST", path: "/rpc/named_json", body: `{"x":1}`, status: 404,
			contains: []string{"public.named_json(x)"}},
		{name: "overload hint", cite: "T:Query/RpcSpec.hs:227@v16.2", method: "POST", path: "/rpc/login", hdr: auth, body: `{"username":"a","password":"b"}`, status: 404,
			wantBody: errBody("PGRST202", "Could not find the function auth.login(password, username) in the schema cache",
				"Searched for the function auth.login with parameters password, username or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
				"Perhaps you meant to call the function auth.login(pass, user_)")},
		{name: "overload by names", cite: "T:Query/RpcSpec.hs:794@v16.2", method: "POST", path: "/rpc/overload", body: `{"b":1,"c":2}`, status: 200, wantBody: "3"},
		{name: "no match 202", cite: "T:Query/RpcSpec.hs:238@v16.2", method: "POST", path: "/rpc/add", body: `{"x":1,"a":2}`, status: 404,
			wantBody: errBody("PGRST202", "Could not find the function public.add(a, x) in the schema cache",
				"Searched for the function public.add with parameters a, x or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
				"Perhaps you meant to call the function public.add(a, b)")},
		{name: "unknown function fuzzy", cite: "T:Query/RpcSpec.hs:211@v16.2", method: "GET", path: "/rpc/hellp", status: 404,
			wantBody: errBody("PGRST202", "Could not find the function public.hellp without parameters in the schema cache",
				"Searched for the function public.hellp without parameters, but no matches were found in the schema cache.",
				"Perhaps you meant to call the function public.hello")},
		{name: "ambiguous 300", cite: "T:Query/RpcSpec.hs:270@v16.2", method: "POST", path: "/rpc/ambig", status: 300,
			wantBody: errBody("PGRST203", "Could not choose the best candidate function between: public.ambig(), public.ambig(x => integer)", nil,
				"Try renaming the parameters or the function itself in the database so function overloading can be resolved")},
		// the candidates in the schema cache's order: fewer parameters first,
		// then by parameter name and type (SchemaCache.hs decodeFuncs,
		// Routine.hs instance Ord Routine@v16.2)
		{name: "ambiguous candidates by type", cite: "SchemaCache.hs decodeFuncs@v16.2", method: "POST", path: "/rpc/ambig_order", body: `{"x":1}`, status: 300,
			contains: []string{"between: public.ambig_order(x => integer), public.ambig_order(x => text)\""}},
		{name: "ambiguous candidates by arity", cite: "SchemaCache.hs decodeFuncs@v16.2", method: "POST", path: "/rpc/ambig_arity", body: `{"x":1}`, status: 300,
			contains: []string{"between: public.ambig_arity(x => integer), public.ambig_arity(x => integer, y => integer)\""}},
		// GET runs READ ONLY: a function that writes fails with 25006
		{name: "GET volatile writer 405", cite: "T:Query/RpcSpec.hs:948@v16.2", method: "GET", path: "/rpc/writer", status: 405,
			contains: []string{`"code":"25006"`, "read-only transaction"}},
		// response GUCs (Response/GucHeader.hs, Response.hs:235-268@v16.2)
		{name: "login 204 two cookies", cite: "T:Query/RpcSpec.hs:1078@v16.2", method: "POST", path: "/rpc/login",
			hdr: auth, body: `{"user_":"alice","pass":"secret"}`, status: 204,
			wantHdr: map[string]string{"Set-Cookie": "access_token=x; Path=/; HttpOnly\nrefresh_token=y; Path=/rpc/refresh_token",
				"Content-Type": "", "Content-Profile": "", "Content-Length": ""},
			check: func(t *testing.T, r result) {
				if r.body != "" {
					t.Errorf("204 with body %q", r.body)
				}
			}},
		{name: "bad response.status", cite: "T:Query/RpcSpec.hs:1142@v16.2", method: "POST", path: "/rpc/bad_status", status: 500,
			wantBody: errBody("PGRST112", "response.status guc must be a valid status code", nil, nil)},
		{name: "bad response.headers", cite: "T:Query/RpcSpec.hs:1051@v16.2", method: "POST", path: "/rpc/bad_headers", status: 500,
			wantBody: errBody("PGRST111", "response.headers guc must be a JSON array composed of objects with a single key and a string value", nil, nil)},
		{name: "response.status override", cite: "T:Query/RpcSpec.hs:1128@v16.2", method: "POST", path: "/rpc/teapot", status: 418},
		{name: "content-type override", cite: "Response.hs:235-268@v16.2, T:RpcPreRequestGucsSpec.hs:84@v16.2", method: "POST", path: "/rpc/custom_ct", status: 200,
			wantHdr: map[string]string{"Content-Type": "text/plain"}},
		// RAISE (Error.hs:590@v16.2)
		{name: "login wrong password PT401", cite: "T:Query/RpcSpec.hs:771-787@v16.2, Error.hs:467-470@v16.2", method: "POST", path: "/rpc/login",
			hdr: auth, body: `{"user_":"alice","pass":"nope"}`, status: 401,
			wantBody: errBody("PT401", "Invalid user or password", nil, nil),
			wantHdr:  map[string]string{"WWW-Authenticate": "Bearer", "Set-Cookie": "", "Proxy-Status": "PostgREST; error=PT401", "Content-Type": jsonCT}},
		{name: "raise PGRST", cite: "T:Query/RpcSpec.hs:1371-1414@v16.2", method: "POST", path: "/rpc/raise_pgrst", status: 402,
			wantBody: errBody("123", "Payment Required", "d", "h"), wantHdr: map[string]string{"X-Powered-By": "Nerd Rage", "WWW-Authenticate": ""}},
		{name: "raise PGRST bad json", cite: "T:Query/RpcSpec.hs:1416@v16.2", method: "POST", path: "/rpc/raise_pgrst_bad", status: 500,
			contains: []string{`"code":"PGRST121"`, `Invalid JSON value for MESSAGE: 'not json'`}},
		{name: "raise PT402", cite: "T:Query/RpcSpec.hs:771-787@v16.2", method: "POST", path: "/rpc/raise_pt", status: 402,
			wantBody: errBody("PT402", "Payment", "d", "h")},
		{name: "plain raise 400", cite: "T:Query/RpcSpec.hs:608@v16.2", method: "POST", path: "/rpc/raise_plain", status: 400,
			wantBody: errBody("P0001", "boom", nil, nil)},
	}
}

// rpcShapeCases: function shapes of PostgREST's own fixture schema
// (rpcFixtureSQL).
func rpcShapeCases() []tc {
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	exact := map[string]string{"Prefer": "count=exact"}
	return []tc{
		// Statements.hs mainCall counts every function's rows.
		{name: "count scalar", cite: "T:Query/RpcSpec.hs:101@v16.2", method: "GET", path: "/rpc/add?a=3&b=4",
			hdr: exact, status: 200, wantBody: `7`, wantHdr: map[string]string{"Content-Range": "0-0/1"}},
		{name: "count composite", cite: "T:Query/RpcSpec.hs:101@v16.2", method: "GET", path: "/rpc/mkpt",
			hdr: exact, status: 200, wantBody: `{"x":1,"y":2}`, wantHdr: map[string]string{"Content-Range": "0-0/1"}},
		{name: "count set", cite: "T:Query/RpcSpec.hs:60@v16.2", method: "GET", path: "/rpc/set_rec?limit=1",
			hdr: exact, status: 206, wantHdr: map[string]string{"Content-Range": "0-0/2"}},
		{name: "count void", cite: "Response.hs actionResponse CallReadPlan@v16.2 (void: contentRange + prefs)", method: "POST", path: "/rpc/noop",
			hdr: map[string]string{"Prefer": "count=exact, handling=lenient", "Content-Type": "application/json"}, body: `{}`, status: 204,
			wantHdr: map[string]string{"Content-Range": "0-0/1", "Preference-Applied": "count=exact, handling=lenient", "Content-Type": ""}},
		{name: "no count without prefer", cite: "T:Query/RpcSpec.hs:101@v16.2", method: "GET", path: "/rpc/add?a=3&b=4",
			status: 200, wantHdr: map[string]string{"Content-Range": "0-0/*"}},
		// A domain over a composite type is that composite.
		{name: "composite domain", cite: "T:Query/RpcSpec.hs:458@v16.2", method: "POST", path: "/rpc/mkpt_dom",
			body: `{}`, status: 200, wantBody: `{"x":3,"y":4}`},
		// A bare record is called in a SELECT list (no column list needed).
		{name: "record", cite: "T:Query/RpcSpec.hs:486@v16.2", method: "POST", path: "/rpc/one_rec",
			status: 200, wantBody: `{"id":1,"name":"one"}`},
		{name: "record params", cite: "T:Query/RpcSpec.hs:486@v16.2", method: "POST", path: "/rpc/rec_params",
			body: `{"lo": 2, "pat": "t%"}`, status: 200, wantBody: `{"id":2,"name":"two"}`},
		{name: "setof record", cite: "T:Query/RpcSpec.hs:496@v16.2", method: "POST", path: "/rpc/set_rec",
			status: 200, wantBody: `[{"id":1,"name":"one"},{"id":2,"name":"two"}]`},
		// Any OUT/INOUT/TABLE parameter makes the result an object.
		{name: "single out", cite: "T:Query/RpcSpec.hs:673@v16.2", method: "GET", path: "/rpc/one_out?num=5",
			status: 200, wantBody: `{"plus_one":6}`},
		{name: "single inout", cite: "T:Query/RpcSpec.hs:682@v16.2", method: "GET", path: "/rpc/one_inout?num=2",
			status: 200, wantBody: `{"num":3}`},
		{name: "single column table", cite: "T:Query/RpcSpec.hs:698@v16.2", method: "GET", path: "/rpc/one_col_table",
			status: 200, wantBody: `[{"a":"A"}]`},
		// Form bodies bind like GET: repeated names fill the VARIADIC array.
		{name: "form variadic none", cite: "T:Query/RpcSpec.hs:731@v16.2", method: "POST", path: "/rpc/variadic_v",
			hdr: form, body: ``, status: 200, wantBody: `[]`},
		{name: "form variadic one", cite: "T:Query/RpcSpec.hs:731@v16.2", method: "POST", path: "/rpc/variadic_v",
			hdr: form, body: `v=hi`, status: 200, wantBody: `["hi"]`},
		{name: "form variadic many", cite: "T:Query/RpcSpec.hs:731@v16.2", method: "POST", path: "/rpc/variadic_v",
			hdr: form, body: `v=hi&v=there`, status: 200, wantBody: `["hi","there"]`},
		// MediaType.hs decodeMediaType@v16.2
		{name: "application/* is not json", cite: "MediaType.hs decodeMediaType@v16.2 (MTOther)", method: "GET", path: "/rpc/with_nulls",
			hdr: map[string]string{"Accept": "application/*"}, status: 406,
			wantBody: errBody("PGRST107", "None of these media types are available: application/*", nil, nil)},
		{name: "accept sorted by q", cite: "wai-extra parseHttpAccept", method: "GET", path: "/rpc/with_nulls?a=eq.2",
			hdr: map[string]string{"Accept": "application/json;q=0.5, application/vnd.pgrst.object+json"}, status: 200,
			wantBody: `{"a":2,"b":"x"}`},
	}
}

// testCustomReasonPhrase: RAISE SQLSTATE 'PGRST' with a status_text (and
// RAISE 'PTxyz') set the reason phrase (T:Query/RpcSpec.hs:1389,1403@v16.2).
func testCustomReasonPhrase(t *testing.T) {
	e := newEngine(t, `
grant usage on schema public to anon;
create function public.custom_status() returns void language plpgsql as $$
begin
  raise sqlstate 'PGRST' using message = '{"code":"123","message":"ABC"}',
    detail = '{"status":332,"status_text":"My Custom Status","headers":{"X-Header":"str"}}';
end $$;
create function public.std_status() returns void language plpgsql as $$
begin
  raise sqlstate 'PGRST' using message = '{"code":"123","message":"ABC"}', detail = '{"status":404,"headers":{}}';
end $$;
create function public.pt_status() returns void language plpgsql as $$
begin raise sqlstate 'PT418' using message = 'Short and stout'; end $$;
`, nil)
	for _, c := range []struct{ path, method, status string }{
		{"/rpc/custom_status", "GET", "332 My Custom Status"},
		{"/rpc/custom_status", "HEAD", "332 My Custom Status"},
		{"/rpc/std_status", "GET", "404 Not Found"},
		{"/rpc/pt_status", "POST", "418 Short and stout"},
	} {
		req, _ := http.NewRequest(c.method, e.url+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Status != c.status {
			t.Errorf("%s %s: status line %q, want %q", c.method, c.path, resp.Status, c.status)
		}
		if c.path == "/rpc/custom_status" {
			if resp.Header.Get("X-Header") != "str" || resp.Header.Get("Proxy-Status") != "PostgREST; error=123" {
				t.Errorf("headers %v", resp.Header)
			}
			if c.method == "GET" && !jsonEq(string(b), `{"code":"123","message":"ABC","details":null,"hint":null}`) {
				t.Errorf("body %s", b)
			}
		}
	}
	// the engine keeps serving after the taken-over connections
	if r := e.do("GET", "/rpc/std_status", nil, ""); r.status != 404 {
		t.Fatalf("status %d", r.status)
	}
}
