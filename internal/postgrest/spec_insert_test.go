package postgrest

import "testing"

// TestSpecInsert replays PostgREST v16.2's InsertSpec
// (test/spec/Feature/Query/InsertSpec.hs) on the project's fixture:
// statuses and headers of POST by Prefer: return=, Location, bulk
// inserts, ?columns= and missing=default, column privileges. CSV bodies
// are in spec_insert_csv_test.go, embedding in a representation in
// spec_embed_mutations_test.go.
func TestSpecInsert(t *testing.T) {
	t.Parallel()
	runBothModes(t, fixtureSQL, nil, insertSpecCases)
}

func insertSpecCases(t *testing.T, e *engine) []tc {
	user := aliceToken(t)
	return []tc{
		{name: "insert minimal", cite: "T:Query/InsertSpec.hs:157@v16.2, Response.hs:85-118@v16.2", method: "POST", path: "/items", body: `{"id":10,"name":"ten"}`, status: 201,
			wantHdr: map[string]string{"Content-Type": "", "Location": "", "Content-Range": "*/*", "Content-Length": "0", "Content-Profile": ""}},
		{name: "insert representation", cite: "T:Query/InsertSpec.hs:33@v16.2", method: "POST", path: "/items?select=name", body: `{"id":11,"name":"eleven"}`,
			hdr: map[string]string{"Prefer": "return=representation"}, status: 201, wantBody: `[{"name":"eleven"}]`,
			wantHdr: map[string]string{"Preference-Applied": "return=representation", "Content-Type": jsonCT}},
		{name: "insert headers-only location", cite: "T:Query/InsertSpec.hs:127@v16.2", method: "POST", path: "/items", body: `{"id":12,"name":"twelve"}`,
			hdr: map[string]string{"Prefer": "return=headers-only"}, status: 201,
			wantHdr: map[string]string{"Location": "/items?id=eq.12", "Preference-Applied": "return=headers-only"}},
		{name: "bulk insert count", cite: "T:Query/InsertSpec.hs:269@v16.2", method: "POST", path: "/items", body: `[{"id":13,"name":"a"},{"id":14,"name":"b"}]`,
			hdr: map[string]string{"Prefer": "count=exact"}, status: 201, wantHdr: map[string]string{"Content-Range": "*/2"}},
		{name: "insert empty array", cite: "T:Query/InsertSpec.hs:239@v16.2", method: "POST", path: "/wlog", body: `[]`,
			hdr: map[string]string{"Prefer": "return=representation"}, status: 201, wantBody: `[]`},
		{name: "insert text/plain not acceptable", cite: "ApiRequest/Payload.hs:73@v16.2", method: "POST", path: "/items", body: `x`,
			hdr: map[string]string{"Content-Type": "text/plain"}, status: 400,
			wantBody: errBody("PGRST102", "Content-Type not acceptable: text/plain", nil, nil)},
		{name: "insert unknown column", cite: "T:Query/InsertSpec.hs:466@v16.2", method: "POST", path: "/items", body: `{"id":15,"nope":1}`, status: 400,
			wantBody: errBody("PGRST204", "Could not find the 'nope' column of 'items' in the schema cache", nil, nil)},
		{name: "insert duplicate 409", cite: "T:Query/InsertSpec.hs:313@v16.2", method: "POST", path: "/items", body: `{"id":1,"name":"dup"}`, status: 409,
			contains: []string{`"code":"23505"`, "Key (id)=(1) already exists."}},
		// the owner column defaults from request.jwt.claims; the policy is
		// PostgreSQL's
		{name: "user insert through RLS", cite: "Query/PreQuery.hs:36-62@v16.2", method: "POST", path: "/task", hdr: merge(user, map[string]string{"Prefer": "return=representation"}),
			body: `{"title":"new"}`, status: 201, contains: []string{`"owner":"alice"`, `"title":"new"`}},
		{name: "missing=default fills column and domain defaults", cite: "T:Query/InsertSpec.hs:497,562@v16.2",
			method: "POST", path: "/defs?columns=id,name,n,tags", hdr: map[string]string{"Prefer": "return=representation, missing=default"},
			body: `[{"tags":[1]},{"id":5,"name":null,"n":6}]`, status: 201,
			wantBody: `[{"id":666,"name":"Default","n":1,"tags":[1]},{"id":5,"name":null,"n":6,"tags":null}]`,
			wantHdr:  map[string]string{"Preference-Applied": "missing=default, return=representation"}},
		{name: "without missing=default absent keys are null", cite: "T:Query/InsertSpec.hs:490@v16.2",
			method: "POST", path: "/defs?columns=id,name", hdr: map[string]string{"Prefer": "return=representation"},
			body: `{"id":7}`, status: 201, wantBody: `[{"id":7,"name":null,"n":1,"tags":null}]`},
		{name: "insert returns only the selected and key columns", cite: "T:Query/InsertSpec.hs:707@v16.2 (Plan.hs inferColsEmbedNeeds)",
			method: "POST", path: "/stars?select=a,b", hdr: map[string]string{"Prefer": "return=representation"},
			body: `{"a":5,"b":6}`, status: 201, wantBody: `[{"a":5,"b":6}]`},
		{name: "insert with select=* needs every column", cite: "T:Query/InsertSpec.hs:723@v16.2",
			method: "POST", path: "/stars", hdr: map[string]string{"Prefer": "return=representation"},
			body: `{"a":7,"b":8}`, status: 401,
			wantBody: errBody("42501", "permission denied for table stars", nil, nil)},
		{name: "headers-only keeps the key for Location", cite: "T:Query/InsertSpec.hs:127@v16.2",
			method: "POST", path: "/stars?select=a", hdr: map[string]string{"Prefer": "return=headers-only"},
			body: `{"a":9,"b":9}`, status: 201, wantHdr: map[string]string{"Location": "/stars?id=eq.4"}},
		{name: "Location keeps bigint digits", cite: "SqlFragment.hs locationF@v16.2 (json_each_text)",
			method: "POST", path: "/big", hdr: map[string]string{"Prefer": "return=headers-only"},
			body: `{"id":9007199254740993}`, status: 201,
			wantHdr: map[string]string{"Location": "/big?id=eq.9007199254740993"}},
	}
}
