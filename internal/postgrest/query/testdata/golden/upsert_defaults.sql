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
WITH pgrst_source AS (INSERT INTO "public"."task"("done", "id", "title") SELECT "pgrst_body"."done", "pgrst_body"."id", "pgrst_body"."title" FROM (SELECT $1::jsonb AS json_data) pgrst_payload, LATERAL (SELECT jsonb_build_object('done', false) || pgrst_payload.json_data AS val) pgrst_json_defs, LATERAL (SELECT "done", "id", "title" FROM jsonb_to_record(pgrst_json_defs.val) AS _("done" boolean, "id" integer, "title" text) ) pgrst_body WHERE set_config('pgrst.inserted', (coalesce(nullif(current_setting('pgrst.inserted', true), '')::int, 0) + 1)::text, true) <> '0' ON CONFLICT("id") DO UPDATE SET "done" = EXCLUDED."done", "id" = EXCLUDED."id", "title" = EXCLUDED."title" WHERE set_config('pgrst.inserted', (coalesce(nullif(current_setting('pgrst.inserted', true), '')::int, 0) - 1)::text, true) <> '-1' RETURNING 1) SELECT NULL::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, array[]::text[] AS header, ''::text AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, nullif(current_setting('pgrst.inserted', true),'')::int AS response_inserted FROM (SELECT * FROM pgrst_source) _postgrest_t
-- $1 = "{\"id\":1,\"title\":\"a\",\"done\":true}"
