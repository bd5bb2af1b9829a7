package query

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authstack/authstack/internal/pgtest"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

const fixture = `
create table task (
  id int primary key, title text not null, done boolean, prio int,
  tags text[], data jsonb, "we""ird" text);
insert into task values
  (1, 'Buy milk',   false, 1,    '{home}',       '{"a":{"b":"x"},"n":[10,20]}', 'q'),
  (2, 'Write code', true,  null, '{work,code}',  '{"a":{"b":"y"},"n":[30]}',    null),
  (3, 'a,b "c"',    null,  3,    '{}',           null,                          'z'),
  (4, 'ÉTÉ 50%',    false, 2,    '{home,work}',  '{"a":{"b":"x"}}',             'q');
`

func runQuery(t *testing.T, conn *pgx.Conn, rawQuery string) (string, error) {
	t.Helper()
	sc := testCache("task", map[string]string{"id": "integer", "title": "text", "done": "boolean", "prio": "integer",
		"tags": "text[]", "data": "jsonb", `we"ird`: "text"}, "id", "title", "done", "prio", "tags", "data", `we"ird`)
	sql, args, err := readSQL(sc, "task", rawQuery, "")
	if err != nil {
		return "", err
	}
	var out string
	err = conn.QueryRow(context.Background(), sql, args...).Scan(&out)
	return strings.ReplaceAll(out, "\n ", ""), err
}

// The rendered SQL runs on a real PostgreSQL with the same results as
// PostgREST gives for these requests (T:Query/QuerySpec.hs, AndOrParamsSpec.hs,
// JsonOperatorSpec.hs).
func TestSQLAgainstPostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.DefaultQueryExecMode = mode
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if mode == pgx.QueryExecModeCacheStatement {
			if _, err := conn.Exec(ctx, fixture); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct{ cite, query, want string }{
			{"select columns", "select=id&order=id", `[{"id":1}, {"id":2}, {"id":3}, {"id":4}]`},
			{"rename and cast", "select=task_id:id,p:prio::text&id=lte.2&order=id", `[{"task_id":1,"p":"1"}, {"task_id":2,"p":null}]`},
			{"eq", "select=id&title=eq.Buy milk", `[{"id":1}]`},
			{"neq never matches NULL", "select=id&done=neq.true&order=id", `[{"id":1}, {"id":4}]`},
			{"gt/lt", "select=id&id=gt.1&id=lt.4&order=id", `[{"id":2}, {"id":3}]`},
			{"like with * wildcard", "select=id&title=like.*code", `[{"id":2}]`},
			{"ilike is case-insensitive", "select=id&title=ilike.*MILK*", `[{"id":1}]`},
			{"like % in the value is still a wildcard (url-encoded)", "select=id&title=like.*50%25", `[{"id":4}]`},
			{"in with quoted commas", `select=id&title=in.("a,b \"c\"",Buy milk)&order=id`, `[{"id":1}, {"id":3}]`},
			{"not.in", "select=id&id=not.in.(1,2)&order=id", `[{"id":3}, {"id":4}]`},
			{"empty in matches nothing", "select=id&id=in.()", `[]`},
			{"is.null", "select=id&prio=is.null", `[{"id":2}]`},
			{"is.not_null", "select=id&prio=is.not_null&order=id", `[{"id":1}, {"id":3}, {"id":4}]`},
			{"is.true case-insensitive", "select=id&done=is.TRUE", `[{"id":2}]`},
			{"is.unknown", "select=id&done=is.unknown", `[{"id":3}]`},
			{"not.is.null", "select=id&done=not.is.null&order=id", `[{"id":1}, {"id":2}, {"id":4}]`},
			{"isdistinct", "select=id&done=isdistinct.false&order=id", `[{"id":2}, {"id":3}]`},
			{"or", "select=id&or=(id.eq.1,prio.is.null)&order=id", `[{"id":1}, {"id":2}]`},
			{"nested and in or", "select=id&or=(id.eq.1,and(done.is.false,prio.gte.2))&order=id", `[{"id":1}, {"id":4}]`},
			{"not.or", "select=id&not.or=(id.eq.1,id.eq.2)&order=id", `[{"id":3}, {"id":4}]`},
			{"and= with filters", "select=id&and=(id.gt.1,id.lt.3)", `[{"id":2}]`},
			{"array contains", "select=id&tags=cs.{work}&order=id", `[{"id":2}, {"id":4}]`},
			{"array overlaps in or with pg array value", "select=id&or=(tags.ov.{code},id.eq.1)&order=id", `[{"id":1}, {"id":2}]`},
			{"eq(any)", "select=id&id=eq(any).{1,3}&order=id", `[{"id":1}, {"id":3}]`},
			{"like(any)", "select=id&title=like(any).{Buy*,Write*}&order=id", `[{"id":1}, {"id":2}]`},
			{"match regex", "select=id&title=match.^W", `[{"id":2}]`},
			{"fts", "select=id&title=fts(simple).code", `[{"id":2}]`},
			{"plfts on a known text column uses to_tsvector(lang, col)", "select=id&title=plfts(english).codes", `[{"id":2}]`},
			{"wfts", "select=id&title=wfts(english).milk or code&order=id", `[{"id":1}, {"id":2}]`},
			{"order desc puts NULLs first", "select=id&order=prio.desc", `[{"id":2}, {"id":3}, {"id":4}, {"id":1}]`},
			{"order nullslast", "select=id&order=prio.desc.nullslast", `[{"id":3}, {"id":4}, {"id":1}, {"id":2}]`},
			{"order by two columns", "select=id&order=done.asc.nullsfirst,id.desc", `[{"id":3}, {"id":4}, {"id":1}, {"id":2}]`},
			{"limit/offset", "select=id&order=id&limit=2&offset=1", `[{"id":2}, {"id":3}]`},
			{"limit=0", "select=id&limit=0", `[]`},
			{"JsonOperatorSpec: ->> alias is the key", "select=data->a->>b&id=eq.1", `[{"b":"x"}]`},
			{"JsonOperatorSpec: index alias is the column", "select=data->n->0&id=eq.1", `[{"n":10}]`},
			{"json path on a non-json column uses to_jsonb", "select=x:tags->>0&id=eq.2", `[{"x":"work"}]`},
			{"json filter", "select=id&data->a->>b=eq.x&order=id", `[{"id":1}, {"id":4}]`},
			{"json order", "select=id&data->n->>0=not.is.null&order=data->n->0.desc", `[{"id":2}, {"id":1}]`},
			{"quoted identifier", `select="we\"ird"&id=eq.1`, `[{"we\"ird":"q"}]`},
			{"injection in a value is just a value", "select=id&title=eq.'; drop table task; --", `[]`},
			{"injection in an in list", `select=id&id=in.(1,"2}'); drop table task; --")`, "22P02"},
			{"injection in a column name is a missing column", `select=id&"id\"%3B drop table task%3B --"=eq.1`, "42703"},
			{"injection in a select name", `select=id,"x\" from task%3B drop table task%3B --"`, "42703"},
			{"injection in a value with ; (encoded)", `select=id&title=eq.x'%3B drop table task%3B --`, `[]`},
			{"QueryParams.hs: select parsing stops at ')' and ignores the rest, like PostgREST", `select=id::int) from task%3B drop table task%3B --&id=eq.1`, `[{"id":1}]`},
			{"bad value for the type is 22P02", "select=id&id=eq.abc", "22P02"},
			{"unknown column is 42703", "select=banana", "42703"},
			{"embedding is PGRST200", "select=*,clients(*)", "PGRST200"},
		}
		for _, c := range cases {
			got, err := runQuery(t, conn, c.query)
			if err != nil {
				var pg *pgconn.PgError
				var qe *apierr.Error
				switch {
				case errors.As(err, &pg) && pg.Code == c.want:
				case errors.As(err, &qe) && qe.Code == c.want:
				default:
					t.Errorf("[%v] %s: %q: error %v, want %s", mode, c.cite, c.query, err, c.want)
				}
				continue
			}
			if got != c.want {
				t.Errorf("[%v] %s: %q:\n got %s\nwant %s", mode, c.cite, c.query, got, c.want)
			}
		}
		var n int
		if err := conn.QueryRow(ctx, "select count(*) from task").Scan(&n); err != nil || n != 4 {
			t.Fatalf("the table must survive the injection attempts: %d %v", n, err)
		}
	}
}

