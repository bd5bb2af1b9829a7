-- txvars
select set_config('search_path', $1, true), set_config('role', $2, true), set_config('request.jwt.claims', $3, true), set_config('request.method', $4, true), set_config('request.path', $5, true), set_config('request.headers', $6, true), set_config('request.cookies', $7, true)
-- $1 = "\"public\""
-- $2 = "web"
-- $3 = "{\"role\":\"web\",\"sub\":\"x\"}"
-- $4 = "POST"
-- $5 = "/rpc/add"
-- $6 = "{}"
-- $7 = "{}"
-- main
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT $1::json AS json_data) pgrst_payload, LATERAL (SELECT "a", "b" FROM json_to_record(pgrst_payload.json_data) AS _("a" integer, "b" integer) LIMIT 1) pgrst_body , LATERAL (SELECT "public"."add"("a" := pgrst_body."a", "b" := pgrst_body."b") pgrst_scalar) pgrst_call) SELECT null::bigint AS total_result_set, 1 AS page_total, NULL::text[] AS header, coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, NULL::bigint AS response_inserted FROM (SELECT "add".* FROM "pgrst_source" AS "add"   ) _postgrest_t
-- $1 = "{\"a\":1,\"b\":2}"
