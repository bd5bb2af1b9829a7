-- txvars
select set_config('search_path', $1, true), set_config('role', $2, true), set_config('request.jwt.claims', $3, true), set_config('request.method', $4, true), set_config('request.path', $5, true), set_config('request.headers', $6, true), set_config('request.cookies', $7, true)
-- $1 = "\"public\""
-- $2 = "web"
-- $3 = "{\"role\":\"web\",\"sub\":\"x\"}"
-- $4 = "POST"
-- $5 = "/rpc/echo"
-- $6 = "{}"
-- $7 = "{}"
-- main
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "public"."echo"($1::json) pgrst_scalar) pgrst_call) SELECT null::bigint AS total_result_set, 1 AS page_total, NULL::text[] AS header, coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, NULL::bigint AS response_inserted FROM (SELECT "echo".* FROM "pgrst_source" AS "echo"   ) _postgrest_t
-- $1 = "{\"x\":1}"
