package postgrest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authstack/authstack/internal/benchrun"
	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/internal/postgrest/maintx"
	"github.com/authstack/authstack/internal/postgrest/query"
)

// BenchmarkTaskRead measures authenticated `GET /task?select=*&limit=10`
// through the engine (real HTTP on 127.0.0.1, JWT check, the stages, one
// pipelined transaction) against two raw pgx baselines that run the very
// statements the engine renders for that request (BEGIN … READ ONLY, the
// settings, the main statement, COMMIT):
//
//   - pgx: each statement its own round trip, as a pgx.Tx would;
//   - pipelined: all four in one pgx batch, one round trip — the floor for
//     a PostgREST-shaped request;
//   - http-floor: a net/http handler that runs that batch and answers its
//     body — the floor for an engine served over HTTP.
//
// The three run at the same concurrency in interleaved rounds (so they see
// the same machine load) and the benchmark reports their rates and the
// ratios engine/pgx and engine/pipelined.
func BenchmarkTaskRead(b *testing.B) {
	e := newStackEngineTB(b)
	tok := sign(b, flowKey(), nil, map[string]any{"role": "basic_subscriber", "sub": "alice", "exp": time.Now().Unix() + 3600})
	stmts := taskReadStatements(b, e, tok)
	basePool, err := pgxpool.New(context.Background(), pgtest.WithUser(e.db, "authenticator", "authpw"))
	if err != nil {
		b.Fatal(err)
	}
	defer basePool.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()

	path := "/task?select=*&limit=10"
	engineOnce := func() error { return getOK(client, e.url+path, "Bearer "+tok) }
	pgxOnce := func() error {
		ctx := context.Background()
		conn, err := basePool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		for _, s := range stmts {
			if _, err := conn.Exec(ctx, s.SQL, s.Args...); err != nil {
				return err
			}
		}
		return nil
	}
	pipelinedOnce := func() error {
		batch := &pgx.Batch{}
		for _, s := range stmts {
			batch.Queue(s.SQL, s.Args...)
		}
		return basePool.SendBatch(context.Background(), batch).Close()
	}
	floor := httpFloor(basePool, stmts)
	defer floor.Close()
	floorOnce := func() error { return getOK(client, floor.URL+path, "") }
	for _, f := range []func() error{engineOnce, pgxOnce, pipelinedOnce, floorOnce} {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			rates := benchrun.Rates(b, benchrun.Interleave(b, clients, 10, engineOnce, pgxOnce, pipelinedOnce, floorOnce))
			b.ReportMetric(rates[0], "engine-req/s")
			b.ReportMetric(rates[1], "pgx-req/s")
			b.ReportMetric(rates[2], "pipelined-req/s")
			b.ReportMetric(rates[3], "http-floor-req/s")
			b.ReportMetric(rates[0]/rates[1], "ratio-pgx")
			b.ReportMetric(rates[0]/rates[2], "ratio-pipelined")
			b.ReportMetric(rates[0]/rates[3], "ratio-http-floor")
		})
	}
}

// getOK sends a GET, reads the whole body and wants a 200.
func getOK(client *http.Client, url, authorization string) error {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return err
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: status %d: %.200s", url, resp.StatusCode, body)
	}
	return nil
}

// httpFloor is the floor of any HTTP engine: a handler that runs the
// benchmark's statements as one pipelined batch and answers the main
// statement's body, with no authentication, parsing or planning.
func httpFloor(pool *pgxpool.Pool, stmts []query.Stmt) *httptest.Server {
	mainIdx := len(stmts) - 2 // the statement before COMMIT
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		batch := &pgx.Batch{}
		var body []byte
		for i, s := range stmts {
			q := batch.Queue(s.SQL, s.Args...)
			if i == mainIdx {
				q.Query(func(rows pgx.Rows) error {
					return scanBody(rows, &body)
				})
			}
		}
		if err := pool.SendBatch(r.Context(), batch).Close(); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(body)
	}))
}

// taskReadStatements renders, with the engine's own stages (renderTx),
// the transaction of the benchmark's request with tok.
func taskReadStatements(b testing.TB, e *engine, tok string) []query.Stmt {
	r := &http.Request{Method: "GET", URL: &url.URL{Path: "/task", RawQuery: "select=*&limit=10"}, Host: "127.0.0.1",
		Header: http.Header{"Authorization": {"Bearer " + tok}}}
	tx, ae := renderTx(e.srv, r, nil)
	if ae != nil {
		b.Fatal(ae)
	}
	stmts := []query.Stmt{{SQL: maintx.BeginSQL(tx.ReadOnly, tx.Isolation)}, tx.Main.TxVars}
	if tx.Main.PreReq != nil {
		stmts = append(stmts, *tx.Main.PreReq)
	}
	return append(stmts, tx.Main.Main, query.Stmt{SQL: "COMMIT"})
}

// scanBody reads the main statement's body column, whatever the others.
func scanBody(rows pgx.Rows, body *[]byte) error {
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		for i, fd := range rows.FieldDescriptions() {
			if fd.Name == "body" {
				switch v := vals[i].(type) {
				case string:
					*body = []byte(v)
				case []byte:
					*body = v
				default:
					*body, _ = json.Marshal(v)
				}
			}
		}
	}
	return rows.Err()
}
