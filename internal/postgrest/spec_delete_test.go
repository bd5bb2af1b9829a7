package postgrest

import "testing"

// TestSpecDelete replays PostgREST v16.2's DeleteSpec
// (test/spec/Feature/Query/DeleteSpec.hs) on the project's fixture.
func TestSpecDelete(t *testing.T) {
	t.Parallel()
	runBothModes(t, fixtureSQL, nil, deleteSpecCases)
}

func deleteSpecCases(t *testing.T, e *engine) []tc {
	return []tc{
		{name: "delete", cite: "T:Query/DeleteSpec.hs:15@v16.2", method: "DELETE", path: "/items?id=eq.3", status: 204, wantHdr: map[string]string{"Content-Range": "*/*"},
			check: func(t *testing.T, r result) {
				if got := e.do("GET", "/items?id=eq.3", nil, ""); got.body != "[]" {
					t.Errorf("row not deleted: %s", got.body)
				}
			}},
		{name: "delete representation count", cite: "T:Query/DeleteSpec.hs:27@v16.2", method: "DELETE", path: "/items?id=eq.2",
			hdr: map[string]string{"Prefer": "return=representation, count=exact"}, status: 200, wantBody: `[{"id":2,"name":"two"}]`,
			wantHdr: map[string]string{"Content-Range": "*/1", "Preference-Applied": "return=representation, count=exact"}},
		{name: "DELETE representation follows order=", cite: "T:Query/DeleteSpec.hs:160@v16.2 (read plan over pgrst_source)",
			method: "DELETE", path: "/nopk?order=a.asc.nullsfirst", hdr: map[string]string{"Prefer": "return=representation"},
			status: 200, wantBody: `[{"a":null,"b":"0"},{"a":"1","b":"0"},{"a":"2","b":"0"}]`},
		{name: "delete returns only the selected and key columns", cite: "T:Query/DeleteSpec.hs:122@v16.2",
			method: "DELETE", path: "/stars?a=eq.1&select=id,a", hdr: map[string]string{"Prefer": "return=representation"},
			status: 200, wantBody: `[{"id":1,"a":1}]`},
	}
}
