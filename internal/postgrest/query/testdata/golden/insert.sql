-- txvars
select set_config('search_path', $1, true), set_config('role', $2, true), set_config('request.jwt.claims', $3, true), set_config('request.method', $4, true), set_config('request.path', $5, true), set_config('request.headers', $6, true), set_config('request.cookies', $7, true)
-- $1 = "\"public\""
-- $2 = "web"
-- $3 = "{\"role\":\"web\",\"sub\":\"x\"}"
-- $4 = "POST"
-- $5 = "/task"
-- $6 = "{}"
-- $7 = "{}"
-- main
WITH pgrst_source AS (INSERT INTO "public"."task"("id", "title") SELECT "pgrst_body"."id", "pgrst_body"."title" FROM (SELECT $1::json AS json_data) pgrst_payload, LATERAL (SELECT "id", "title" FROM json_to_recordset(pgrst_payload.json_data) AS _("id" integer, "title" text) ) pgrst_body  RETURNING "public"."task".*) SELECT NULL::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, array[]::text[] AS header, coalesce(json_agg(_postgrest_t), '[]') AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, NULL::bigint AS response_inserted FROM (SELECT "task".* FROM "pgrst_source" AS "task"   ) _postgrest_t
-- $1 = "[{\"id\":1,\"title\":\"a\"},{\"id\":2,\"title\":\"b\"}]"
