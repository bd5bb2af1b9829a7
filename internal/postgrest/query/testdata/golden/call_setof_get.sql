-- txvars
select set_config('search_path', $1, true), set_config('role', $2, true), set_config('request.jwt.claims', $3, true), set_config('request.method', $4, true), set_config('request.path', $5, true), set_config('request.headers', $6, true), set_config('request.cookies', $7, true)
-- $1 = "\"public\""
-- $2 = "web"
-- $3 = "{\"role\":\"web\",\"sub\":\"x\"}"
-- $4 = "GET"
-- $5 = "/rpc/tasks_of"
-- $6 = "{}"
-- $7 = "{}"
-- main
WITH pgrst_source AS (SELECT "pgrst_call"."id" FROM "public"."tasks_of"("who" := $1::text) pgrst_call) SELECT null::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, NULL::text[] AS header, coalesce(json_agg(_postgrest_t), '[]') AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, NULL::bigint AS response_inserted FROM (SELECT "task"."id" FROM "pgrst_source" AS "task" WHERE  "task"."id" > $2   LIMIT $3 OFFSET $4) _postgrest_t
-- $1 = "alice"
-- $2 = "1"
-- $3 = "1"
-- $4 = "0"
