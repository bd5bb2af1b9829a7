package authdb_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/migrations"
	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/internal/postgrest/dbcall"
)

// wide gives the stack an API pool of n connections, so that n logins run
// at once (pgxpool's default is max(4, cores)).
func (s *stack) wide(t *testing.T, n int32) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.WithUser(s.url, "authenticator", ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = n
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s.api = pool
}

// try runs one POST /rpc/login from addr ("" = no X-Forwarded-For).
func (s *stack) try(user, pass, addr string) error {
	h := http.Header{}
	if addr != "" {
		h.Set("X-Forwarded-For", "203.0.113.9, "+addr)
	}
	_, err := dbcall.Call(context.Background(), s.api, s.request("/rpc/login", nil, h), "auth.login",
		map[string]any{"user_": user, "pass": pass})
	return err
}

// outcome classifies a login answer: "ok", "401", "429 <message>" or the error.
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	if code(err) == "PT401" {
		return "401"
	}
	if rr, ok := dbcall.AsRaisedResponse(err); ok && rr.Status == 429 && rr.Code == "PT429" {
		return "429 " + rr.Message
	}
	return err.Error()
}

// race runs n logins at once and counts the outcomes.
func race(n int, login func(i int) error) map[string]int {
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			o := outcome(login(i))
			mu.Lock()
			got[o]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return got
}

// Parallel wrong guesses for one user: the attempt is counted before the
// password check, so exactly the limit of them get to check a password.
func TestThrottleParallelGuessesAreCountedExactly(t *testing.T) {
	s := newOurs(t)
	s.wide(t, 16)
	s.app = map[string]string{"login_max_attempts_user": "5", "login_max_concurrency": "16",
		"login_concurrency_wait_ms": "1000"}
	got := race(15, func(int) error { return s.try("demo", "wrong", "") })
	if got["401"] != 5 || got["429 Too many login attempts"] != 10 {
		t.Fatalf("15 parallel wrong guesses: %v, want 5 × 401 and 10 × 429", got)
	}
	// The right password is refused too, then a reset lets it in.
	if o := outcome(s.try("demo", "demo", "")); o != "429 Too many login attempts" {
		t.Fatalf("right password while locked: %s", o)
	}
	var n int
	if err := s.super.QueryRow(context.Background(), "select auth.throttle_reset('user', 'DEMO')").Scan(&n); err != nil || n != 5 {
		t.Fatalf("reset: %d %v", n, err)
	}
	if o := outcome(s.try("demo", "demo", "")); o != "ok" {
		t.Fatalf("after reset: %s", o)
	}
}

