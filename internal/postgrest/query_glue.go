package postgrest

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

// argBuilder collects bind parameters.
type argBuilder struct{ args []any }

func (b *argBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

type kv struct{ k, v string }

type selectItem struct{ col, alias, cast string }

type filter struct {
	col, op, val string
	not          bool
}

type orderItem struct{ col, dir, nulls string }

// queryParams is the parsed query string.
type queryParams struct {
	args    []kv // RPC GET arguments, in order
	columns []string
	sel     []selectItem // nil = *
	filters []filter
	order   []orderItem
	limit   *int64
	offset  int64
	rng     *[2]int64 // Range header (upper -1 = open)
	raw     string
}

var reserved = map[string]bool{"select": true, "order": true, "limit": true, "offset": true, "and": true, "or": true, "columns": true, "on_conflict": true}

var ops = map[string]string{"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "like": "like", "ilike": "ilike", "in": "in", "is": "is"}

var rangeRe = regexp.MustCompile(`^([0-9]+)-([0-9]*)$`)

func parseErr(msg, details string) *apierr.Error {
	return apierr.New(400, "PGRST100", msg, details, "")
}

func rangeErr(details string) *apierr.Error {
	return apierr.New(416, "PGRST103", "Requested range not satisfiable", details, "")
}

// parseQuery parses the query string and the Range header.
func parseQuery(r *http.Request, rpc bool) (*queryParams, *apierr.Error) {
	q := &queryParams{raw: r.URL.RawQuery}
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, parseErr("failed to parse query string", err.Error())
	}
	// keep the order of appearance
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		switch k {
		case "select":
			items, e := parseSelect(v)
			if e != nil {
				return nil, e
			}
			q.sel = items
		case "columns":
			for _, c := range strings.Split(v, ",") {
				q.columns = append(q.columns, strings.TrimSpace(c))
			}
		case "order":
			for _, t := range strings.Split(v, ",") {
				parts := strings.Split(t, ".")
				o := orderItem{col: parts[0]}
				for _, p := range parts[1:] {
					switch p {
					case "asc", "desc":
						o.dir = p
					case "nullsfirst", "nullslast":
						o.nulls = p
					default:
						return nil, parseErr(`"failed to parse order (`+v+`)" (line 1, column 1)`, "unexpected "+strconv.Quote(p))
					}
				}
				q.order = append(q.order, o)
			}
		case "limit":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, parseErr(`"failed to parse limit (`+v+`)" (line 1, column 1)`, "")
			}
			if n < 0 {
				return nil, rangeErr("Limit should be greater than or equal to zero.")
			}
			q.limit = &n
		case "offset":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, parseErr(`"failed to parse offset (`+v+`)" (line 1, column 1)`, "")
			}
			if n > 0 {
				q.offset = n
			}
		case "and", "or", "on_conflict":
			return nil, parseErr("logic trees are not supported by this engine", "")
		default:
			op, rest, hasDot := strings.Cut(v, ".")
			not := false
			if op == "not" && hasDot {
				not = true
				op, rest, hasDot = strings.Cut(rest, ".")
			}
			if _, isOp := ops[op]; isOp && hasDot {
				q.filters = append(q.filters, filter{col: k, op: op, val: rest, not: not})
				continue
			}
			if rpc {
				q.args = append(q.args, kv{k, v})
				continue
			}
			return nil, parseErr(`"failed to parse filter (`+v+`)" (line 1, column 1)`, `unexpected "`+v[:min(1, len(v))]+`" expecting "not" or operator (eq, gt, ...)`)
		}
	}
	_ = vals
	if r.Method == "GET" {
		if h := r.Header.Get("Range"); h != "" {
			if m := rangeRe.FindStringSubmatch(h); m != nil {
				lo, _ := strconv.ParseInt(m[1], 10, 64)
				hi := int64(-1)
				if m[2] != "" {
					hi, _ = strconv.ParseInt(m[2], 10, 64)
					if lo > hi {
						return nil, rangeErr("The lower boundary must be lower than or equal to the upper boundary in the Range header.")
					}
				}
				q.rng = &[2]int64{lo, hi}
			}
		}
	}
	return q, nil
}

