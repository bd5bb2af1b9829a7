package postgrest

import (
	"net/http"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

func (s *Server) handleRoot(w http.ResponseWriter, req *request) *apierr.Error {
	if e := acceptJSON(req.r, "application/openapi+json"); e != nil {
		return e
	}
	doc, res, e := s.openAPI(req)
	if e != nil {
		return e
	}
	resp := &response{status: 200, hasBody: true, body: doc}
	resp.add("Content-Type", "application/openapi+json; charset=utf-8")
	return s.finish(w, req, resp, res)
}
