-- txvars
select set_config('search_path', $1, true), set_config('role', $2, true), set_config('request.jwt.claims', $3, true), set_config('request.method', $4, true), set_config('request.path', $5, true), set_config('request.headers', $6, true), set_config('request.cookies', $7, true)
-- $1 = "\"public\""
-- $2 = "web"
-- $3 = "{\"role\":\"web\",\"sub\":\"x\"}"
-- $4 = "GET"
-- $5 = "/task"
-- $6 = "{}"
-- $7 = "{}"
-- main
WITH pgrst_source AS ( SELECT "public"."task".* FROM "public"."task" WHERE  "public"."task"."id" > $1   LIMIT $2 OFFSET $3 ) , pgrst_source_count AS (SELECT 1  FROM "public"."task" WHERE  "public"."task"."id" > $4) SELECT (SELECT pg_catalog.count(*) FROM pgrst_source_count) AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, NULL::text[] AS header, coalesce(json_agg(_postgrest_t), '[]') AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, NULL::bigint AS response_inserted FROM ( SELECT * FROM pgrst_source ) _postgrest_t
-- $1 = "1"
-- $2 = "10"
-- $3 = "0"
-- $4 = "1"