// sharedBucket returns a name other than key that 0003's throttle_seq put
// in key's bucket (hashtext % 128).
func sharedBucket(t *testing.T, s *stack, prefix, key string) string {
	t.Helper()
	var name string
	err := s.super.QueryRow(context.Background(), `select $1 || g from generate_series(1, 100000) g
		where (hashtext($1 || g) % 128 + 128) % 128 = (hashtext($2) % 128 + 128) % 128 and $1 || g <> $2 limit 1`,
		prefix, key).Scan(&name)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// Names and addresses that shared a bucket no longer share a counter:
// another user's good logins do not reset demo's failures, and demo's
// lockout does not lock the other user out. Same for addresses.
func TestThrottleCountsPerExactKey(t *testing.T) {
	s := newOurs(t)
	s.app = map[string]string{"login_max_attempts_user": "5", "login_max_attempts_addr": "3"}
	ctx := context.Background()
	other := sharedBucket(t, s, "user", "demo")
	if err := authdb.AddUser(ctx, s.super, other, "other-pw", "basic_subscriber"); err != nil {
		t.Fatal(err)
	}
	t.Run("user", func(t *testing.T) {
		var seen []string
		for i := 0; i < 12; i++ {
			o := outcome(s.try("demo", "wrong", ""))
			seen = append(seen, o)
			if o != "401" {
				break
			}
			if o := outcome(s.try(other, "other-pw", "")); o != "ok" {
				t.Fatalf("%s's login: %s", other, o)
			}
		}
		if len(seen) != 6 || seen[5] != "429 Too many login attempts" {
			t.Fatalf("demo's wrong guesses interleaved with %s's good logins: %v, want 5 × 401 then 429", other, seen)
		}
		if o := outcome(s.try(other, "other-pw", "")); o != "ok" {
			t.Errorf("%s locked out with demo: %s", other, o)
		}
	})

	t.Run("user-lockout", func(t *testing.T) {
		peer := sharedBucket(t, s, "peer", "alice")
		if err := authdb.AddUser(ctx, s.super, peer, "peer-pw", "basic_subscriber"); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if o := outcome(s.try("alice", "wrong", "")); o != "401" {
				t.Fatalf("alice's failure %d: %s", i+1, o)
			}
		}
		if o := outcome(s.try(peer, "peer-pw", "")); o != "ok" {
			t.Errorf("%s locked out with alice: %s", peer, o)
		}
	})

	t.Run("addr", func(t *testing.T) {
		addrA := "198.51.100.1"
		addrB := sharedBucket(t, s, "198.51.", addrA)
		for i := 0; i < 3; i++ {
			if o := outcome(s.try("nouser"+strconv.Itoa(i), "x", addrA)); o != "401" {
				t.Fatalf("address failure %d: %s", i+1, o)
			}
		}
		if o := outcome(s.try(other, "other-pw", addrA)); o != "429 Too many login attempts" {
			t.Fatalf("address %s after 3 failures: %s", addrA, o)
		}
		if o := outcome(s.try(other, "other-pw", addrB)); o != "ok" {
			t.Errorf("address %s locked out with %s: %s", addrB, addrA, o)
		}
	})
}

// A good login takes back its own attempt from the address counter, which
// keeps counting failures only (as before the attempt was counted first).
func TestThrottleAddressCountsFailuresOnly(t *testing.T) {
	s := newOurs(t)
	s.app = map[string]string{"login_max_attempts_addr": "3"}
	const addr = "192.0.2.77"
	for i := 0; i < 5; i++ {
		if o := outcome(s.try("alice", "alice", addr)); o != "ok" {
			t.Fatalf("good login %d: %s", i+1, o)
		}
	}
	for i := 0; i < 3; i++ {
		if o := outcome(s.try("nobody", "x", addr)); o != "401" {
			t.Fatalf("failure %d: %s", i+1, o)
		}
	}
	if o := outcome(s.try("alice", "alice", addr)); o != "429 Too many login attempts" {
		t.Fatalf("after 3 failures: %s", o)
	}
}

