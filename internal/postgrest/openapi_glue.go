package postgrest

import (
	"encoding/json"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

const privilegesSQL = `SELECT NULL::bigint, 0::bigint, json_build_object(
  'tables', coalesce((SELECT json_agg(json_build_object('name', c.relname,
      'select', has_table_privilege(c.oid, 'SELECT'), 'insert', has_table_privilege(c.oid, 'INSERT'),
      'update', has_table_privilege(c.oid, 'UPDATE'), 'delete', has_table_privilege(c.oid, 'DELETE')))
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = $1 AND c.relkind IN ('r','v','m','f','p')), '[]'),
  'functions', coalesce((SELECT json_agg(p.oid::int8) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = $1 AND has_function_privilege(p.oid, 'EXECUTE')), '[]'),
  'schema_usage', has_schema_privilege($1, 'USAGE'),
  'arg_types', coalesce((SELECT json_object_agg(p.oid, (SELECT coalesce(array_agg(a.t::regtype::text ORDER BY a.o), '{}')
      FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, o)))
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1), '{}'))::text, ` + gucCols

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

// openAPI runs the privilege queries in the request transaction and builds
// the document.
func (s *Server) openAPI(req *request) ([]byte, *txResult, *apierr.Error) {
	res, e := s.run(req.r.Context(), req, true, "", privilegesSQL, []any{req.schema})
	if e != nil {
		return nil, nil, e
	}
	var p privs
	if res.body != nil {
		if err := json.Unmarshal([]byte(*res.body), &p); err != nil {
			return nil, nil, apierr.Internal(err)
		}
	}
	doc, err := s.buildOpenAPI(req, &p)
	if err != nil {
		return nil, nil, apierr.Internal(err)
	}
	return doc, res, nil
}
