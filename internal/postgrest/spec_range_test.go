package postgrest

import "testing"

// TestSpecRange replays PostgREST v16.2's RangeSpec
// (test/spec/Feature/Query/RangeSpec.hs) on the project's fixture: limit,
// offset, the Range header, Content-Range and the 206/416 statuses
// (RangeQuery.hs@v16.2). count=planned and count=estimated are in
// spec_query_limited_test.go.
func TestSpecRange(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, rangeSpecCases)
}

func rangeSpecCases(t *testing.T, e *engine) []tc {
	return []tc{
		// 206 when fewer rows than the counted total came back
		{name: "count exact 206", cite: "RangeQuery.hs:96-121@v16.2", method: "GET", path: "/items?limit=2&order=id", hdr: map[string]string{"Prefer": "count=exact"}, status: 206,
			wantHdr: map[string]string{"Content-Range": "0-1/3", "Preference-Applied": "count=exact"}},
		{name: "range header", cite: "T:Query/RangeSpec.hs:434@v16.2, RangeQuery.hs:36-47@v16.2", method: "GET", path: "/items?order=id", hdr: map[string]string{"Range": "1-1"}, status: 200,
			wantBody: `[{"id":2,"name":"two"}]`, wantHdr: map[string]string{"Content-Range": "1-1/*"}},
		// the header must match ^([0-9]+)-([0-9]*)$: a unit is no range
		{name: "range with unit ignored", cite: "RangeQuery.hs:36-47@v16.2", method: "GET", path: "/items?order=id", hdr: map[string]string{"Range": "items=0-0"}, status: 200,
			wantHdr: map[string]string{"Content-Range": "0-2/*"}},
		{name: "limit 0", cite: "T:Query/RangeSpec.hs:259@v16.2", method: "GET", path: "/items?limit=0", status: 200, wantBody: `[]`, wantHdr: map[string]string{"Content-Range": "*/*"}},
		{name: "negative limit 416", cite: "T:Query/RangeSpec.hs:266@v16.2", method: "GET", path: "/items?limit=-1", status: 416,
			wantBody: errBody("PGRST103", "Requested range not satisfiable", "Limit should be greater than or equal to zero.", nil)},
		{name: "offset past end", cite: "T:Query/RangeSpec.hs:295@v16.2", method: "GET", path: "/items?offset=10", hdr: map[string]string{"Prefer": "count=exact"}, status: 416,
			wantBody: errBody("PGRST103", "Requested range not satisfiable", "An offset of 10 was requested, but there are only 3 rows.", nil),
			wantHdr:  map[string]string{"Content-Range": "*/3", "Proxy-Status": ""}},
		{name: "offset equal to total is 200", cite: "T:Query/RangeSpec.hs:234@v16.2, RangeQuery.hs rangeStatus@v16.2", method: "GET", path: "/readonly_items?offset=0", hdr: map[string]string{"Prefer": "count=exact"}, status: 200,
			wantBody: `[]`, wantHdr: map[string]string{"Content-Range": "*/0"}},
	}
}
