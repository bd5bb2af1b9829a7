package maintx

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/query"
)

// Tx is the transaction of one request (MainTx.hs mainTx@v16.2).
type Tx struct {
	ReadOnly  bool
	Isolation string // "" = read committed
	Main      query.MainQuery
	// Kind orders the checks after the main statement as PostgREST does.
	Kind CheckOrder
	// Singular: the result must be exactly one row (PGRST116).
	Singular bool
	// MaxAffected: at most this many rows (Prefer: handling=strict,
	// max-affected; PGRST124).
	MaxAffected *int64
	// Put: a PUT must upsert exactly one row (PGRST115).
	Put bool
	// Rollback ends the transaction with ROLLBACK after SET CONSTRAINTS
	// ALL IMMEDIATE (Prefer: tx=rollback, db-tx-end).
	Rollback bool
	// Explain: the main statement is an EXPLAIN; its rows are the body.
	Explain bool
	// Prepared names and reuses statements (db-prepared-statements).
	Prepared bool
}

// CheckOrder is the order of the checks and the optional rollback
// (MainTx.hs actionResult).
type CheckOrder int

// Orders.
const (
	ChecksFirst   CheckOrder = iota // reads and writes: checks, then the rollback
	RollbackFirst                   // calls: the rollback, then the checks
)

// ResultSet is what the main statement returned (MainTx.hs ResultSet).
type ResultSet struct {
	TableTotal *int64
	QueryTotal int64
	Location   [][2]string // the insert's key=value pairs (headers-only)
	Body       []byte
	GucHeaders *string
	GucStatus  *string
	Inserted   *int64
	// ExplainTotal is the planner's estimate of the count query.
	ExplainTotal *int64
}

// Conn is the connection the transaction runs on.
type Conn interface {
	PgConn() *pgconn.PgConn
}

// step is one statement of the pipeline, or a check.
type step struct {
	stmt  *query.Stmt
	check func(*ResultSet) error
	kind  stepKind
}

type stepKind int

const (
	stepExec stepKind = iota
	stepMain
	stepExplain
	stepCheck
	stepPrepare
)

// Run runs the transaction. The statements go to PostgreSQL in one
// pipelined exchange; a check that needs the main statement's result
// (singular, max-affected, PUT) splits it in two. Any error rolls back.
func Run(ctx context.Context, c Conn, cache *StmtCache, t Tx) (*ResultSet, error) {
	steps := t.steps()
	pc := c.PgConn()
	if t.Prepared && cache.stale(pc) {
		if err := pc.Exec(ctx, "DEALLOCATE ALL").Close(); err != nil {
			return nil, err
		}
		cache.Reset(pc)
	}
	defer settle(ctx, pc, cache)
	res := &ResultSet{}
	for len(steps) > 0 {
		n := 0
		for n < len(steps) && steps[n].kind != stepCheck {
			n++
		}
		if n > 0 {
			if err := runPipeline(ctx, pc, cache, t, steps[:n], res); err != nil {
				rollback(ctx, pc)
				return nil, err
			}
		}
		for n < len(steps) && steps[n].kind == stepCheck {
			if err := steps[n].check(res); err != nil {
				rollback(ctx, pc)
				return nil, err
			}
			n++
		}
		steps = steps[n:]
	}
	return res, nil
}

// settle forgets statements a failed pipeline did not prepare, and
// deallocates a connection's statements past MaxPrepared.
func settle(ctx context.Context, pc *pgconn.PgConn, cache *StmtCache) {
	if cache == nil || !cache.settle(pc) || pc.IsClosed() || pc.TxStatus() != 'I' {
		return
	}
	if err := pc.Exec(context.WithoutCancel(ctx), "DEALLOCATE ALL").Close(); err == nil {
		cache.Reset(pc)
	}
}