// The table is bounded: a full table fails closed with 429, and entries
// whose window ended are reused. Nothing of it is readable by the API roles.
func TestThrottleTableBoundedAndPrivate(t *testing.T) {
	s := newOurs(t)
	ctx := context.Background()
	var slots, seqs int
	if err := s.super.QueryRow(ctx, `select auth.throttle_slots(), (select count(*) from pg_class
		where relkind = 'S' and relnamespace = 'auth_throttle'::regnamespace)`).Scan(&slots, &seqs); err != nil {
		t.Fatal(err)
	}
	if seqs != 4*slots {
		t.Fatalf("%d sequences for %d slots", seqs, slots)
	}
	// Fill every user slot with a live entry of some other key.
	fill := `select auth.throttle_write('user', i, 1000 + i, extract(epoch from now())::bigint - $1, 1)
		from generate_series(0, auth.throttle_slots() - 1) i`
	if _, err := s.super.Exec(ctx, fill, 0); err != nil {
		t.Fatal(err)
	}
	err := s.try("newname", "x", "")
	if o := outcome(err); o != "429 Too many login attempts" {
		t.Fatalf("login with a full table: %s, want 429 (fail closed)", o)
	}
	if rr, _ := dbcall.AsRaisedResponse(err); rr.Headers["Retry-After"] != "900" && rr.Headers["Retry-After"] != "899" {
		t.Errorf("Retry-After with a full table = %q, want the soonest window end", rr.Headers["Retry-After"])
	}
	// Same entries, windows over: the slots are free again.
	if _, err := s.super.Exec(ctx, fill, 900); err != nil {
		t.Fatal(err)
	}
	if o := outcome(s.try("newname", "x", "")); o != "401" {
		t.Fatalf("login with an expired table: %s", o)
	}
	var live int
	if err := s.super.QueryRow(ctx, "select live from auth.throttle_summary() where kind = 'user'").Scan(&live); err != nil || live != 1 {
		t.Errorf("live user entries = %d (%v), want 1", live, err)
	}

	for _, q := range []string{
		"select secret from auth.throttle_secret",
		"select pg_sequence_last_value('auth_throttle.user_fp_0')",
		"select last_value from auth_throttle.user_st_0",
		"select * from auth.throttle_status('user', 'demo')",
		"select auth.throttle_reset('user', 'demo')",
		"select * from auth.throttle_summary()",
		"select auth.throttle_take('demo', null, 5, 5, 900)",
	} {
		for _, role := range []string{"anon", "basic_subscriber", "authenticator"} {
			tx, err := s.api.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, "set local role "+role); err != nil {
				t.Fatal(err)
			}
			_, err = tx.Exec(ctx, q)
			tx.Rollback(ctx)
			if code(err) != "42501" {
				t.Errorf("%s as %s: %v, want permission denied", q, role, err)
			}
		}
	}
}

// At most login_max_concurrency password checks run at once; the others
// get 429 with Retry-After: 1 after a short wait and are not counted.
func TestLoginConcurrencyIsBounded(t *testing.T) {
	s := newOurs(t)
	s.wide(t, 24)
	s.app = map[string]string{"login_max_concurrency": "2", "login_concurrency_wait_ms": "5",
		"login_max_attempts_addr": "1000", "login_max_attempts_user": "1000"}
	ctx := context.Background()
	var maxHeld, samples atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			var n int64
			if err := s.super.QueryRow(ctx, `select count(*) from pg_locks where locktype = 'advisory' and granted
				and classid = hashtext('auth.login_concurrency')::oid and objsubid = 2`).Scan(&n); err == nil {
				samples.Add(1)
				for m := maxHeld.Load(); n > m && !maxHeld.CompareAndSwap(m, n); m = maxHeld.Load() {
				}
			}
		}
	}()
	const addr = "198.51.100.50"
	var busyRetry atomic.Value
	got := race(24, func(i int) error {
		err := s.try(fmt.Sprintf("flood%d", i), "x", addr)
		if rr, ok := dbcall.AsRaisedResponse(err); ok && rr.Message == "Too many concurrent logins" {
			busyRetry.Store(rr.Headers["Retry-After"])
		}
		return err
	})
	close(stop)
	<-done
	busy := got["429 Too many concurrent logins"]
	if got["401"]+busy != 24 || busy == 0 || got["401"] == 0 {
		t.Fatalf("24 racing logins, 2 slots: %v, want some 401 and the rest 429 busy", got)
	}
	if v, _ := busyRetry.Load().(string); v != "1" {
		t.Errorf("busy Retry-After = %q, want 1", v)
	}
	if m := maxHeld.Load(); m < 1 || m > 2 {
		t.Errorf("bcrypt slots held at once: max %d over %d samples, want 1..2", m, samples.Load())
	}
	// Rejected logins checked no password and are not counted.
	var attempts int
	if err := s.super.QueryRow(ctx, "select attempts from auth.throttle_status('addr', $1)", addr).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if attempts != got["401"] {
		t.Errorf("address attempts = %d, want the %d checked passwords", attempts, got["401"])
	}
}

