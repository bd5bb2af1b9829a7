package postgrest

import "testing"

// TestSpecMultipleSchema replays PostgREST v16.2's MultipleSchemaSpec
// (test/spec/Feature/Query/MultipleSchemaSpec.hs) on the fixture's two
// exposed schemas, public and auth: which profile header selects the schema
// (ApiRequest.hs:156-172@v16.2), unknown schemas, no fallback.
func TestSpecMultipleSchema(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, multipleSchemaCases)
}

func multipleSchemaCases(t *testing.T, e *engine) []tc {
	return []tc{
		{name: "unknown profile", cite: "T:Query/MultipleSchemaSpec.hs:77@v16.2", method: "GET", path: "/items",
			hdr: map[string]string{"Accept-Profile": "Auth"}, status: 406,
			wantBody: errBody("PGRST106", "Invalid schema: Auth", nil, "Only the following schemas are exposed: public, auth"),
			wantHdr:  map[string]string{"Content-Profile": ""}},
		// ApiRequest.hs:76-100@v16.2: the schema is checked before the body.
		{name: "unknown profile beats bad body", cite: "T:Query/MultipleSchemaSpec.hs:152@v16.2, ApiRequest.hs:76-100@v16.2", method: "POST", path: "/rpc/login",
			hdr: map[string]string{"Content-Profile": "nope"}, body: "{bad", status: 406,
			wantBody: errBody("PGRST106", "Invalid schema: nope", nil, "Only the following schemas are exposed: public, auth")},
		// POST reads Content-Profile only: login is looked up in public.
		{name: "post ignores accept-profile", cite: "T:Query/MultipleSchemaSpec.hs:207@v16.2, ApiRequest.hs:164-172@v16.2", method: "POST", path: "/rpc/login",
			hdr: map[string]string{"Accept-Profile": "auth"}, body: `{"user_":"a","pass":"secret"}`, status: 404,
			contains: []string{`"code":"PGRST202"`, "public.login(pass, user_)"}},
		{name: "no fallback between schemas", cite: "T:Query/MultipleSchemaSpec.hs:68@v16.2", method: "GET", path: "/task",
			hdr: map[string]string{"Accept-Profile": "auth"}, status: 404,
			wantBody: errBody("PGRST205", "Could not find the table 'auth.task' in the schema cache", nil, nil)},
	}
}
