package postgrest

import "testing"

// TestSpecCors replays PostgREST v16.2's CorsSpec
// (test/spec/Feature/CorsSpec.hs) on the project's fixture: preflights
// answered as wai-cors does (Cors.hs@v16.2), exposed headers on simple
// requests, OPTIONS without a preflight reaching the app.
func TestSpecCors(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, func(t *testing.T, e *engine) []tc {
		return []tc{
			{name: "cors preflight", cite: "T:CorsSpec.hs:15@v16.2 (wai-cors adds simple methods/headers)", method: "OPTIONS", path: "/items",
				hdr:    map[string]string{"Origin": "http://example.test", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, prefer"},
				status: 200, wantHdr: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD",
					"Access-Control-Allow-Headers": "Authorization, content-type, prefer, Accept, Accept-Language, Content-Language", "Access-Control-Max-Age": "86400"}},
			{name: "cors simple", cite: "T:CorsSpec.hs:30@v16.2, Cors.hs@v16.2 (wai-cors)", method: "GET", path: "/items?id=eq.1", hdr: map[string]string{"Origin": "http://example.test"},
				status: 200, wantHdr: map[string]string{"Access-Control-Allow-Origin": "*",
					"Access-Control-Expose-Headers": "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit"}},
			{name: "preflight", cite: "T:CorsSpec.hs:15@v16.2", method: "OPTIONS", path: "/",
				hdr: map[string]string{"Accept": "*/*", "Origin": "http://example.com",
					"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Foo,Bar"},
				status: 200, wantHdr: map[string]string{"Access-Control-Allow-Origin": "*",
					"Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD",
					"Access-Control-Allow-Headers": "Authorization, Foo, Bar, Accept, Accept-Language, Content-Language",
					"Access-Control-Max-Age":       "86400"}},
			{name: "preflight requesting a simple header once", cite: "wai-cors union", method: "OPTIONS", path: "/items",
				hdr: map[string]string{"Origin": "http://example.com", "Access-Control-Request-Method": "GET",
					"Access-Control-Request-Headers": "accept, x-y"},
				status: 200, wantHdr: map[string]string{"Access-Control-Allow-Headers": "Authorization, accept, x-y, Accept-Language, Content-Language"}},
			{name: "preflight with empty request headers", cite: "wai-cors (empty header list)", method: "OPTIONS", path: "/items",
				hdr:    map[string]string{"Origin": "http://example.com", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": ""},
				status: 200, wantHdr: map[string]string{"Access-Control-Allow-Headers": "Authorization, Accept, Accept-Language, Content-Language"}},
			{name: "preflight without request headers", cite: "wai-cors hdrRequestHeader", method: "OPTIONS", path: "/items",
				hdr:    map[string]string{"Origin": "http://example.com", "Access-Control-Request-Method": "DELETE"},
				status: 200, wantHdr: map[string]string{"Access-Control-Allow-Headers": "", "Access-Control-Allow-Origin": "*",
					"Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD"}},
			// An OPTIONS with Origin but no Access-Control-Request-Method is a
			// failed preflight: wai-cors ignores it and the app answers.
			{name: "postflight options", cite: "T:CorsSpec.hs:43@v16.2", method: "OPTIONS", path: "/items",
				hdr:    map[string]string{"Origin": "http://localhost:8000", "Accept": "text/csv, */*; q=0.01"},
				status: 200, wantHdr: map[string]string{"Access-Control-Allow-Origin": "*",
					"Allow": "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE", "Access-Control-Expose-Headers": "", "Access-Control-Allow-Methods": ""}},
		}
	})
}
