package postgrest

import (
	"strings"
	"testing"
)

// Configuration options observed over HTTP (docs references/configuration.rst@v16.2).
func TestConfigVariants(t *testing.T) {
	pre := fixtureSQL + `
create function public.pre() returns void language plpgsql as $$ begin
  if current_setting('request.headers', true)::json->>'x-block' = 'yes' then
    raise sqlstate 'PT403' using message = 'blocked by pre-request';
  end if;
  perform set_config('response.headers', '[{"X-Pre":"ran"}]', true);
end $$;`
	t.Run("db-pre-request", func(t *testing.T) {
		e := newEngine(t, pre, func(env map[string]string) { env["PGRST_DB_PRE_REQUEST"] = "public.pre" })
		runCases(t, e, []tc{
			{name: "runs and sets headers", cite: "T:Feature/RpcPreRequestGucsSpec.hs", method: "GET", path: "/items?id=eq.1", status: 200,
				wantHdr: map[string]string{"X-Pre": "ran"}},
			{name: "can reject", cite: "Query/PreQuery.hs@v16.2", method: "GET", path: "/items", hdr: map[string]string{"X-Block": "yes"}, status: 403,
				wantBody: errBody("PT403", "blocked by pre-request", nil, nil), wantHdr: map[string]string{"X-Pre": ""}},
			{name: "function overrides pre-request headers", cite: "spec §6.1", method: "POST", path: "/rpc/login",
				hdr: map[string]string{"Content-Profile": "auth"}, body: `{"user_":"a","pass":"secret"}`, status: 204,
				wantHdr: map[string]string{"X-Pre": ""}},
		})
	})
	t.Run("db-max-rows", func(t *testing.T) {
		e := newEngine(t, fixtureSQL, func(env map[string]string) { env["PGRST_DB_MAX_ROWS"] = "2" })
		runCases(t, e, []tc{
			{name: "caps reads", cite: "docs configuration.rst db-max-rows", method: "GET", path: "/items?order=id&select=id", status: 200,
				wantBody: `[{"id":1},{"id":2}]`, wantHdr: map[string]string{"Content-Range": "0-1/*"}},
			{name: "caps with count", cite: "docs configuration.rst db-max-rows", method: "GET", path: "/items?order=id&select=id",
				hdr: map[string]string{"Prefer": "count=exact"}, status: 206, wantHdr: map[string]string{"Content-Range": "0-1/3"}},
		})
	})
	t.Run("no anon role", func(t *testing.T) {
		e := newEngine(t, fixtureSQL, func(env map[string]string) { delete(env, "PGRST_DB_ANON_ROLE") })
		runCases(t, e, []tc{
			{name: "anonymous 401 PGRST302", cite: "T:Auth/NoAnonSpec.hs:24", method: "GET", path: "/items", status: 401,
				wantBody: errBody("PGRST302", "Anonymous access is disabled", nil, nil), wantHdr: map[string]string{"WWW-Authenticate": "Bearer"}},
			{name: "token role works", cite: "T:Auth/NoAnonSpec.hs", method: "GET", path: "/items?id=eq.1", hdr: bearer(t, map[string]any{"role": "basic_subscriber"}),
				status: 200},
			{name: "everyone is authenticated: 403", cite: "spec §7.3", method: "POST", path: "/rpc/secret_fn", hdr: bearer(t, map[string]any{"role": "anon"}),
				status: 403},
		})
	})
	t.Run("no jwt secret", func(t *testing.T) {
		e := newEngine(t, fixtureSQL, func(env map[string]string) { delete(env, "PGRST_JWT_SECRET") })
		runCases(t, e, []tc{
			{name: "token 500 PGRST300", cite: "spec §3.7", method: "GET", path: "/items", hdr: bearer(t, map[string]any{"role": "anon"}), status: 500,
				wantBody: errBody("PGRST300", "Server lacks JWT secret", nil, nil), wantHdr: map[string]string{"WWW-Authenticate": ""}},
			{name: "no token proceeds as anon", cite: "spec §3.7", method: "GET", path: "/items?id=eq.1", status: 200},
		})
	})
	t.Run("jwt-aud and role claim key", func(t *testing.T) {
		e := newEngine(t, fixtureSQL, func(env map[string]string) {
			env["PGRST_JWT_AUD"] = "api"
			env["PGRST_JWT_ROLE_CLAIM_KEY"] = `$."https://example.test/claims".roles[0]`
		})
		nested := func(aud any) map[string]string {
			return bearer(t, map[string]any{"aud": aud, "https://example.test/claims": map[string]any{"roles": []any{"basic_subscriber"}}})
		}
		runCases(t, e, []tc{
			{name: "aud matches", cite: "T:Auth/AudienceJwtSecretSpec.hs", method: "POST", path: "/rpc/gucs", hdr: nested("api"), status: 200,
				contains: []string{`"role":"basic_subscriber"`}},
			{name: "aud mismatch", cite: "T:Auth/AudienceJwtSecretSpec.hs", method: "POST", path: "/rpc/gucs", hdr: nested([]any{"other"}), status: 401,
				wantBody: errBody("PGRST303", "JWT not in audience", nil, nil)},
		})
	})
	t.Run("extra search path", func(t *testing.T) {
		e := newEngine(t, fixtureSQL, func(env map[string]string) { env["PGRST_DB_EXTRA_SEARCH_PATH"] = "public, extensions" })
		r := e.do("POST", "/rpc/gucs", nil, "")
		if !strings.Contains(r.body, `"search_path" : "\"public\", \"public\", \"extensions\""`) {
			t.Fatalf("search_path: %s", r.body)
		}
	})
}
