package postgrest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/maintx"
	"github.com/authstack/authstack/internal/postgrest/plan"
)

// renderTx runs a request through the stages that precede the database,
// as ServeHTTP does: authentication, the API request, the plan and the
// transaction's statements.
func renderTx(s *Server, r *http.Request, body []byte) (maintx.Tx, *apierr.Error) {
	conf := s.conf()
	res, e := s.authn().Authenticate(r.Header)
	if e != nil {
		return maintx.Tx{}, e
	}
	sc := s.cache.Load()
	a, e := apirequest.Parse(r, body, conf.apiRequestOptions())
	if e != nil {
		return maintx.Tx{}, e
	}
	p, e := plan.Build(a, sc, conf.planOptions())
	if e != nil {
		return maintx.Tx{}, e
	}
	if !a.Action.IsDb() {
		return maintx.Tx{}, nil
	}
	return s.planTx(conf, sc, res, a, p), nil
}

// fuzzMethods are the methods FuzzStagesSQL picks from.
var fuzzMethods = []string{"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"}

// FuzzStagesSQL: whatever the request (method, path, query string, Prefer,
// Accept, Content-Type, body), the stages before the database answer a
// client error or render statements that PostgreSQL parses: a syntax
// error would mean that some input reached the SQL text unquoted. The
// statements are parsed and analysed on the film database (Parse and
// Describe, never executed), as the role the request runs as.
func FuzzStagesSQL(f *testing.F) {
	e := newEngine(f, embedFixtureSQL, func(env map[string]string) {
		env["PGRST_DB_SCHEMAS"] = "cinema"
		env["PGRST_DB_AGGREGATES_ENABLED"] = "true"
		env["PGRST_DB_PLAN_ENABLED"] = "true"
		env["PGRST_DB_TX_END"] = "commit-allow-override"
	})
	pool, err := pgxpool.New(context.Background(), e.db)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(pool.Close)
	for _, s := range stagesSeeds {
		f.Add(s.method, s.path, s.query, s.prefer, s.accept, s.contentType, s.body)
	}
	f.Fuzz(func(t *testing.T, method uint8, path, rawQuery, prefer, accept, contentType, body string) {
		u, err := url.Parse("http://localhost" + path)
		if err != nil || !strings.HasPrefix(path, "/") {
			return
		}
		r := &http.Request{Method: fuzzMethods[int(method)%len(fuzzMethods)], URL: &url.URL{Path: u.Path, RawQuery: rawQuery},
			Header: http.Header{}, Host: "localhost"}
		for k, v := range map[string]string{"Prefer": prefer, "Accept": accept, "Content-Type": contentType} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		tx, ae := renderTx(e.srv, r, []byte(body))
		if ae != nil {
			if ae.Status >= 500 {
				t.Fatalf("%s %s?%s: %d %s %s", r.Method, path, rawQuery, ae.Status, ae.Code, ae.Message)
			}
			return
		}
		if tx.Main.Main.SQL == "" {
			return // answered without the database (OPTIONS, the OpenAPI root)
		}
		if err := parseTx(pool, tx); err != nil {
			t.Fatalf("%s %s?%s (Prefer %q, Accept %q, Content-Type %q): %v", r.Method, path, rawQuery, prefer, accept, contentType, err)
		}
	})
}

