package postgrest

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/query"
)

// argBuilder collects bind parameters; it is the query package's Builder
// with unqualified column references (every statement reads one relation).
type argBuilder = query.Builder

type kv struct{ k, v string }

// queryParams adapts the query package's parse result to the handlers.
type queryParams struct {
	p       *query.Params
	args    []kv // RPC GET arguments, in order
	columns []string
}

func fromQueryErr(e *query.Error) *apierr.Error {
	out := &apierr.Error{Status: e.Status, Code: e.Code, Message: e.Message}
	if e.Details != nil {
		out.Details = apierr.Str(*e.Details)
	}
	if e.Hint != nil {
		out.Hint = apierr.Str(*e.Hint)
	}
	return out
}

// parseQuery parses the query string and the Range header (query.Parse).
func parseQuery(r *http.Request, rpc bool) (*queryParams, *apierr.Error) {
	p, err := query.Parse(r.URL.RawQuery, query.ParseOptions{RPC: rpc, Method: r.Method, RangeHeader: r.Header.Get("Range")})
	if err != nil {
		var qe *query.Error
		if errors.As(err, &qe) {
			return nil, fromQueryErr(qe)
		}
		return nil, apierr.New(400, "PGRST100", err.Error(), "", "")
	}
	q := &queryParams{p: p, columns: p.Columns}
	for _, a := range p.Args {
		q.args = append(q.args, kv{a.Name, a.Value})
	}
	return q, nil
}

// unsupported gives PostgREST's error for embedding/aggregates.
func (q *queryParams) unsupported(parent, schema string) *apierr.Error {
	if e := q.p.CheckUnsupported(parent, schema); e != nil {
		return fromQueryErr(e)
	}
	return nil
}

// window returns the effective offset and limit (nil = none) after
// db-max-rows.
func (q *queryParams) window(maxRows int) (int64, *int64) {
	r := q.p.TopLevel
	if maxRows > 0 {
		r = r.RestrictLimit(int64(maxRows))
	}
	if r.IsEmpty() {
		zero := int64(0)
		return r.Offset(), &zero
	}
	off := r.Offset()
	if n, ok := r.Limit(); ok {
		return off, &n
	}
	return off, nil
}

func (q *queryParams) selectSQL(b *argBuilder) string { return q.p.SelectSQL(b) }

func (q *queryParams) whereSQL(b *argBuilder) string {
	w := q.p.WhereSQL(b)
	if w == "TRUE" {
		return ""
	}
	return w
}

func (q *queryParams) orderSQL(b *argBuilder) string {
	return strings.TrimPrefix(q.p.OrderSQL(b), "ORDER BY ")
}

// canonical is the sorted query string for Content-Location.
func (q *queryParams) canonical() string { return q.p.Canonical }

func parseForm(s string) (map[string]string, error) {
	vals, err := url.ParseQuery(s)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range vals {
		out[k] = v[len(v)-1]
	}
	return out, nil
}
