package postgrest

import "testing"

// TestTableStrictVersusAccept pins the order in which a request meets
// two independent 4xx checks: an unacceptable Accept (406 PGRST107) and
// invalid preferences under handling=strict (400 PGRST122). PostgREST's
// wrappedReadPlan and callReadPlan negotiate the media type first and look
// at the preferences after; mutateReadPlan checks the preferences first
// (Plan.hs@v16.2).
func TestTableStrictVersusAccept(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, strictVersusAcceptCases)
}

func strictVersusAcceptCases(t *testing.T, e *engine) []tc {
	both := map[string]string{"Prefer": "handling=strict, no-such-pref", "Accept": "image/png"}
	strictOnly := map[string]string{"Prefer": "handling=strict, no-such-pref"}
	write := map[string]string{"Prefer": "handling=strict, no-such-pref", "Accept": "image/png", "Content-Type": "application/json"}
	invalidPrefs := errBody("PGRST122", "Invalid preferences given with handling=strict", "Invalid preferences: no-such-pref", nil)
	return []tc{
		{name: "GET: Accept is negotiated first", cite: "Plan.hs:198-199@v16.2 (wrappedReadPlan)", method: "GET", path: "/items",
			hdr: both, status: 406, wantBody: errBody("PGRST107", "None of these media types are available: image/png", nil, nil)},
		{name: "HEAD: Accept is negotiated first", cite: "Plan.hs:198-199@v16.2 (wrappedReadPlan)", method: "HEAD", path: "/items",
			hdr: both, status: 406},
		{name: "GET: strict alone still rejects", cite: "Plan.hs:199@v16.2", method: "GET", path: "/items",
			hdr: strictOnly, status: 400, wantBody: invalidPrefs},
		{name: "POST: preferences are checked first", cite: "Plan.hs:207-208@v16.2 (mutateReadPlan)", method: "POST", path: "/items",
			hdr: write, body: `{"id":9,"name":"nine"}`, status: 400, wantBody: invalidPrefs},
		{name: "PATCH: preferences are checked first", cite: "Plan.hs:207-208@v16.2 (mutateReadPlan)", method: "PATCH", path: "/items?id=eq.1",
			hdr: write, body: `{"name":"uno"}`, status: 400, wantBody: invalidPrefs},
		{name: "DELETE: preferences are checked first", cite: "Plan.hs:207-208@v16.2 (mutateReadPlan)", method: "DELETE", path: "/items?id=eq.1",
			hdr: both, status: 400, wantBody: invalidPrefs},
		{name: "nothing was changed", cite: "Plan.hs:207@v16.2", method: "GET", path: "/items?order=id",
			status: 200, wantBody: `[{"id":1,"name":"one"},{"id":2,"name":"two"},{"id":3,"name":"three"}]`},
		// Plan.hs callReadPlan: Accept is negotiated before handling=strict.
		{name: "406 before strict prefs", cite: "Plan.hs:229-231@v16.2", method: "GET", path: "/rpc/add?a=1&b=2",
			hdr: map[string]string{"Prefer": "handling=strict, bogus", "Accept": "audio/mpeg"}, status: 406},
	}
}