func parseSelect(v string) ([]selectItem, *apierr.Error) {
	var out []selectItem
	for _, it := range strings.Split(v, ",") {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		if strings.ContainsAny(it, "()") {
			return nil, apierr.New(400, "PGRST200", "Could not find a relationship in the schema cache", "", "")
		}
		var s selectItem
		if a, rest, ok := strings.Cut(it, ":"); ok && !strings.HasPrefix(rest, ":") {
			s.alias, it = a, rest
		}
		if c, cast, ok := strings.Cut(it, "::"); ok {
			it, s.cast = c, cast
		}
		s.col = it
		out = append(out, s)
	}
	return out, nil
}

// window returns the effective offset and limit (nil = none) from
// limit/offset, the Range header and db-max-rows.
func (q *queryParams) window(maxRows int) (int64, *int64) {
	off := q.offset
	lim := q.limit
	if q.rng != nil {
		lo, hi := q.rng[0], q.rng[1]
		// intersect [off, off+lim) with [lo, hi]
		start := max(off, lo)
		end := int64(-1)
		if lim != nil {
			end = off + *lim - 1
		}
		if hi >= 0 && (end < 0 || hi < end) {
			end = hi
		}
		off = start
		if end >= 0 {
			n := max(end-start+1, 0)
			lim = &n
		} else {
			lim = nil
		}
	}
	if maxRows > 0 {
		m := int64(maxRows)
		if lim == nil || *lim > m {
			lim = &m
		}
	}
	return off, lim
}

func (q *queryParams) selectSQL(b *argBuilder) string {
	if len(q.sel) == 0 {
		return "*"
	}
	var parts []string
	for _, s := range q.sel {
		if s.col == "*" {
			parts = append(parts, "*")
			continue
		}
		e := quoteIdent(s.col)
		if s.cast != "" {
			e = "CAST(" + e + " AS " + s.cast + ")"
		}
		name := s.col
		if s.alias != "" {
			name = s.alias
		}
		parts = append(parts, e+" AS "+quoteIdent(name))
	}
	return strings.Join(parts, ", ")
}

func (q *queryParams) whereSQL(b *argBuilder) string {
	var conds []string
	for _, f := range q.filters {
		col := quoteIdent(f.col)
		var c string
		switch f.op {
		case "in":
			vals := strings.Split(strings.TrimSuffix(strings.TrimPrefix(f.val, "("), ")"), ",")
			var ps []string
			for _, v := range vals {
				ps = append(ps, b.arg(strings.Trim(v, `"`)))
			}
			c = col + " IN (" + strings.Join(ps, ", ") + ")"
		case "is":
			switch strings.ToLower(f.val) {
			case "null":
				c = col + " IS NULL"
			case "not_null":
				c = col + " IS NOT NULL"
			case "true":
				c = col + " IS TRUE"
			case "false":
				c = col + " IS FALSE"
			case "unknown":
				c = col + " IS UNKNOWN"
			}
		case "like", "ilike":
			c = col + " " + ops[f.op] + " " + b.arg(strings.ReplaceAll(f.val, "*", "%"))
		default:
			c = col + " " + ops[f.op] + " " + b.arg(f.val)
		}
		if f.not {
			c = "NOT (" + c + ")"
		}
		conds = append(conds, c)
	}
	return strings.Join(conds, " AND ")
}

func (q *queryParams) orderSQL() string {
	var parts []string
	for _, o := range q.order {
		p := quoteIdent(o.col)
		if o.dir != "" {
			p += " " + strings.ToUpper(o.dir)
		}
		switch o.nulls {
		case "nullsfirst":
			p += " NULLS FIRST"
		case "nullslast":
			p += " NULLS LAST"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

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
