package postgrest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// rpcFixtureSQL exercises function shapes found in PostgREST's own fixture
// schema (OUT/INOUT/TABLE params, bare record, composite domains,
// VARIADIC), written here from scratch.
const rpcFixtureSQL = `
grant usage on schema public to anon;
create type public.pt as (x int, y int);
create domain public.pt_domain as public.pt;
create table public.proj (id int primary key, name text);
insert into public.proj values (1, 'one'), (2, 'two'), (3, 'three');
grant select on public.proj to anon;

create function public.add(a int, b int) returns int language sql as 'select a + b';
create function public.mkpt() returns public.pt language sql as 'select row(1, 2)::public.pt';
create function public.mkpt_dom() returns public.pt_domain language sql as 'select row(3, 4)::public.pt_domain';
create function public.one_rec() returns record language sql as 'select * from public.proj order by id limit 1';
create function public.rec_params(lo int, pat text) returns record language sql as
  'select * from public.proj p where p.id >= lo and p.name like pat order by id limit 1';
create function public.set_rec() returns setof record language sql as 'select * from public.proj order by id limit 2';
create function public.one_out(num int, out plus_one int) language sql as 'select num + 1';
create function public.one_inout(inout num int) language sql as 'select num + 1';
create function public.one_col_table() returns table (a text) language sql as $$ select 'A' $$;
create function public.variadic_v(variadic v text[] default '{}') returns text[] language sql as 'select v';
create table public.scratch (id int primary key);
insert into public.scratch select generate_series(1, 5);
grant select, delete on public.scratch to anon;
create function public.del_set() returns setof public.scratch language sql as 'delete from public.scratch returning *';
create function public.del_void() returns void language sql as 'delete from public.scratch';
create function public.noop() returns void language sql as '';
create function public.with_nulls() returns table (a int, b text) language sql as $$ values (1, null), (2, 'x') $$;
`

func TestRPCShapes(t *testing.T) {
	e := newEngine(t, rpcFixtureSQL, nil)
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	exact := map[string]string{"Prefer": "count=exact"}
	runCases(t, e, []tc{
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
		// MainTx.hs failExceedsMaxAffectedPref: the call is rolled back.
		{name: "max-affected exceeded", cite: "T:Query/Preferences/MaxAffectedSpec.hs:86@v16.2", method: "POST", path: "/rpc/del_set",
			hdr: map[string]string{"Prefer": "handling=strict, max-affected=4"}, status: 400,
			wantBody: errBody("PGRST124", "Query result exceeds max-affected preference constraint", "The query affects 5 rows", nil)},
		{name: "max-affected void", cite: "T:Query/Preferences/MaxAffectedSpec.hs:122@v16.2", method: "POST", path: "/rpc/del_void",
			hdr: map[string]string{"Prefer": "handling=strict, max-affected=20"}, status: 400,
			wantBody: errBody("PGRST128", "Function must return SETOF or TABLE when max-affected preference is used with handling=strict", nil, nil)},
		{name: "rows kept after rollback", cite: "MainTx.hs@v16.2 (condemn)", method: "GET", path: "/scratch?select=id&id=eq.5",
			status: 200, wantBody: `[{"id":5}]`},
		{name: "max-affected within", cite: "T:Query/Preferences/MaxAffectedSpec.hs:102@v16.2", method: "POST", path: "/rpc/del_set",
			hdr: map[string]string{"Prefer": "handling=strict, max-affected=5"}, status: 200, wantBody: `[{"id":1},{"id":2},{"id":3},{"id":4},{"id":5}]`,
			wantHdr: map[string]string{"Preference-Applied": "handling=strict, max-affected=5"}},
		{name: "max-affected lenient ignored", cite: "T:Query/Preferences/MaxAffectedSpec.hs:49@v16.2", method: "POST", path: "/rpc/del_set",
			hdr: map[string]string{"Prefer": "handling=lenient, max-affected=1"}, status: 200, wantBody: `[]`,
			wantHdr: map[string]string{"Preference-Applied": "handling=lenient"}},
		// MediaType.hs decodeMediaType, SqlFragment.hs asJsonF (strip).
		{name: "array nulls stripped", cite: "T:Query/NullsStripSpec.hs:13@v16.2", method: "GET", path: "/rpc/with_nulls",
			hdr: map[string]string{"Accept": "application/vnd.pgrst.array+json;nulls=stripped"}, status: 200,
			wantBody: `[{"a":1},{"a":2,"b":"x"}]`,
			wantHdr:  map[string]string{"Content-Type": "application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8"}},
		{name: "object nulls stripped", cite: "T:Query/NullsStripSpec.hs:52@v16.2", method: "GET", path: "/rpc/with_nulls?a=eq.1",
			hdr: map[string]string{"Accept": "application/vnd.pgrst.object+json;nulls=stripped"}, status: 200,
			wantBody: `{"a":1}`,
			wantHdr:  map[string]string{"Content-Type": "application/vnd.pgrst.object+json;nulls=stripped; charset=utf-8"}},
		{name: "array without strip is json", cite: "T:Query/NullsStripSpec.hs:110@v16.2", method: "GET", path: "/rpc/with_nulls?a=eq.1",
			hdr: map[string]string{"Accept": "application/vnd.pgrst.array+json"}, status: 200,
			wantBody: `[{"a":1,"b":null}]`, wantHdr: map[string]string{"Content-Type": "application/json; charset=utf-8"}},
		{name: "application/* is not json", cite: "MediaType.hs decodeMediaType@v16.2 (MTOther)", method: "GET", path: "/rpc/with_nulls",
			hdr: map[string]string{"Accept": "application/*"}, status: 406,
			wantBody: errBody("PGRST107", "None of these media types are available: application/*", nil, nil)},
		{name: "accept sorted by q", cite: "wai-extra parseHttpAccept", method: "GET", path: "/rpc/with_nulls?a=eq.2",
			hdr: map[string]string{"Accept": "application/json;q=0.5, application/vnd.pgrst.object+json"}, status: 200,
			wantBody: `{"a":2,"b":"x"}`},
		// Plan.hs callReadPlan: Accept is negotiated before handling=strict.
		{name: "406 before strict prefs", cite: "Plan.hs:229-231@v16.2", method: "GET", path: "/rpc/add?a=1&b=2",
			hdr: map[string]string{"Prefer": "handling=strict, bogus", "Accept": "audio/mpeg"}, status: 406},
	})
}

