package postgrest

import "testing"

// TestSpecRawOutputTypes replays RawOutputTypesSpec (T:Query/
// RawOutputTypesSpec.hs@v16.2): browsers' Accept headers list HTML and
// XML first; without handlers for them the */* item gives JSON, on tables
// and functions alike. The same headers reach a function's text/html
// handler when it has one.
func TestSpecRawOutputTypes(t *testing.T) {
	t.Parallel()
	e := newEngine(t, mediaFixtureSQL, nil)
	const cite = "T:Query/RawOutputTypesSpec.hs"
	firefox := accept("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	chrome := accept("text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3")
	jsonCT := map[string]string{"Content-Type": "application/json; charset=utf-8"}
	runCases(t, e, []tc{
		{name: "table, firefox", cite: cite + ":15", method: "GET", path: "/gadgets?id=eq.1", hdr: firefox, status: 200,
			wantBody: `[{"id":1,"label":"Lamp","maker_id":1}]`, wantHdr: jsonCT},
		{name: "table, chrome", cite: cite + ":19", method: "GET", path: "/gadgets?id=eq.1", hdr: chrome, status: 200,
			wantBody: `[{"id":1,"label":"Lamp","maker_id":1}]`, wantHdr: jsonCT},
		{name: "rpc, firefox", cite: cite + ":24", method: "GET", path: "/rpc/get_gadgets?id=lt.3", hdr: firefox, status: 200,
			wantBody: `[{"id":1,"label":"Lamp","maker_id":1},{"id":2,"label":"Desk, oak","maker_id":1}]`, wantHdr: jsonCT},
		{name: "rpc, chrome", cite: cite + ":28", method: "GET", path: "/rpc/get_gadgets?id=lt.3", hdr: chrome, status: 200,
			wantBody: `[{"id":1,"label":"Lamp","maker_id":1},{"id":2,"label":"Desk, oak","maker_id":1}]`, wantHdr: jsonCT},
		{name: "text/html handler, firefox", cite: "Plan/Negotiate.hs negotiateContent@v16.2", method: "GET", path: "/rpc/page.html",
			hdr: firefox, status: 200, wantHdr: map[string]string{"Content-Type": "text/html"}, check: raw("<p>hi</p>")},
		{name: "scalar text function, firefox", cite: "Plan/Negotiate.hs negotiateContent@v16.2", method: "GET", path: "/rpc/greet",
			hdr: firefox, status: 200, wantBody: `"Hello from the engine"`, wantHdr: jsonCT},
	})
}
