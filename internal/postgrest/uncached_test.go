package postgrest

import (
	"context"
	"testing"

	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// TestCatalogQueriesSurviveDeallocateAll: the transaction stage may send
// DEALLOCATE ALL on a pooled connection (after a schema reload); the
// schema cache and in-database configuration queries run on the same
// connections and must not depend on statements prepared before it.
// Through pgx's statement cache the second load fails with 26000; through
// uncached it succeeds.
func TestCatalogQueriesSurviveDeallocateAll(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	pool := pgtest.NewPool(t, db)
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	load := func(q schemacache.Querier) error {
		_, err := schemacache.Load(ctx, q, []string{"public"}, nil)
		return err
	}
	for _, c := range []struct {
		name  string
		q     schemacache.Querier
		fails bool
	}{{"pgx statement cache", conn, true}, {"uncached", uncached{conn}, false}} {
		if err := load(c.q); err != nil {
			t.Fatalf("%s: first load: %v", c.name, err)
		}
		if _, err := conn.Exec(ctx, "DEALLOCATE ALL"); err != nil {
			t.Fatal(err)
		}
		if err := load(c.q); (err != nil) != c.fails {
			t.Errorf("%s: load after DEALLOCATE ALL: %v (a failure expected: %v)", c.name, err, c.fails)
		}
	}
}