// steps lists the statements and checks in PostgREST's order.
func (t Tx) steps() []step {
	stmt := func(k stepKind, s query.Stmt) step { return step{stmt: &s, kind: k} }
	out := []step{stmt(stepExec, query.Stmt{SQL: t.beginSQL()}), stmt(stepExec, t.Main.TxVars)}
	if t.Main.PreReq != nil {
		out = append(out, stmt(stepExec, *t.Main.PreReq))
	}
	out = append(out, stmt(stepMain, t.Main.Main))
	var checks []step
	if t.Singular {
		checks = append(checks, step{kind: stepCheck, check: func(r *ResultSet) error {
			if r.QueryTotal != 1 {
				return apierr.NotSingular(r.QueryTotal)
			}
			return nil
		}})
	}
	if t.MaxAffected != nil {
		max := *t.MaxAffected
		checks = append(checks, step{kind: stepCheck, check: func(r *ResultSet) error {
			if r.QueryTotal > max {
				return apierr.MaxAffectedExceeded(r.QueryTotal)
			}
			return nil
		}})
	}
	if t.Put {
		checks = append(checks, step{kind: stepCheck, check: func(r *ResultSet) error {
			if r.QueryTotal != 1 {
				return apierr.PutPKMismatch()
			}
			return nil
		}})
	}
	var rb []step
	if t.Rollback {
		rb = append(rb, stmt(stepExec, query.Stmt{SQL: "SET CONSTRAINTS ALL IMMEDIATE"}))
	}
	if t.Kind == RollbackFirst {
		out = append(append(out, rb...), checks...)
	} else {
		out = append(append(out, checks...), rb...)
	}
	if t.Main.Explain != nil {
		out = append(out, stmt(stepExplain, *t.Main.Explain))
	}
	end := "COMMIT"
	if t.Rollback {
		end = "ROLLBACK"
	}
	return append(out, stmt(stepExec, query.Stmt{SQL: end}))
}

// BeginIsolations are the levels BEGIN accepts (upper case).
var BeginIsolations = map[string]bool{"READ COMMITTED": true, "REPEATABLE READ": true, "SERIALIZABLE": true, "READ UNCOMMITTED": true}

func (t Tx) beginSQL() string { return BeginSQL(t.ReadOnly, t.Isolation) }

// BeginSQL is the BEGIN PostgREST's hasql-transaction sends: the isolation
// level (read committed when "" or not a level) and the access mode.
func BeginSQL(readOnly bool, isolation string) string {
	iso := strings.ToUpper(strings.TrimSpace(isolation))
	if !BeginIsolations[iso] {
		iso = "READ COMMITTED"
	}
	mode := "READ WRITE"
	if readOnly {
		mode = "READ ONLY"
	}
	return "BEGIN ISOLATION LEVEL " + iso + " " + mode
}

// mainFormats: the body is read in binary (its raw bytes, whatever its
// type, as PostgREST's bytea decoder), the rest in text; readFormats is
// the same without the Location column.
var (
	mainFormats = []int16{0, 0, 0, 1, 0, 0, 0}
	readFormats = []int16{0, 0, 1, 0, 0, 0}
)

func runPipeline(ctx context.Context, pc *pgconn.PgConn, cache *StmtCache, t Tx, steps []step, res *ResultSet) error {
	p := pc.StartPipeline(ctx)
	type sent struct {
		kind      stepKind
		name, sql string // stepPrepare
	}
	queue := make([]sent, 0, len(steps)+2)
	for _, s := range steps {
		formats := []int16(nil)
		if s.kind == stepMain && !t.Explain {
			formats = readFormats
			if t.Main.HasLocation {
				formats = mainFormats
			}
		}
		vals := encodeArgs(s.stmt.Args)
		if !t.Prepared {
			p.SendQueryParams(s.stmt.SQL, vals, nil, nil, formats)
			queue = append(queue, sent{kind: s.kind})
			continue
		}
		sd, name, prepare := cache.lookup(pc, s.stmt.SQL)
		switch {
		case sd != nil:
			p.SendQueryStatement(sd, vals, nil, formats)
		case prepare:
			p.SendPrepare(name, s.stmt.SQL, nil)
			queue = append(queue, sent{kind: stepPrepare, name: name, sql: s.stmt.SQL})
			fallthrough
		default:
			p.SendQueryPrepared(name, vals, nil, formats)
		}
		queue = append(queue, sent{kind: s.kind})
	}
	if err := p.Sync(); err != nil {
		p.Close()
		return err
	}
	var first error
	for _, q := range queue {
		r, err := p.GetResults()
		if err != nil {
			first = err
			break
		}
		switch x := r.(type) {
		case *pgconn.StatementDescription:
			x.Name, x.SQL = q.name, q.sql
			cache.confirm(pc, x)
		case *pgconn.ResultReader:
			if err := readResult(x, q.kind, t.Explain, res); err != nil {
				first = err
			}
		case *pgconn.PipelineSync:
			// an earlier error made the server skip the rest
			return closePipeline(p, first, true)
		}
		if first != nil {
			break
		}
	}
	return closePipeline(p, first, false)
}

