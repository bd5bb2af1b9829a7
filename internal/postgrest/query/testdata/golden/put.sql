-- txvars
select set_config('search_path', $1, true), set_config('role', $2, true), set_config('request.jwt.claims', $3, true), set_config('request.method', $4, true), set_config('request.path', $5, true), set_config('request.headers', $6, true), set_config('request.cookies', $7, true)
-- $1 = "\"public\""
-- $2 = "web"
-- $3 = "{\"role\":\"web\",\"sub\":\"x\"}"
-- $4 = "PUT"
-- $5 = "/task"
-- $6 = "{}"
-- $7 = "{}"
-- main
WITH pgrst_source AS (INSERT INTO "public"."task"("id", "title") SELECT "pgrst_body"."id", "pgrst_body"."title" FROM (SELECT $1::json AS json_data) pgrst_payload, LATERAL (SELECT "id", "title" FROM json_to_record(pgrst_payload.json_data) AS _("id" integer, "title" text) ) pgrst_body WHERE set_config('pgrst.inserted', (coalesce(nullif(current_setting('pgrst.inserted', true), '')::int, 0) + 1)::text, true) <> '0' AND  "pgrst_body"."id" = $2 ON CONFLICT("id") DO UPDATE SET "id" = EXCLUDED."id", "title" = EXCLUDED."title" WHERE set_config('pgrst.inserted', (coalesce(nullif(current_setting('pgrst.inserted', true), '')::int, 0) - 1)::text, true) <> '-1' RETURNING 1) SELECT NULL::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, array[]::text[] AS header, ''::text AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, nullif(current_setting('pgrst.inserted', true),'')::int AS response_inserted FROM (SELECT * FROM pgrst_source) _postgrest_t
-- $1 = "{\"id\":1,\"title\":\"a\"}"
-- $2 = "1"
