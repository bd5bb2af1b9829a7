package postgrest

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// uncached runs the engine's own catalog queries (schema cache, in-database
// configuration) as unnamed statements (pgx.QueryExecModeExec), outside
// pgx's per-connection statement cache: the transaction stage deallocates
// the prepared statements of a pooled connection with DEALLOCATE ALL after
// a schema reload (maintx.StmtCache.Invalidate), which would leave pgx's
// cached statements of that connection dangling — each later catalog query
// failing once with 26000 "prepared statement … does not exist", and a
// reload retried with backoff until every cached statement had failed.
type uncached struct{ q schemacache.Querier }

func (u uncached) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return u.q.Query(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
}

func (u uncached) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return u.q.QueryRow(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
}
