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
WITH pgrst_source AS ( SELECT "public"."task"."id", "public"."task"."title" AS "t", "public"."task"."data"->>$1 AS "x" FROM "public"."task" WHERE  ( "public"."task"."id" = $2 OR  "public"."task"."title" like $3) AND  "public"."task"."done" IS FALSE  ORDER BY "public"."task"."id" DESC NULLS LAST LIMIT $4 OFFSET $5 )  SELECT null::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, NULL::text[] AS header, coalesce(json_agg(_postgrest_t), '[]') AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, NULL::bigint AS response_inserted FROM ( SELECT * FROM pgrst_source ) _postgrest_t
-- $1 = "x"
-- $2 = "1"
-- $3 = "a%"
-- $4 = "5"
-- $5 = "10"