// parseTx has PostgreSQL parse and analyse the transaction's statements
// after the request's settings, in a transaction it rolls back. It fails
// on a syntax error or a statement text that cannot be sent.
func parseTx(pool *pgxpool.Pool, tx maintx.Tx) error {
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	pc := conn.Conn().PgConn()
	defer func() { _ = pc.Exec(ctx, "ROLLBACK").Close() }()
	stmts := []string{tx.Main.TxVars.SQL, tx.Main.Main.SQL}
	if tx.Main.Explain != nil {
		stmts = append(stmts, tx.Main.Explain.SQL)
	}
	for _, sql := range stmts {
		if bytes.IndexByte([]byte(sql), 0) >= 0 {
			return errors.New("NUL byte in the statement text")
		}
	}
	if _, err := pc.Exec(ctx, "BEGIN").ReadAll(); err != nil {
		return fmt.Errorf("BEGIN: %w", err)
	}
	vals := make([][]byte, len(tx.Main.TxVars.Args))
	for i, a := range tx.Main.TxVars.Args {
		vals[i] = []byte(a.(string)) // the settings are text
	}
	if err := pc.ExecParams(ctx, tx.Main.TxVars.SQL, vals, nil, nil, nil).Read().Err; err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	for _, sql := range stmts[1:] {
		if _, err := pc.Prepare(ctx, "", sql, nil); err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code != "42601" {
				return nil // a database error the engine maps, not a rendering error
			}
			return err
		}
	}
	return nil
}

type stagesSeed struct {
	method                                         uint8
	path, query, prefer, accept, contentType, body string
}

// stagesSeeds cover each kind of plan on the film database.
var stagesSeeds = []stagesSeed{
	{0, "/films", "select=id,title,directors(last_name),roles(character,actors(*))&year=gte.1990&order=year.desc.nullslast&limit=2", "", "", "", ""},
	{0, "/films", "select=title,...directors(dir:last_name)&or=(year.lt.1990,and(rating.gt.8,language.eq.en))", "count=exact", "", "", ""},
	{0, "/films", "select=id,meta->budget->>usd::int,meta->tags->0&meta->>tags=like.*crime*", "count=planned", "text/csv", "", ""},
	{0, "/films", "select=language,count(),rating.avg()::text&rating=not.is.null", "", "application/vnd.pgrst.plan+json; options=verbose", "", ""},
	{0, "/directors", "select=*,films!inner(title)&films.year=in.(1992,1994)&films.order=id&films.limit=1", "", "application/vnd.pgrst.object", "", ""},
	{0, "/employees", "select=last_name,supervisor(last_name),supervisees(count)&supervisees=not.is.null", "", "", "", ""},
	{0, "/orders", "select=name,billing(city),shipping:addresses!shipping(city)", "", "", "", ""},
	{0, "/rpc/films_of", "y=1994&select=title,directors(*)&title=fts(english).pulp", "", "", "", ""},
	{2, "/films", "columns=id,title&select=id,title,directors(last_name)", "return=representation,missing=default,tx=rollback", "", "application/json", `[{"id":90,"title":"x"},{"id":91}]`},
	{2, "/actors", "", "resolution=merge-duplicates,return=representation", "", "text/csv", "id,first_name,last_name\n7,\"A \"\"b\"\"\",C\n"},
	{3, "/films", "id=eq.1&select=id,posters(url)", "return=representation,max-affected=1,handling=strict,tx=rollback", "", "application/json", `{"title":"y"}`},
	{4, "/actors", "id=eq.9", "return=representation,tx=rollback", "", "application/json", `{"id":9,"first_name":"z","last_name":"q"}`},
	{5, "/roles", "film_id=eq.1&actor_id=eq.2&select=*,films(title)", "return=representation,tx=rollback", "", "", ""},
	{2, "/rpc/film", "select=title", "params=single-object", "", "application/json", `{"fid":1}`},
	{0, "/films", "select=t:title,\"$1\":id,\"a\\\"b\"&title=eq.'); drop table x;--&id=not.in.(\"1\",\"2\\\"\")&\"we\"\"ird\"=is.null", "", "", "", ""},
	{0, "/films", "select=id,year::text,directors(last_name)&order=directors(last_name).asc,year&limit=3&offset=1", "", "", "", ""},
	{1, "/film_listing", "select=title,directors_v(*)", "count=estimated", "", "", ""},
	{0, "/", "", "", "", "", ""},
	{0, "/screenings", "select=starts,screens(seats)&screens.seats=gt.50", "", "text/plain", "", ""},
}
