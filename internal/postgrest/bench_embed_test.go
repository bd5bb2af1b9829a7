package postgrest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authstack/authstack/internal/benchrun"
	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/internal/postgrest/maintx"
	"github.com/authstack/authstack/internal/postgrest/query"
)

// embedBenchSQL: 10 parents, each with an owner (to-one), 10 kids
// (to-many), and a deeper tree for the shape benchmark: 100 children per
// parent, 10 grandchildren for the first 10 children of each parent, 10
// great-grandchildren for each grandchild.
const embedBenchSQL = `
create schema bench;
grant usage on schema bench to basic_subscriber;
-- pgx prepares a batch's statements before sending it, as the
-- authenticator, before the role switch
grant usage on schema bench to authenticator;
create table bench.owners (id int primary key, name text);
create table bench.parents (id int primary key, name text, owner_id int references bench.owners);
create table bench.kids (id int primary key, parent_id int references bench.parents, label text);
create table bench.children (id int primary key, parent_id int references bench.parents, label text);
create table bench.grandchildren (id int primary key, child_id int references bench.children, label text);
create table bench.ggc (id int primary key, grandchild_id int references bench.grandchildren, label text);
create index on bench.kids (parent_id);
create index on bench.children (parent_id);
create index on bench.grandchildren (child_id);
create index on bench.ggc (grandchild_id);
insert into bench.owners select g, 'owner ' || g from generate_series(1, 10) g;
insert into bench.parents select g, 'parent ' || g, g from generate_series(1, 10) g;
insert into bench.kids select g, (g - 1) / 10 + 1, 'kid ' || g from generate_series(1, 100) g;
insert into bench.children select g, (g - 1) / 100 + 1, 'child ' || g from generate_series(1, 1000) g;
insert into bench.grandchildren select row_number() over (), c.id, 'grandchild'
  from bench.children c, generate_series(1, 10) where (c.id - 1) % 100 < 10;
insert into bench.ggc select row_number() over (), gc.id, 'ggc' from bench.grandchildren gc, generate_series(1, 10);
grant select on all tables in schema bench to basic_subscriber;
analyze;
`

// embedBenchPath is the request: 10 parents with a to-one and a
// to-many embed of 10 rows each.
const embedBenchPath = "/parents?select=id,name,owners(name),kids(id,label)&order=id"

// embedStatements renders the transaction the engine runs for a request,
// with the same stages and inputs as ServeHTTP (renderTx), so that the
// baseline sends exactly the engine's SQL.
func embedStatements(tb testing.TB, s *Server, path string, hdr http.Header) (begin string, stmts []query.Stmt) {
	tb.Helper()
	r := httptest.NewRequest("GET", path, nil)
	r.Header = hdr.Clone()
	tx, e := renderTx(s, r, nil)
	if e != nil {
		tb.Fatal(e)
	}
	stmts = []query.Stmt{tx.Main.TxVars}
	if tx.Main.PreReq != nil {
		stmts = append(stmts, *tx.Main.PreReq)
	}
	return maintx.BeginSQL(tx.ReadOnly, tx.Isolation), append(stmts, tx.Main.Main)
}

type embedBench struct {
	e      *engine
	hdr    http.Header
	client *http.Client
	pool   *pgxpool.Pool
}

