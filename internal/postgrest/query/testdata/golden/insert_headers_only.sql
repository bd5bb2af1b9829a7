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
WITH pgrst_source AS (INSERT INTO "public"."task"("id", "title") SELECT "pgrst_body"."id", "pgrst_body"."title" FROM (SELECT $1::json AS json_data) pgrst_payload, LATERAL (SELECT "id", "title" FROM json_to_record(pgrst_payload.json_data) AS _("id" integer, "title" text) ) pgrst_body  RETURNING "public"."task".*) SELECT NULL::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, CASE WHEN pg_catalog.count(_postgrest_t) = 1 THEN coalesce((WITH data AS (SELECT row_to_json(_) AS row FROM pgrst_source AS _ LIMIT 1) SELECT array_agg(json_data.key || '=' || coalesce('eq.' || json_data.value, 'is.null')) FROM data CROSS JOIN json_each_text(data.row) AS json_data WHERE json_data.key IN ('id')), array[]::text[]) ELSE array[]::text[] END AS header, ''::text AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, NULL::bigint AS response_inserted FROM (SELECT * FROM pgrst_source) _postgrest_t
-- $1 = "{\"id\":1,\"title\":\"a\"}"
