package postgrest

import "testing"

// TestSpecUpsert replays PostgREST v16.2's UpsertSpec
// (test/spec/Feature/Query/UpsertSpec.hs) on the project's fixture: POST
// with Prefer: resolution=, and PUT (a single row by its primary key).
func TestSpecUpsert(t *testing.T) {
	t.Parallel()
	runBothModes(t, fixtureSQL, nil, upsertSpecCases)
}

func upsertSpecCases(t *testing.T, e *engine) []tc {
	return []tc{
		{name: "upsert merge existing 200", cite: "T:Query/UpsertSpec.hs:34@v16.2", method: "POST", path: "/items",
			hdr:  map[string]string{"Prefer": "resolution=merge-duplicates, return=representation"},
			body: `[{"id":1,"name":"one"},{"id":3,"name":"three"}]`, status: 200, wantBody: `[{"id":1,"name":"one"},{"id":3,"name":"three"}]`,
			wantHdr: map[string]string{"Preference-Applied": "resolution=merge-duplicates, return=representation"}},
		{name: "upsert merge new 201", cite: "T:Query/UpsertSpec.hs:19@v16.2", method: "POST", path: "/items",
			hdr:  map[string]string{"Prefer": "resolution=merge-duplicates"},
			body: `[{"id":3,"name":"three"},{"id":30,"name":"thirty"}]`, status: 201},
		{name: "upsert ignore", cite: "T:Query/UpsertSpec.hs:165@v16.2", method: "POST", path: "/items",
			hdr:  map[string]string{"Prefer": "resolution=ignore-duplicates, return=representation"},
			body: `[{"id":3,"name":"CHANGED"},{"id":31,"name":"thirty-one"}]`, status: 201, wantBody: `[{"id":31,"name":"thirty-one"}]`},
		{name: "merge-duplicates with an empty array is 200, resolution applied", cite: "T:Query/UpsertSpec.hs:76@v16.2",
			method: "POST", path: "/docs", hdr: map[string]string{"Prefer": "return=representation, resolution=merge-duplicates"},
			body: `[]`, status: 200, wantBody: `[]`,
			wantHdr: map[string]string{"Preference-Applied": "resolution=merge-duplicates, return=representation"}},
		{name: "merge-duplicates without a key is a plain insert", cite: "T:Query/UpsertSpec.hs:156@v16.2",
			method: "POST", path: "/nopk", hdr: map[string]string{"Prefer": "return=representation, resolution=merge-duplicates"},
			body: `[{"a":"9","b":"9"}]`, status: 201, wantBody: `[{"a":"9","b":"9"}]`,
			wantHdr: map[string]string{"Preference-Applied": "return=representation"}},
		{name: "put insert 201", cite: "T:Query/UpsertSpec.hs:362@v16.2", method: "PUT", path: "/items?id=eq.40",
			hdr: map[string]string{"Prefer": "return=representation"}, body: `{"id":40,"name":"forty"}`, status: 201, wantBody: `[{"id":40,"name":"forty"}]`},
		{name: "put update 200", cite: "T:Query/UpsertSpec.hs:415@v16.2", method: "PUT", path: "/items?id=eq.40",
			hdr: map[string]string{"Prefer": "return=representation"}, body: `{"id":40,"name":"FORTY"}`, status: 200, wantBody: `[{"id":40,"name":"FORTY"}]`},
		{name: "put minimal 204", cite: "T:Query/UpsertSpec.hs:543@v16.2, Response.hs MutationSingleUpsert@v16.2", method: "PUT", path: "/items?id=eq.40", body: `{"id":40,"name":"x"}`, status: 204,
			wantHdr: map[string]string{"Content-Type": ""}},
		// MainTx.hs failPut@v16.2: checked after the statement, rolled back
		{name: "put pk mismatch", cite: "T:Query/UpsertSpec.hs:344@v16.2", method: "PUT", path: "/items?id=eq.41", body: `{"id":42,"name":"x"}`, status: 400,
			wantBody: errBody("PGRST115", "Payload values do not match URL in primary key column(s)", nil, nil),
			check: func(t *testing.T, r result) {
				if got := e.do("GET", "/items?id=in.(41,42)", nil, ""); got.body != "[]" {
					t.Errorf("PGRST115 did not roll back: %s", got.body)
				}
			}},
		{name: "put without pk filter", cite: "T:Query/UpsertSpec.hs:309@v16.2 (Plan.hs PGRST105)", method: "PUT", path: "/items?name=eq.x", body: `{"id":43}`, status: 405,
			wantBody: errBody("PGRST105", "Filters must include all and only primary key columns with 'eq' operators", nil, nil)},
	}
}