// The down migration restores 0003's bucket throttle, which still works,
// and up again brings the exact one back.
func TestThrottleMigrationDownUp(t *testing.T) {
	s := newOurs(t)
	s.app = map[string]string{"login_max_attempts_user": "2"}
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(s.url)
	if err != nil {
		t.Fatal(err)
	}
	mg, err := migrations.Open(ctx, cfg, migrations.Options{Vars: map[string]string{"JWT_SECRET": s.secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer mg.Close()
	st, err := mg.Status()
	if err != nil {
		t.Fatal(err)
	}
	above4 := 0 // this one, and 0005 when present
	for _, m := range st {
		if m.Applied && m.Version > 4 {
			above4++
		}
	}
	for _, step := range []struct {
		down    bool
		ownFunc bool // auth.throttle_slots exists
	}{{true, false}, {false, true}} {
		if step.down {
			err = mg.Down(above4)
		} else {
			err = mg.Up(0)
		}
		if err != nil {
			t.Fatal(err)
		}
		var exists, task bool
		if err := s.super.QueryRow(ctx, "select to_regprocedure('auth.throttle_slots()') is not null, to_regclass('public.task') is not null").Scan(&exists, &task); err != nil || exists != step.ownFunc || !task {
			t.Fatalf("down=%v: throttle_slots exists = %v, task table %v (%v)", step.down, exists, task, err)
		}
		user := fmt.Sprintf("nobody-%v", step.down)
		seen := []string{outcome(s.try(user, "x", "")), outcome(s.try(user, "x", "")), outcome(s.try(user, "x", ""))}
		if seen[0] != "401" || seen[1] != "401" || seen[2] != "429 Too many login attempts" {
			t.Errorf("down=%v: 3 failures with a limit of 2: %v", step.down, seen)
		}
		if o := outcome(s.try("alice", "alice", "")); o != "ok" {
			t.Errorf("down=%v: alice: %s", step.down, o)
		}
	}
}

// The table lock is session-level (released before bcrypt), so every way
// out of the critical section must release it: an error inside it, and a
// lock wait that times out. Pooled connections must not keep it.
func TestThrottleLockNeverLeaks(t *testing.T) {
	s := newOurs(t)
	ctx := context.Background()
	held := func(conn *pgxpool.Conn) int {
		var n int
		if err := conn.QueryRow(ctx, `select count(*) from pg_locks where locktype = 'advisory'
			and classid = hashtext('auth_throttle.table')::oid and pid = pg_backend_pid()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	conn, err := s.super.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	// An error inside the critical section (no secret to hash with).
	if _, err := conn.Exec(ctx, "alter table auth.throttle_secret rename to throttle_secret_"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "select auth.throttle_take('demo', null, 5, 5, 900)"); err == nil {
		t.Fatal("throttle_take without its secret table succeeded")
	}
	if n := held(conn); n != 0 {
		t.Errorf("table lock held %d times after an error in the critical section", n)
	}
	if _, err := conn.Exec(ctx, "alter table auth.throttle_secret_ rename to throttle_secret"); err != nil {
		t.Fatal(err)
	}

	// A holder that never lets go: logins fail after lock_timeout instead
	// of hanging, and work again once it is gone.
	if _, err := conn.Exec(ctx, "select pg_advisory_lock(hashtext('auth_throttle.table'), 0)"); err != nil {
		t.Fatal(err)
	}
	if err := s.try("demo", "wrong", ""); code(err) != "55P03" {
		t.Errorf("login while the table lock is stuck: %v, want lock timeout 55P03", err)
	}
	if _, err := conn.Exec(ctx, "select pg_advisory_unlock(hashtext('auth_throttle.table'), 0)"); err != nil {
		t.Fatal(err)
	}
	if n := held(conn); n != 0 {
		t.Fatalf("test lock still held %d times", n)
	}
	for i := 0; i < 3; i++ { // every pooled API connection works again
		if o := outcome(s.try("alice", "alice", "")); o != "ok" {
			t.Fatalf("login after the holder left: %s", o)
		}
	}
}