// closePipeline reads up to the Sync and closes; the first error wins.
func closePipeline(p *pgconn.Pipeline, first error, synced bool) error {
	for !synced {
		r, err := p.GetResults()
		if err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				if first == nil {
					first = err
				}
				continue
			}
			if first == nil {
				first = err
			}
			break
		}
		switch x := r.(type) {
		case *pgconn.PipelineSync:
			synced = true
		case *pgconn.ResultReader:
			if rr := x.Read(); rr.Err != nil && first == nil {
				first = rr.Err
			}
		case nil:
			synced = true
		}
	}
	if err := p.Close(); err != nil && first == nil {
		first = err
	}
	return first
}

func readResult(rr *pgconn.ResultReader, kind stepKind, explain bool, res *ResultSet) error {
	r := rr.Read()
	if r.Err != nil {
		return r.Err
	}
	switch {
	case kind == stepMain && explain:
		var b []byte
		for _, row := range r.Rows {
			b = append(append(b, row[0]...), '\n')
		}
		res.Body, res.QueryTotal = b, int64(len(r.Rows))
	case kind == stepMain:
		if len(r.Rows) == 0 {
			return nil
		}
		return res.decodeMain(r.Rows[0])
	case kind == stepExplain:
		if len(r.Rows) > 0 {
			res.ExplainTotal = planRows(r.Rows[0][0])
		}
	}
	return nil
}

// decodeMain reads the main statement's row (MainTx.hs standardRow): seven
// columns for writes, six without the Location for reads and calls
// (standardRow noLocation).
func (res *ResultSet) decodeMain(row [][]byte) error {
	switch len(row) {
	case 6:
		row = append(row[:2:2], append([][]byte{nil}, row[2:]...)...)
	case 7:
	default:
		return errors.New("maintx: the main statement returned an unexpected number of columns")
	}
	var err error
	if res.TableTotal, err = optInt(row[0]); err != nil {
		return err
	}
	if row[1] != nil {
		if res.QueryTotal, err = strconv.ParseInt(string(row[1]), 10, 64); err != nil {
			return err
		}
	}
	for _, kv := range parseTextArray(string(row[2])) {
		k, v, _ := strings.Cut(kv, "=")
		res.Location = append(res.Location, [2]string{k, v})
	}
	res.Body = append([]byte(nil), row[3]...)
	res.GucHeaders, res.GucStatus = optStr(row[4]), optStr(row[5])
	res.Inserted, err = optInt(row[6])
	return err
}

func optInt(b []byte) (*int64, error) {
	if b == nil {
		return nil, nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

func optStr(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

// planRows reads "Plan Rows" of EXPLAIN (FORMAT JSON).
func planRows(b []byte) *int64 {
	var plans []struct {
		Plan struct {
			Rows *float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if json.Unmarshal(b, &plans) != nil || len(plans) == 0 || plans[0].Plan.Rows == nil {
		return nil
	}
	n := int64(*plans[0].Plan.Rows)
	return &n
}

// encodeArgs renders the bind arguments in text format; their types are
// left to PostgreSQL to infer (PostgREST's unknown-typed parameters).
func encodeArgs(args []any) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case nil:
		case string:
			out[i] = []byte(v)
		case []byte:
			out[i] = []byte(`\x` + hex.EncodeToString(v))
		case []string:
			out[i] = []byte(query.ArrayLiteral(v))
		case int:
			out[i] = []byte(strconv.Itoa(v))
		case int64:
			out[i] = []byte(strconv.FormatInt(v, 10))
		default:
			panic("maintx: unsupported argument type")
		}
	}
	return out
}

// rollback ends a transaction left open by a failure; a connection that
// cannot is closed (the pool then drops it).
func rollback(ctx context.Context, pc *pgconn.PgConn) {
	if pc.IsClosed() || pc.TxStatus() == 'I' {
		return
	}
	if err := pc.Exec(context.WithoutCancel(ctx), "ROLLBACK").Close(); err != nil {
		_ = pc.Close(context.Background())
	}
}

// parseTextArray reads a one-dimensional text[] in PostgreSQL's text
// output ({a,"b c",NULL}); NULL elements are dropped.
func parseTextArray(s string) []string {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil
	}
	s = s[1 : len(s)-1]
	var out []string
	for i := 0; i < len(s); {
		var sb strings.Builder
		quoted := s[i] == '"'
		if quoted {
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				sb.WriteByte(s[i])
				i++
			}
			i++ // closing quote
		} else {
			for i < len(s) && s[i] != ',' {
				sb.WriteByte(s[i])
				i++
			}
		}
		if quoted || sb.String() != "NULL" {
			out = append(out, sb.String())
		}
		i++ // comma
	}
	return out
}
