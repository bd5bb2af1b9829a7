-- txvars
select set_config('search_path', $1, true), set_config('role', $2, true), set_config('request.jwt.claims', $3, true), set_config('request.method', $4, true), set_config('request.path', $5, true), set_config('request.headers', $6, true), set_config('request.cookies', $7, true)
-- $1 = "\"public\""
-- $2 = "web"
-- $3 = "{\"role\":\"web\",\"sub\":\"x\"}"
-- $4 = "GET"
-- $5 = "/rpc/sum_all"
-- $6 = "{}"
-- $7 = "{}"
-- main
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "public"."sum_all"(VARIADIC "vals" := $1::text[]::integer[]) pgrst_scalar) pgrst_call) SELECT null::bigint AS total_result_set, 1 AS page_total, NULL::text[] AS header, coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, NULL::bigint AS response_inserted FROM (SELECT "sum_all".* FROM "pgrst_source" AS "sum_all"   ) _postgrest_t
-- $1 = []string{"1", "2"}
