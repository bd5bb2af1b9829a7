-- txvars
select set_config('search_path', $1, true), set_config('role', $2, true), set_config('request.jwt.claims', $3, true), set_config('request.method', $4, true), set_config('request.path', $5, true), set_config('request.headers', $6, true), set_config('request.cookies', $7, true)
-- $1 = "\"public\""
-- $2 = "web"
-- $3 = "{\"role\":\"web\",\"sub\":\"x\"}"
-- $4 = "PATCH"
-- $5 = "/task"
-- $6 = "{}"
-- $7 = "{}"
-- main
WITH pgrst_source AS (UPDATE "public"."task" SET "title" = "pgrst_body"."title" FROM (SELECT $1::json AS json_data) pgrst_payload, LATERAL (SELECT "title" FROM json_to_record(pgrst_payload.json_data) AS _("title" text) ) pgrst_body  WHERE  "public"."task"."id" = $2 RETURNING "public"."task"."id", "public"."task"."title") SELECT NULL::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, array[]::text[] AS header, coalesce(json_agg(_postgrest_t), '[]') AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, NULL::bigint AS response_inserted FROM (SELECT "task"."id", "task"."title" FROM "pgrst_source" AS "task"   ) _postgrest_t
-- $1 = "{\"title\":\"x\"}"
-- $2 = "1"
