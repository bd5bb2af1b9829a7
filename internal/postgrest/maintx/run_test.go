package maintx_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/maintx"
	"github.com/authstack/authstack/internal/postgrest/query"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The transaction stage on its own (MainTx.hs mainTx@v16.2): statements
// built by hand, the behaviour of Run checked on a real PostgreSQL.

const setup = `create table t (id int primary key, v text);
insert into t values (1, 'a'), (2, 'b');`

// mainOf is a read's main statement (six columns, MainTx.hs standardRow
// noLocation) over t's rows matching where.
func mainOf(where string) query.Stmt {
	return query.Stmt{SQL: `select null::bigint, count(*), coalesce(json_agg(t)::text, '[]'),
		nullif(current_setting('response.headers', true), ''), nullif(current_setting('response.status', true), ''), null::bigint
		from t where ` + where}
}

func txOf(main query.Stmt) maintx.Tx {
	vars := query.TxVars(query.Request{Schema: "public", Role: "postgres", Method: "GET", Path: "/t"}, nil).Stmt()
	return maintx.Tx{ReadOnly: true, Main: query.MainQuery{TxVars: vars, Main: main}}
}

func open(t *testing.T) (*pgxpool.Pool, *pgxpool.Conn) {
	t.Helper()
	pool := pgtest.NewPool(t, pgtest.NewDatabase(t))
	if _, err := pool.Exec(context.Background(), setup); err != nil {
		t.Fatal(err)
	}
	c, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Release)
	return pool, c
}

func TestRunReadsTheMainRow(t *testing.T) {
	for _, prepared := range []bool{true, false} {
		_, c := open(t)
		cache := maintx.NewStmtCache()
		tx := txOf(mainOf("id = 1"))
		tx.Prepared = prepared
		for i := 0; i < 3; i++ { // prepared statements are reused from the second run
			rs, err := maintx.Run(context.Background(), c.Conn(), cache, tx)
			if err != nil {
				t.Fatalf("prepared=%v run %d: %v", prepared, i, err)
			}
			if rs.QueryTotal != 1 || string(rs.Body) != `[{"id":1,"v":"a"}]` || rs.TableTotal != nil {
				t.Fatalf("prepared=%v: %+v body %s", prepared, rs, rs.Body)
			}
			if st := c.Conn().PgConn().TxStatus(); st != 'I' {
				t.Fatalf("transaction left open: %c", st)
			}
		}
	}
}

// A check that fails after the main statement rolls back what it did.
func TestRunSingularCheckRollsBack(t *testing.T) {
	pool, c := open(t)
	tx := txOf(query.Stmt{SQL: `with d as (delete from t returning *) select null::bigint, count(*), '[]',
		null::text, null::text, null::bigint from d`})
	tx.ReadOnly, tx.Singular = false, true
	_, err := maintx.Run(context.Background(), c.Conn(), maintx.NewStmtCache(), tx)
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Code != "PGRST116" {
		t.Fatalf("err %v, want PGRST116", err)
	}
	var n int
	if err := pool.QueryRow(context.Background(), "select count(*) from t").Scan(&n); err != nil || n != 2 {
		t.Errorf("rows after the rolled back delete: %d (%v)", n, err)
	}
}

// A failing statement in the pipeline is the error, the transaction is
// rolled back and the connection serves the next request.
func TestRunErrorLeavesTheConnectionUsable(t *testing.T) {
	_, c := open(t)
	cache := maintx.NewStmtCache()
	tx := txOf(mainOf("id = 1 / 0"))
	tx.Prepared = true
	_, err := maintx.Run(context.Background(), c.Conn(), cache, tx)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22012" {
		t.Fatalf("err %v, want 22012", err)
	}
	rs, err := maintx.Run(context.Background(), c.Conn(), cache, txOf(mainOf("true")))
	if err != nil || rs.QueryTotal != 2 {
		t.Fatalf("next run: %+v %v", rs, err)
	}
}

// Prefer: tx=rollback ends the transaction with ROLLBACK after the main
// statement ran, and response.status is read back.
func TestRunRollbackEnd(t *testing.T) {
	pool, c := open(t)
	tx := txOf(query.Stmt{SQL: `with d as (delete from t returning *) select null::bigint, count(*), '[]',
		null::text, set_config('response.status', '202', true), null::bigint from d`})
	tx.ReadOnly, tx.Rollback = false, true
	rs, err := maintx.Run(context.Background(), c.Conn(), maintx.NewStmtCache(), tx)
	if err != nil || rs.QueryTotal != 2 || rs.GucStatus == nil || *rs.GucStatus != "202" {
		t.Fatalf("%+v %v", rs, err)
	}
	var n int
	if err := pool.QueryRow(context.Background(), "select count(*) from t").Scan(&n); err != nil || n != 2 {
		t.Errorf("rows after tx=rollback: %d (%v)", n, err)
	}
}

func TestBeginSQL(t *testing.T) {
	for _, c := range []struct {
		ro   bool
		iso  string
		want string
	}{
		{true, "", "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"},
		{false, "serializable", "BEGIN ISOLATION LEVEL SERIALIZABLE READ WRITE"},
		{false, " Repeatable Read ", "BEGIN ISOLATION LEVEL REPEATABLE READ READ WRITE"},
		{true, "sometimes; drop table t", "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"},
	} {
		if got := maintx.BeginSQL(c.ro, c.iso); got != c.want {
			t.Errorf("BeginSQL(%v, %q) = %q, want %q", c.ro, c.iso, got, c.want)
		}
	}
}