func TestCORSAndVerbosity(t *testing.T) {
	e := newEngine(t, fixtureSQL, nil)
	runCases(t, e, []tc{
		{name: "preflight", cite: "T:CorsSpec.hs:15@v16.2", method: "OPTIONS", path: "/",
			hdr: map[string]string{"Accept": "*/*", "Origin": "http://example.com",
				"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Foo,Bar"},
			status: 200, wantHdr: map[string]string{"Access-Control-Allow-Origin": "*",
				"Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD",
				"Access-Control-Allow-Headers": "Authorization, Foo, Bar, Accept, Accept-Language, Content-Language",
				"Access-Control-Max-Age":       "86400"}},
		{name: "preflight requesting a simple header once", cite: "wai-cors union", method: "OPTIONS", path: "/items",
			hdr: map[string]string{"Origin": "http://example.com", "Access-Control-Request-Method": "GET",
				"Access-Control-Request-Headers": "accept, x-y"},
			status: 200, wantHdr: map[string]string{"Access-Control-Allow-Headers": "Authorization, accept, x-y, Accept-Language, Content-Language"}},
		{name: "preflight with empty request headers", cite: "wai-cors (empty header list)", method: "OPTIONS", path: "/items",
			hdr:    map[string]string{"Origin": "http://example.com", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": ""},
			status: 200, wantHdr: map[string]string{"Access-Control-Allow-Headers": "Authorization, Accept, Accept-Language, Content-Language"}},
		{name: "preflight without request headers", cite: "wai-cors hdrRequestHeader", method: "OPTIONS", path: "/items",
			hdr:    map[string]string{"Origin": "http://example.com", "Access-Control-Request-Method": "DELETE"},
			status: 200, wantHdr: map[string]string{"Access-Control-Allow-Headers": "", "Access-Control-Allow-Origin": "*",
				"Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD"}},
		// An OPTIONS with Origin but no Access-Control-Request-Method is a
		// failed preflight: wai-cors ignores it and the app answers.
		{name: "postflight options", cite: "T:CorsSpec.hs:43@v16.2", method: "OPTIONS", path: "/items",
			hdr:    map[string]string{"Origin": "http://localhost:8000", "Accept": "text/csv, */*; q=0.01"},
			status: 200, wantHdr: map[string]string{"Access-Control-Allow-Origin": "*",
				"Allow": "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE", "Access-Control-Expose-Headers": "", "Access-Control-Allow-Methods": ""}},
	})
	m := newEngine(t, fixtureSQL, func(env map[string]string) { env["PGRST_CLIENT_ERROR_VERBOSITY"] = "minimal" })
	runCases(t, m, []tc{
		{name: "minimal", cite: "T:Query/ErrorSpec.hs:230@v16.2", method: "GET", path: "/itemsx", status: 404,
			check: func(t *testing.T, r result) {
				want := `{"code":"PGRST205","message":"Could not find the table 'public.itemsx' in the schema cache"}`
				if r.body != want {
					t.Errorf("body %s, want %s", r.body, want)
				}
			}},
	})
}

func TestMaxAffectedMutations(t *testing.T) {
	e := newEngine(t, fixtureSQL, nil)
	strict := func(n string) map[string]string {
		return map[string]string{"Prefer": "handling=strict, max-affected=" + n}
	}
	runCases(t, e, []tc{
		{name: "delete exceeds", cite: "T:Query/Preferences/MaxAffectedSpec.hs:14@v16.2", method: "DELETE", path: "/items?id=lt.3",
			hdr: strict("1"), status: 400,
			wantBody: errBody("PGRST124", "Query result exceeds max-affected preference constraint", "The query affects 2 rows", nil)},
		{name: "rolled back", cite: "MainTx.hs@v16.2 (condemn)", method: "GET", path: "/items?select=id&id=lt.3", status: 200,
			wantBody: `[{"id":1},{"id":2}]`},
		{name: "patch exceeds", cite: "T:Query/Preferences/MaxAffectedSpec.hs:31@v16.2", method: "PATCH", path: "/items?id=eq.1",
			hdr: strict("0"), body: `{"name":"x"}`, status: 400,
			wantBody: errBody("PGRST124", "Query result exceeds max-affected preference constraint", "The query affects 1 rows", nil)},
		{name: "delete within", cite: "T:Query/Preferences/MaxAffectedSpec.hs:22@v16.2", method: "DELETE", path: "/items?id=eq.3",
			hdr: strict("1"), status: 204, wantHdr: map[string]string{"Preference-Applied": "handling=strict, max-affected=1"}},
		{name: "lenient", cite: "T:Query/Preferences/MaxAffectedSpec.hs:49@v16.2", method: "DELETE", path: "/items?id=lt.3",
			hdr: map[string]string{"Prefer": "handling=lenient, max-affected=0"}, status: 204,
			wantHdr: map[string]string{"Preference-Applied": "handling=lenient"}},
	})
}

// T:Auth/AsymmetricJwtSpec.hs@v16.2: jwt-secret given as a JWKS.
func TestJWKSSecret(t *testing.T) {
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
	e := newEngine(t, fixtureSQL, func(env map[string]string) {
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

// T:Query/RpcSpec.hs:1380,1396@v16.2: RAISE SQLSTATE 'PGRST' with a
// status_text (and RAISE 'PTxyz') set the reason phrase.
func TestCustomReasonPhrase(t *testing.T) {
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

// T:Auth/JwtCacheSpec.hs, T:Query/ServerTimingSpec.hs@v16.2:
// server-timing-enabled adds jwt, parse, plan, transaction and response
// durations (ms) to successful responses.
func TestServerTiming(t *testing.T) {
	e := newEngine(t, fixtureSQL, func(env map[string]string) { env["PGRST_SERVER_TIMING_ENABLED"] = "true" })
	re := regexp.MustCompile(`^jwt;dur=\d+\.\d, parse;dur=\d+\.\d, plan;dur=\d+\.\d, transaction;dur=\d+\.\d, response;dur=\d+\.\d$`)
	user := bearer(t, map[string]any{"role": "basic_subscriber", "username": "alice"})
	for _, c := range []struct {
		method, path, body string
		hdr                map[string]string
		status             int
	}{
		{"GET", "/items?id=eq.1", "", nil, 200},
		{"GET", "/task", "", user, 200},
		{"GET", "/task", "", user, 200}, // cached JWT
		{"POST", "/items", `{"id":9,"name":"nine"}`, nil, 201},
		{"DELETE", "/items?id=eq.9", "", nil, 204},
		{"POST", "/rpc/login", `{"user_":"x","pass":"secret"}`, map[string]string{"Content-Profile": "auth"}, 204},
		{"OPTIONS", "/items", "", nil, 200},
		{"HEAD", "/", "", nil, 200},
	} {
		r := e.do(c.method, c.path, c.hdr, c.body)
		if r.status != c.status {
			t.Fatalf("%s %s: status %d, want %d: %s", c.method, c.path, r.status, c.status, r.body)
		}
		if st := r.header.Get("Server-Timing"); !re.MatchString(st) {
			t.Errorf("%s %s: Server-Timing %q", c.method, c.path, st)
		}
	}
	// errors carry no Server-Timing (App.hs handleError)
	if r := e.do("GET", "/nope", nil, ""); r.status != 404 || r.header.Get("Server-Timing") != "" {
		t.Errorf("error response: %d %q", r.status, r.header.Get("Server-Timing"))
	}
	// off by default
	d := newEngine(t, fixtureSQL, nil)
	if r := d.do("GET", "/items", nil, ""); r.status != 200 || r.header.Get("Server-Timing") != "" {
		t.Errorf("default: %d %q", r.status, r.header.Get("Server-Timing"))
	}
}

// T:Query/NullsStripSpec.hs@v16.2 on tables: reads and representations.
func TestNullsStripTables(t *testing.T) {
	e := newEngine(t, `
grant usage on schema public to anon;
create table public.orgs (id int primary key, name text, referee int);
insert into public.orgs values (1, 'a', null), (2, 'b', 1);
grant select, insert, update on public.orgs to anon;
`, nil)
	arr := map[string]string{"Accept": "application/vnd.pgrst.array+json;nulls=stripped"}
	obj := map[string]string{"Accept": "application/vnd.pgrst.object+json;nulls=stripped"}
	arrCT := map[string]string{"Content-Type": "application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8"}
	runCases(t, e, []tc{
		{name: "array", cite: "T:Query/NullsStripSpec.hs:13@v16.2", method: "GET", path: "/orgs?order=id", hdr: arr, status: 200,
			wantBody: `[{"id":1,"name":"a"},{"id":2,"name":"b","referee":1}]`, wantHdr: arrCT},
		{name: "array short form", cite: "T:Query/NullsStripSpec.hs:43@v16.2", method: "GET", path: "/orgs?order=id",
			hdr: map[string]string{"Accept": "application/vnd.pgrst.array;nulls=stripped"}, status: 200,
			wantBody: `[{"id":1,"name":"a"},{"id":2,"name":"b","referee":1}]`, wantHdr: arrCT},
		{name: "object", cite: "T:Query/NullsStripSpec.hs:52@v16.2", method: "GET", path: "/orgs?id=eq.1", hdr: obj, status: 200,
			wantBody: `{"id":1,"name":"a"}`,
			wantHdr:  map[string]string{"Content-Type": "application/vnd.pgrst.object+json;nulls=stripped; charset=utf-8"}},
		{name: "object many", cite: "T:Query/NullsStripSpec.hs:61@v16.2", method: "GET", path: "/orgs", hdr: obj, status: 406,
			wantBody: errBody("PGRST116", "Cannot coerce the result to a single JSON object", "The result contains 2 rows", nil)},
		{name: "insert representation", cite: "T:Query/NullsStripSpec.hs:23@v16.2", method: "POST", path: "/orgs?select=*",
			hdr: merge(arr, map[string]string{"Prefer": "return=representation"}), body: `{"id":3,"name":"c","referee":null}`,
			status: 201, wantBody: `[{"id":3,"name":"c"}]`, wantHdr: arrCT},
		{name: "patch representation", cite: "T:Query/NullsStripSpec.hs:32@v16.2", method: "PATCH", path: "/orgs?id=eq.2&select=id,referee",
			hdr: merge(arr, map[string]string{"Prefer": "return=representation"}), body: `{"referee":null}`,
			status: 200, wantBody: `[{"id":2}]`, wantHdr: arrCT},
		{name: "array without strip", cite: "T:Query/NullsStripSpec.hs:110@v16.2", method: "GET", path: "/orgs?id=eq.1",
			hdr: map[string]string{"Accept": "application/vnd.pgrst.array+json"}, status: 200,
			wantBody: `[{"id":1,"name":"a","referee":null}]`, wantHdr: map[string]string{"Content-Type": "application/json; charset=utf-8"}},
	})
}

// Plan.hs inspectPlan@v16.2: the root accepts openapi+json, JSON or */*
// anywhere in Accept; singular and nulls=stripped are 406.
func TestRootAccept(t *testing.T) {
	e := newEngine(t, fixtureSQL, nil)
	for accept, want := range map[string]int{
		"application/vnd.pgrst.array+json;nulls=stripped":                           406,
		"application/vnd.pgrst.array+json;nulls=stripped, application/openapi+json": 200,
		"application/vnd.pgrst.object+json":                                         406,
		"application/vnd.pgrst.array+json":                                          200,
		"text/csv;q=0.9, application/json;q=0.1":                                    200,
	} {
		if r := e.do("HEAD", "/", map[string]string{"Accept": accept}, ""); r.status != want {
			t.Errorf("Accept %q: %d, want %d", accept, r.status, want)
		}
	}
}
