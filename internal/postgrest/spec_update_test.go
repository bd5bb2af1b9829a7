package postgrest

import "testing"

// TestSpecUpdate replays PostgREST v16.2's UpdateSpec
// (test/spec/Feature/Query/UpdateSpec.hs) on the project's fixture: PATCH
// statuses, bodies (arrays, empty), order= in the representation,
// missing=default.
func TestSpecUpdate(t *testing.T) {
	t.Parallel()
	runBothModes(t, fixtureSQL, nil, updateSpecCases)
}

func updateSpecCases(t *testing.T, e *engine) []tc {
	return []tc{
		{name: "patch", cite: "T:Query/UpdateSpec.hs:67@v16.2", method: "PATCH", path: "/items?id=eq.2", body: `{"name":"TWO"}`, status: 204,
			wantHdr: map[string]string{"Content-Range": "0-0/*", "Content-Type": ""}},
		{name: "patch representation", cite: "T:Query/UpdateSpec.hs:93@v16.2", method: "PATCH", path: "/items?id=eq.2", body: `{"name":"deux"}`,
			hdr: map[string]string{"Prefer": "return=representation"}, status: 200, wantBody: `[{"id":2,"name":"deux"}]`},
		{name: "patch nothing matched", cite: "T:Query/UpdateSpec.hs:88@v16.2", method: "PATCH", path: "/items?id=eq.999", body: `{"name":"x"}`, status: 204,
			wantHdr: map[string]string{"Content-Range": "*/*"}},
		{name: "unknown PATCH filter column is named with its table", cite: "QueryBuilder.hs mutatePlanToQuery@v16.2",
			method: "PATCH", path: "/docs?zzqx=eq.1", body: `{"body":"x"}`, status: 400,
			wantBody: errBody("42703", "column docs.zzqx does not exist", nil, nil)},
		{name: "PATCH accepts an array body and applies its first object", cite: "T:Query/UpdateSpec.hs:245@v16.2 (fromJsonBodyF LIMIT 1)",
			method: "PATCH", path: "/docs?id=eq.1", hdr: map[string]string{"Prefer": "return=representation"},
			body: `[{"body":"patched"},{"body":"ignored"}]`, status: 200, wantBody: `[{"id":1,"data":[{"a": "A"}, {"b": "B"}],"bdata":{"k":"v"},"body":"patched","tsv":"'cat':3 'fat':2 'the':1"}]`},
		{name: "PATCH with [] changes nothing", cite: "T:Query/UpdateSpec.hs:245@v16.2",
			method: "PATCH", path: "/docs", body: `[]`, status: 204, wantHdr: map[string]string{"Content-Range": "*/*", "Content-Type": ""}},
		{name: "PATCH with [{}] changes nothing", cite: "T:Query/UpdateSpec.hs:256@v16.2",
			method: "PATCH", path: "/docs?select=id", body: `[{}]`, status: 204, wantHdr: map[string]string{"Content-Range": "*/*", "Content-Type": ""}},
		{name: "PATCH representation follows order=", cite: "T:Query/UpdateSpec.hs:443@v16.2",
			method: "PATCH", path: "/nopk?order=a.desc", hdr: map[string]string{"Prefer": "return=representation"},
			body: `{"b":"1"}`, status: 200, wantBody: `[{"a":null,"b":"1"},{"a":"2","b":"1"},{"a":"1","b":"1"}]`},
		{name: "minimal PATCH with order= still works", cite: "Query/Statements.hs mainWrite selectF@v16.2",
			method: "PATCH", path: "/docs?order=body", hdr: map[string]string{"Prefer": "return=minimal"},
			body: `{"body":"x"}`, status: 204, wantHdr: map[string]string{"Content-Range": "0-1/*"}},
		{name: "PATCH missing=default", cite: "T:Query/UpdateSpec.hs:372@v16.2",
			method: "PATCH", path: "/defs?id=eq.3&columns=name,n", hdr: map[string]string{"Prefer": "return=representation, missing=default"},
			body: `{"name":"x"}`, status: 200, wantBody: `[{"id":3,"name":"x","n":1,"tags":[1,2]}]`,
			wantHdr: map[string]string{"Preference-Applied": "missing=default, return=representation"}},
	}
}
