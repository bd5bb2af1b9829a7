package postgrest

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/pgtest"
)

// A request that arrives while the first schema cache load runs is
// answered once it is done, not with 503 PGRST002: PostgREST serves its
// main socket only after that first attempt (App.hs run@v16.2,
// waitForSchemaCacheInit). The load is held on a lock on pg_proc.
func TestServesAfterFirstSchemaCacheLoad(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	pool := pgtest.NewPool(t, db)
	ctx := context.Background()
	setupRoles(t, ctx, pool)
	if _, err := pool.Exec(ctx, fixtureSQL); err != nil {
		t.Fatal(err)
	}
	// The monitoring query runs once before the lock, so that its
	// connection has the catalog entries it needs cached.
	mon, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Release()
	const waiting = `select count(*) from pg_stat_activity
		where datname = current_database() and usename = 'authenticator' and wait_event_type = 'Lock'`
	var n int
	if err := mon.QueryRow(ctx, waiting).Scan(&n); err != nil {
		t.Fatal(err)
	}
	locker, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Rollback(ctx) //nolint:errcheck
	if _, err := locker.Exec(ctx, "lock table pg_catalog.pg_proc in access exclusive mode"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PGRST_DB_URI": pgtest.WithUser(db, "authenticator", "authpw"), "PGRST_DB_ANON_ROLE": "anon",
		"PGRST_SERVER_HOST": "127.0.0.1", "PGRST_DB_CHANNEL_ENABLED": "false"}
	cfg, err := LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(cfg, io.Discard)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(runCtx, ln, nil) }()
	defer func() { cancel(); <-done }()

	type answer struct {
		status int
		err    error
	}
	got := make(chan answer, 1)
	go func() {
		c := &http.Client{Timeout: 60 * time.Second}
		resp, err := c.Get("http://" + ln.Addr().String() + "/items")
		if err != nil {
			got <- answer{err: err}
			return
		}
		resp.Body.Close()
		got <- answer{status: resp.StatusCode}
	}()
	// Wait until the schema cache query waits for the lock, then free it.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := mon.QueryRow(ctx, waiting).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the schema cache query never waited for the lock")
		}
	}
	select {
	case a := <-got:
		t.Fatalf("answered while the first load ran: %d %v", a.status, a.err)
	default:
	}
	if err := locker.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	a := <-got
	if a.err != nil || a.status != http.StatusOK {
		t.Fatalf("after the load: %d %v", a.status, a.err)
	}
}
