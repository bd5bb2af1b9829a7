package postgrest

import "testing"

// TestSpecSingular replays PostgREST v16.2's SingularSpec
// (test/spec/Feature/Query/SingularSpec.hs) on the project's fixture:
// application/vnd.pgrst.object+json, 406 PGRST116 on other than one row,
// and the rollback of a write that fails it (MainTx.hs@v16.2).
func TestSpecSingular(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, func(t *testing.T, e *engine) []tc {
		return []tc{
			{name: "singular object", cite: "T:Query/SingularSpec.hs:23@v16.2", method: "GET", path: "/items?id=eq.1",
				hdr: map[string]string{"Accept": "application/vnd.pgrst.object+json"}, status: 200, wantBody: `{"id":1,"name":"one"}`,
				wantHdr: map[string]string{"Content-Type": "application/vnd.pgrst.object+json; charset=utf-8"}},
			{name: "singular many rows 406", cite: "T:Query/SingularSpec.hs:18-45@v16.2 (PGRST116)", method: "GET", path: "/items?id=lt.3",
				hdr: map[string]string{"Accept": "application/vnd.pgrst.object+json"}, status: 406,
				wantBody: errBody("PGRST116", "Cannot coerce the result to a single JSON object", "The result contains 2 rows", nil)},
			{name: "singular patch rolled back", cite: "T:Query/SingularSpec.hs:67@v16.2", method: "PATCH", path: "/items?id=lt.3",
				hdr: map[string]string{"Accept": "application/vnd.pgrst.object+json", "Prefer": "return=representation"}, body: `{"name":"changed"}`, status: 406,
				check: func(t *testing.T, r result) {
					if got := e.do("GET", "/items?id=lt.3&name=eq.changed", nil, ""); got.body != "[]" {
						t.Errorf("406 did not roll back: %s", got.body)
					}
				}},
		}
	})
}
