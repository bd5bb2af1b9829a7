package postgrest

import (
	"encoding/json"

	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

type privs struct {
	Tables []struct {
		Name                           string
		Select, Insert, Update, Delete bool
	} `json:"tables"`
	Functions   []int64 `json:"functions"`
	SchemaUsage bool    `json:"schema_usage"`
	// ArgTypes are the input argument types of each function (by oid),
	// printed in the request transaction, so under the request's
	// search_path (schema, then db-extra-search-path): PostgREST lists the
	// OpenAPI functions with a query run there (Query.hs:56,
	// SqlFragment.hs:616 accessibleFuncs, SchemaCache.hs:408
	// type::regtype::text @v16.2), while its tables come from the schema
	// cache. An enum of the exposed schema reads `mood`, not `api.mood`.
	ArgTypes map[string][]string `json:"arg_types"`
}

// openAPI builds the document from the privileges the request
// transaction read (query's privileges statement).
func (s *Server) openAPI(sc *schemacache.Cache, schema string, privileges []byte) ([]byte, error) {
	var p privs
	if len(privileges) > 0 {
		if err := json.Unmarshal(privileges, &p); err != nil {
			return nil, err
		}
	}
	return s.buildOpenAPI(sc, schema, &p)
}
