package postgrest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/internal/postgrest/maintx"
)

// BenchmarkTaskRead measures authenticated `GET /task?select=*&limit=10`
// through the engine (real HTTP on 127.0.0.1, JWT check, maintx
// transaction) against a raw pgx pool running the same transaction
// statements (BEGIN … READ ONLY, the set_config select, the same main
// statement, COMMIT) at the same concurrency, in the same run, interleaved
// in rounds. It reports
// both throughputs and their ratio (engine / pgx).
func BenchmarkTaskRead(b *testing.B) {
	e := newStackEngineTB(b)
	key := flowKey()
	tok := sign(b, key, nil, map[string]any{"role": "basic_subscriber", "sub": "alice", "exp": time.Now().Unix() + 3600})
	basePool, err := pgxpool.New(context.Background(), pgtest.WithUser(e.db, "authenticator", "authpw"))
	if err != nil {
		b.Fatal(err)
	}
	defer basePool.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()

	engineOnce := func() error {
		req, _ := http.NewRequest("GET", e.url+"/task?select=*&limit=10", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
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
	hdr := http.Header{"Authorization": {"Bearer " + tok}}
	mainSQL := `WITH pgrst_source AS (SELECT * FROM "public"."task" LIMIT 10 OFFSET 0) SELECT NULL::bigint, pg_catalog.count(_postgrest_t), ` +
		`coalesce(json_agg(_postgrest_t), '[]')::text, nullif(current_setting('response.headers', true), ''), nullif(current_setting('response.status', true), ''), NULL::int FROM (SELECT * FROM pgrst_source) _postgrest_t`
	pgxOnce := func() error {
		ctx := context.Background()
		tx, err := maintx.Begin(ctx, basePool, maintx.Request{
			Schema: "public", Role: "basic_subscriber", Claims: map[string]any{"role": "basic_subscriber", "sub": "alice"},
			Method: "GET", Path: "/task", Headers: hdr, AppSettings: map[string]string{"JWT_EXP": "3600"}, ReadOnly: true,
		})
		if err != nil {
			return err
		}
		var total *int64
		var n int64
		var body, h, s *string
		var ins *int64
		if err := tx.QueryRow(ctx, mainSQL).Scan(&total, &n, &body, &h, &s, &ins); err != nil {
			tx.Rollback(ctx)
			return err
		}
		if n != 10 {
			return fmt.Errorf("rows %d", n)
		}
		return tx.Commit(ctx)
	}
	if err := engineOnce(); err != nil {
		b.Fatal(err)
	}
	if err := pgxOnce(); err != nil {
		b.Fatal(err)
	}
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			run := func(f func() error, n int) time.Duration {
				var next atomic.Int64
				var wg sync.WaitGroup
				var failed atomic.Value
				start := time.Now()
				for c := 0; c < clients; c++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for next.Add(1) <= int64(n) {
							if err := f(); err != nil {
								failed.Store(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				if err, ok := failed.Load().(error); ok {
					b.Fatal(err)
				}
				return time.Since(start)
			}
			// Interleave engine and baseline in rounds so that both see the
			// same machine load.
			b.ResetTimer()
			var de, dp time.Duration
			const rounds = 10
			for r := 0; r < rounds; r++ {
				n := b.N / rounds
				if r == rounds-1 {
					n = b.N - n*(rounds-1)
				}
				de += run(engineOnce, n)
				dp += run(pgxOnce, n)
			}
			b.StopTimer()
			engRate := float64(b.N) / de.Seconds()
			pgxRate := float64(b.N) / dp.Seconds()
			b.ReportMetric(engRate, "engine-req/s")
			b.ReportMetric(pgxRate, "pgx-req/s")
			b.ReportMetric(engRate/pgxRate, "ratio")
		})
	}
}
