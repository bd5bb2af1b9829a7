package postgrest

import (
	"net/http"
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
	if list := s.cfg.ServerCORSAllowedOrigins; len(list) > 0 {
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
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Origin", allowOrigin)
		if credentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, PUT, DELETE, OPTIONS")
		allowHeaders := []string{"Authorization"}
		for _, x := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
			if x = strings.TrimSpace(x); x != "" {
				allowHeaders = append(allowHeaders, x)
			}
		}
		h.Set("Access-Control-Allow-Headers", strings.Join(allowHeaders, ", "))
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
