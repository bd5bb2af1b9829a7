package postgrest

import "testing"

// TestSpecRpcPreRequestGucs replays PostgREST v16.2's
// RpcPreRequestGucsSpec (test/spec/Feature/RpcPreRequestGucsSpec.hs):
// db-pre-request runs before the main statement, can set response
// headers and can reject the request.
func TestSpecRpcPreRequestGucs(t *testing.T) {
	t.Parallel()
	pre := fixtureSQL + `
create function public.pre() returns void language plpgsql as $$ begin
  if current_setting('request.headers', true)::json->>'x-block' = 'yes' then
    raise sqlstate 'PT403' using message = 'blocked by pre-request';
  end if;
  perform set_config('response.headers', '[{"X-Pre":"ran"}]', true);
end $$;`
	e := newEngine(t, pre, func(env map[string]string) { env["PGRST_DB_PRE_REQUEST"] = "public.pre" })
	runCases(t, e, []tc{
		{name: "runs and sets headers", cite: "T:RpcPreRequestGucsSpec.hs:27@v16.2", method: "GET", path: "/items?id=eq.1", status: 200,
			wantHdr: map[string]string{"X-Pre": "ran"}},
		{name: "can reject", cite: "Query/PreQuery.hs:65-66@v16.2", method: "GET", path: "/items", hdr: map[string]string{"X-Block": "yes"}, status: 403,
			wantBody: errBody("PT403", "blocked by pre-request", nil, nil), wantHdr: map[string]string{"X-Pre": ""}},
		{name: "function overrides pre-request headers", cite: "T:RpcPreRequestGucsSpec.hs:84@v16.2 (the function's response.headers replace the whole value)", method: "POST", path: "/rpc/login",
			hdr: map[string]string{"Content-Profile": "auth"}, body: `{"user_":"a","pass":"secret"}`, status: 204,
			wantHdr: map[string]string{"X-Pre": ""}},
	})
}
