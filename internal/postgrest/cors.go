package postgrest

import (
	"net/http"
	"slices"
	"strings"
)

// cors applies PostgREST's CORS policy (Cors.hs@v16.2 on wai-cors): only
// for requests with an Origin header; any origin ("*") unless
// server-cors-allowed-origins lists them; preflights are answered here,
// before authentication. It returns true when the request was answered.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	allowOrigin := "*"
	credentials := false
	if list := s.conf().ServerCORSAllowedOrigins; len(list) > 0 {
		allowOrigin = ""
		for _, o := range list {
			if o == origin {
				allowOrigin, credentials = origin, true
			}
		}
		if allowOrigin == "" {
			return false // corsIgnoreFailures: no CORS headers, request proceeds
		}
	}
	h := w.Header()
	if r.Method == http.MethodOptions {
		// wai-cors treats every OPTIONS with an Origin as a preflight; a
		// failed one (no or unsupported Access-Control-Request-Method) is
		// ignored and the request reaches the app without CORS headers.
		methods := []string{"GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "HEAD"} // corsMethods ∪ simpleMethods
		reqMethod := r.Header.Get("Access-Control-Request-Method")
		if !slices.Contains(methods, reqMethod) {
			return false
		}
		h.Set("Access-Control-Allow-Origin", allowOrigin)
		if credentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		h.Set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
		// corsRequestHeaders ("Authorization" : requested) ∪ the simple
		// headers without Content-Type, compared case-insensitively.
		var allowHeaders []string
		add := func(x string, dedupe bool) {
			if dedupe {
				for _, y := range allowHeaders {
					if strings.EqualFold(x, y) {
						return
					}
				}
			}
			allowHeaders = append(allowHeaders, x)
		}
		add("Authorization", false)
		if acrh, ok := r.Header["Access-Control-Request-Headers"]; ok && len(acrh) > 0 && strings.TrimSpace(acrh[0]) != "" {
			for _, x := range strings.Split(acrh[0], ",") {
				add(strings.TrimSpace(x), false)
			}
		}
		for _, x := range []string{"Accept", "Accept-Language", "Content-Language"} {
			add(x, true)
		}
		if _, asked := r.Header["Access-Control-Request-Headers"]; asked { // wai-cors hdrRequestHeader
			h.Set("Access-Control-Allow-Headers", strings.Join(allowHeaders, ", "))
		}
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusOK)
		return true
	}
	h.Set("Access-Control-Allow-Origin", allowOrigin)
	if credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Expose-Headers", "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit")
	return false
}
