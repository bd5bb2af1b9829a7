package maintx

import (
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
)

// MaxPrepared bounds the statements prepared on one connection; past it
// the connection's statements are deallocated and prepared again.
const MaxPrepared = 1024

// StmtCache names the statements prepared on each connection. Statements
// are prepared in the request's own pipeline, after BEGIN and the
// settings, so that they are parsed with the request's search_path and
// role as PostgreSQL would parse them unprepared.
type StmtCache struct {
	mu    sync.Mutex
	conns map[*pgconn.PgConn]*connStmts
	gen   int // bumped by Invalidate
}

type connStmts struct {
	names   map[string]*pgconn.StatementDescription // sql → confirmed prepared statement
	pending map[string]string                       // sql → name, sent but not yet confirmed
	seq     int
	gen     int
}

// NewStmtCache returns an empty cache.
func NewStmtCache() *StmtCache { return &StmtCache{conns: map[*pgconn.PgConn]*connStmts{}} }

// Invalidate makes every connection deallocate its statements before its
// next request (the schema changed: a prepared statement could keep an old
// column type).
func (c *StmtCache) Invalidate() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

// stale reports whether pc's statements predate Invalidate; the caller
// then deallocates them and calls Reset.
func (c *StmtCache) stale(pc *pgconn.PgConn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.conns[pc]
	return cs != nil && cs.gen != c.gen && len(cs.names) > 0
}

func (c *StmtCache) get(pc *pgconn.PgConn) *connStmts {
	cs := c.conns[pc]
	if cs == nil {
		cs = &connStmts{names: map[string]*pgconn.StatementDescription{}, pending: map[string]string{}, gen: c.gen}
		c.conns[pc] = cs
	}
	return cs
}

// lookup returns sql's prepared statement on pc; without one, the name to
// prepare it under and whether it must be prepared (false when this same
// pipeline already prepares it).
func (c *StmtCache) lookup(pc *pgconn.PgConn, sql string) (sd *pgconn.StatementDescription, name string, prepare bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.get(pc)
	if sd, ok := cs.names[sql]; ok {
		return sd, sd.Name, false
	}
	if n, ok := cs.pending[sql]; ok {
		return nil, n, false
	}
	cs.seq++
	n := "pgrst_" + strconv.Itoa(cs.seq)
	cs.pending[sql] = n
	return nil, n, true
}

// confirm records the statement prepared on pc.
func (c *StmtCache) confirm(pc *pgconn.PgConn, sd *pgconn.StatementDescription) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs := c.conns[pc]; cs != nil {
		if _, ok := cs.pending[sd.SQL]; ok {
			cs.names[sd.SQL] = sd
			delete(cs.pending, sd.SQL)
		}
	}
}

// settle drops what was not confirmed (a failed pipeline) and reports
// whether the connection holds too many statements.
func (c *StmtCache) settle(pc *pgconn.PgConn) (full bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.conns[pc]
	if cs == nil {
		return false
	}
	clear(cs.pending)
	return len(cs.names) >= MaxPrepared
}

// Reset forgets pc's statements (after DEALLOCATE ALL or a schema change).
func (c *StmtCache) Reset(pc *pgconn.PgConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.get(pc)
	clear(cs.names)
	clear(cs.pending)
	cs.gen = c.gen
}

// Forget drops a closed connection.
func (c *StmtCache) Forget(pc *pgconn.PgConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.conns, pc)
}
