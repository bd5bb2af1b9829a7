package postgrest

import "testing"

// TestErrorStatuses: statuses and bodies of errors that PostgREST v16.2's
// specs do not pin, from its sources: SQLSTATE → HTTP (Error.hs:545-597),
// 401 or 403 by whether the role is the anon role (App.hs:239), errors of
// the request and the plan, and what an error drops. The specs' error
// cases are in spec_error_test.go.
func TestErrorStatuses(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, errorStatusCases)
}

func errorStatusCases(t *testing.T, e *engine) []tc {
	user := aliceToken(t)
	return []tc{
		{name: "unsupported method", cite: "ApiRequest.hs:130-151@v16.2", method: "TRACE", path: "/items", status: 405,
			wantBody: errBody("PGRST117", "Unsupported HTTP method: TRACE", nil, nil)},
		// Any SQLSTATE without a row of its own is a 400.
		{name: "bad value 22P02", cite: "Error.hs:545-597@v16.2", method: "GET", path: "/items?id=eq.abc", status: 400,
			contains: []string{`"code":"22P02"`, `invalid input syntax for type integer: \"abc\"`}},
		// A token whose role is the anon role is anonymous: 401.
		{name: "function permission anon-role token 401", cite: "App.hs:239@v16.2", method: "POST", path: "/rpc/secret_fn",
			hdr: bearer(t, map[string]any{"role": "anon"}), status: 401},
		{name: "anon insert denied", cite: "App.hs:239@v16.2, Error.hs@v16.2 (42501)", method: "POST", path: "/readonly_items", body: `{"id":1}`, status: 401,
			wantBody: errBody("42501", "permission denied for table readonly_items", nil, nil), wantHdr: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "user insert RLS violation", cite: "App.hs:239@v16.2, Error.hs@v16.2 (42501)", method: "POST", path: "/task", hdr: user,
			body: `{"title":"x","owner":"bob"}`, status: 403,
			contains: []string{`new row violates row-level security policy for table \"task\"`}},
		// The response GUCs die with the failed transaction.
		{name: "headers dropped on error", cite: "MainTx.hs@v16.2 (rollback), Response.hs:235-268@v16.2", method: "POST", path: "/rpc/cookie_then_fail", status: 400,
			wantHdr: map[string]string{"Set-Cookie": ""}},
		{name: "embedding PGRST200", cite: "Error.hs NoRelBetween@v16.2", method: "GET", path: "/items?select=id,task(*)", status: 400,
			contains: []string{`"code":"PGRST200"`, "Could not find a relationship between 'items' and 'task' in the schema cache"}},
		{name: "aggregates PGRST123", cite: "Error.hs@v16.2 (db-aggregates-enabled=false)", method: "GET", path: "/items?select=id.sum()", status: 400,
			contains: []string{`"code":"PGRST123"`}},
	}
}
