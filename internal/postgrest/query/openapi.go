package query

// privilegesSQL reads, in the request transaction, what the OpenAPI
// document needs beyond the schema cache: the privileges of the current
// role on the schema's relations and functions, its USAGE of the schema,
// and the functions' argument types printed under the request's
// search_path (PostgREST lists functions with a query run there,
// Query.hs mainQuery, SqlFragment.hs accessibleFuncs@v16.2). It selects
// the columns of the main statements; the body is the JSON document of
// privileges.
const privilegesSQL = `SELECT NULL::bigint AS total_result_set, 0::bigint AS page_total, NULL::text[] AS header, json_build_object(
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
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1), '{}'))::text AS body, ` +
	responseHeaders + ` AS response_headers, ` + responseStatus + ` AS response_status, NULL::bigint AS response_inserted`