func newEmbedBench(b *testing.B) *embedBench {
	e := newEngine(b, embedBenchSQL, func(env map[string]string) { env["PGRST_DB_SCHEMAS"] = "bench" })
	tok := tok(b, map[string]any{"role": "basic_subscriber", "exp": time.Now().Unix() + 3600})
	pool, err := pgxpool.New(context.Background(), pgtest.WithUser(e.db, "authenticator", "authpw"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	b.Cleanup(tr.CloseIdleConnections)
	return &embedBench{e: e, hdr: http.Header{"Authorization": {"Bearer " + tok}}, client: &http.Client{Transport: tr}, pool: pool}
}

// engineOnce: one request over HTTP, body read; rows is the number of
// top-level rows expected.
func (eb *embedBench) engineOnce(path string) func() error {
	return func() error {
		req, _ := http.NewRequest("GET", eb.e.url+path, nil)
		req.Header = eb.hdr.Clone()
		resp, err := eb.client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
}

// pgxOnce: the engine's statements through a raw pgx pool as one
// pipelined batch (BEGIN, transaction variables, main statement, COMMIT),
// the body read as raw bytes.
func (eb *embedBench) pgxOnce(b *testing.B, path string) func() error {
	begin, stmts := embedStatements(b, eb.e.srv, path, eb.hdr)
	return func() error {
		ctx := context.Background()
		batch := &pgx.Batch{}
		batch.Queue(begin)
		for _, s := range stmts {
			batch.Queue(s.SQL, s.Args...)
		}
		batch.Queue("COMMIT")
		br := eb.pool.SendBatch(ctx, batch)
		for i := 0; i < len(stmts); i++ {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return err
			}
		}
		rows, err := br.Query()
		if err != nil {
			br.Close()
			return err
		}
		n, col := 0, -1
		for i, fd := range rows.FieldDescriptions() {
			if fd.Name == "body" {
				col = i
			}
		}
		for rows.Next() && col >= 0 {
			n += len(rows.RawValues()[col])
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			br.Close()
			return err
		}
		if n == 0 {
			br.Close()
			return fmt.Errorf("empty body")
		}
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
		return br.Close()
	}
}

// compare runs engine and baseline interleaved in rounds (both see the
// same machine load) at the given concurrency and reports both rates and
// their ratio.
func compare(b *testing.B, clients int, engineOnce, pgxOnce func() error) {
	d := benchrun.Interleave(b, clients, 10, engineOnce, pgxOnce)
	r := benchrun.Rates(b, d)
	b.ReportMetric(r[0], "engine-req/s")
	b.ReportMetric(r[1], "pgx-req/s")
	b.ReportMetric(r[0]/r[1], "ratio")
	b.ReportMetric(float64(d[0].Microseconds())/float64(b.N)*float64(clients), "engine-µs/req")
}

// BenchmarkEmbedRead: authenticated GET of 10 parents with a to-one and a
// to-many (10 children each) embed through the engine (HTTP, JWT, plan,
// one pipelined transaction) against the same statements through a raw
// pgx pool, at 1 and 8 clients.
func BenchmarkEmbedRead(b *testing.B) {
	eb := newEmbedBench(b)
	engineOnce, pgxOnce := eb.engineOnce(embedBenchPath), eb.pgxOnce(b, embedBenchPath)
	if err := engineOnce(); err != nil {
		b.Fatal(err)
	}
	if err := pgxOnce(); err != nil {
		b.Fatal(err)
	}
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { compare(b, clients, engineOnce, pgxOnce) })
	}
}

// shapePath embeds depth levels of the tree, each limited to fanout rows
// (depth 0: the parents alone).
func shapePath(depth, fanout int) string {
	if depth == 0 {
		return "/parents?select=id,name&order=id"
	}
	levels := []string{"children", "grandchildren", "ggc"}
	sel := "id,label"
	for d := depth - 1; d >= 0; d-- {
		sel = fmt.Sprintf("%s(%s)", levels[d], sel)
		if d > 0 {
			sel = "id," + sel
		}
	}
	q := "/parents?select=id,name," + sel + "&order=id"
	prefix := ""
	for d := 0; d < depth; d++ {
		prefix += levels[d]
		q += fmt.Sprintf("&%s.order=id&%s.limit=%d", prefix, prefix, fanout)
		prefix += "."
	}
	return q
}

// BenchmarkEmbedShape: how the time of a request grows with the depth of
// the embedding (fan-out 10 at every level) and with the fan-out (depth
// 1), from the parents alone (depth 0), engine against the same statements
// through pgx, 1 client.
func BenchmarkEmbedShape(b *testing.B) {
	eb := newEmbedBench(b)
	shapes := [][2]int{{0, 0}, {1, 1}, {1, 10}, {1, 50}, {1, 100}, {2, 10}, {3, 10}}
	for _, s := range shapes {
		path := shapePath(s[0], s[1])
		if s[0] > 0 && !strings.Contains(path, "children") {
			b.Fatal(path)
		}
		engineOnce, pgxOnce := eb.engineOnce(path), eb.pgxOnce(b, path)
		if err := engineOnce(); err != nil {
			b.Fatalf("%s: %v", path, err)
		}
		b.Run(fmt.Sprintf("depth=%d/fanout=%d", s[0], s[1]), func(b *testing.B) { compare(b, 1, engineOnce, pgxOnce) })
	}
}
