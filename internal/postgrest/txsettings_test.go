package postgrest

import (
	"encoding/json"
	"testing"
)

// TestTransactionSettings: the transaction a request runs in, as PostgREST
// v16.2 sets it up — the access mode (Plan.hs:200-228), the isolation
// level and retries (MainTx.hs), and the transaction-scoped settings
// (Query/PreQuery.hs:36-62) that functions read.
func TestTransactionSettings(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, txSettingsCases)
}

func txSettingsCases(t *testing.T, e *engine) []tc {
	return []tc{
		// GET is READ ONLY, not refused: a volatile function that does not
		// write works (the stack's login).
		{name: "login via GET read only works", cite: "Plan.hs:200-228@v16.2", method: "GET", path: "/rpc/login?user_=alice&pass=secret",
			hdr: map[string]string{"Accept-Profile": "auth"}, status: 204},
		{name: "POST volatile writer", cite: "Plan.hs:200-228@v16.2 (volatile: READ WRITE)", method: "POST", path: "/rpc/writer", status: 200, wantBody: "100"},
		// A function's SET default_transaction_isolation wins.
		{name: "function isolation wins", cite: "MainTx.hs:105-110@v16.2", method: "POST", path: "/rpc/iso_fn", status: 200, wantBody: `"serializable"`},
		// v16 runs the transaction without retries (transactionNoRetry).
		{name: "40001 is 500 in v16", cite: "MainTx.hs:89@v16.2", method: "POST", path: "/rpc/ser_fail", status: 500,
			contains: []string{`"code":"40001"`}},
		{name: "gucs anonymous", cite: "Query/PreQuery.hs:36-62@v16.2, T:Query/RpcSpec.hs:871-938@v16.2", method: "POST", path: "/rpc/gucs",
			hdr: map[string]string{"Cookie": "refresh_token=abc; other=1", "X-Custom": "v"}, status: 200, check: checkAnonymousGUCs},
		{name: "gucs GET read only", cite: "Plan.hs:200-228@v16.2, Query/PreQuery.hs:36-62@v16.2", method: "GET", path: "/rpc/gucs", hdr: aliceToken(t), status: 200,
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
		// search_path: the selected schema, then db-extra-search-path.
		{name: "auth search_path", cite: "Query/PreQuery.hs:36-62@v16.2", method: "GET", path: "/rpc/gucs_auth", hdr: map[string]string{"Accept-Profile": "auth"}, status: 200,
			wantBody: `"\"auth\", \"public\""`, wantHdr: map[string]string{"Content-Profile": "auth"}},
	}
}

// checkAnonymousGUCs checks what public.gucs() read in an anonymous POST
// with two cookies and a custom header.
func checkAnonymousGUCs(t *testing.T, r result) {
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
}