// T:Query/QuerySpec.hs "values with quotes in IN and NOT IN" and "IN values
// without quotes", on PostgREST's own fixture rows (fixtures/data.sql).
func TestInValuesQuotesSQL(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `create table w_or_wo_comma_names (name text);
	  insert into w_or_wo_comma_names values ('Hebdon, John'), ('Williams, Mary'), ('Smith, Joseph'), ('David White'),
	  ('Larry Thompson'), ('Double O Seven(007)'), ('"'), ('Double"Quote"McGraw"'), ('\'), ('/\Slash/\Beast/\');`); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		query string
		want  []string
	}{
		{`name=in.("Hebdon, John")`, []string{"Hebdon, John"}},
		{`name=in.("Hebdon, John","Williams, Mary","Smith, Joseph")`, []string{"Hebdon, John", "Williams, Mary", "Smith, Joseph"}},
		{`name=not.in.("Hebdon, John","Williams, Mary","Smith, Joseph")&name=not.in.(",\,/\Slash/\Beast/\,Double"Quote"McGraw")`,
			[]string{"David White", "Larry Thompson", "Double O Seven(007)"}},
		{`name=in.(David White,"Hebdon, John")`, []string{"Hebdon, John", "David White"}},
		{`name=in.("Double O Seven(007)")`, []string{"Double O Seven(007)"}},
		{`name=in.("Double\"Quote\"McGraw\"")`, []string{`Double"Quote"McGraw"`}},
		{`name=in.("\\")`, []string{`\`}},
		{`name=in.("/\\Slash/\\Beast/\\")`, []string{`/\Slash/\Beast/\`}},
		{`name=in.("D\a\vid W\h\ite")`, []string{"David White"}},
		{`name=in.(")`, []string{`"`}},
		{`name=in.(Double"Quote"McGraw")`, []string{`Double"Quote"McGraw"`}},
		{`name=in.(\)`, []string{`\`}},
		{`name=in.(/\Slash/\Beast/\)`, []string{`/\Slash/\Beast/\`}},
		{`name=in.()`, nil},
	}
	for _, c := range cases {
		sc := testCache("w_or_wo_comma_names", map[string]string{"name": "text"})
		_, p, e := planRequest(sc, "GET", "/w_or_wo_comma_names", "select=name&"+c.query, nil, nil)
		if e != nil {
			t.Errorf("%s: %v", c.query, e)
			continue
		}
		sql, args := ReadPlanToQuery(p.Read).Render()
		rows, err := conn.Query(ctx, "SELECT name FROM ("+sql+") _t ORDER BY name", args...)
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		want := append([]string(nil), c.want...)
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s:\n got %q\nwant %q", c.query, got, want)
		}
	}
}
