package query

import (
	"strconv"
	"strings"
)

// Builder collects the bind arguments of rendered SQL fragments.
//
// Every value that comes from the query string is bound as a parameter
// whose Go value is a Text (see Text); pgx sends it in text format and
// PostgreSQL types it from context, like PostgREST's "unknown"-typed
// parameters: id=eq.abc on an integer column gives 22P02
// `invalid input syntax for type integer: "abc"`.
type Builder struct {
	// Table qualifies column references: an already quoted name such as
	// `"public"."task"` or an alias; empty means unqualified columns.
	Table string
	// JSONColumns lists the columns of type json/jsonb. A JSON path on any
	// other column is applied to to_jsonb(column), like PostgREST. When nil,
	// ColumnTypes decides.
	JSONColumns map[string]bool
	// ColumnTypes optionally maps the target's columns to their (base) type
	// names. json/jsonb columns need no to_jsonb for JSON paths, and
	// full-text filters on known non-tsvector columns are applied to
	// to_tsvector([lang,] column), like PostgREST. Unknown columns get
	// neither treatment for FTS.
	ColumnTypes map[string]string
	// Args are the bind arguments, $1 is Args[0].
	Args []any
}

// Arg appends a bind argument and returns its placeholder ($n).
func (b *Builder) Arg(v any) string {
	b.Args = append(b.Args, v)
	return "$" + strconv.Itoa(len(b.Args))
}

// Ident quotes an identifier as PostgreSQL does (and PostgREST's
// escapeIdent): double quotes doubled, cut at the first NUL.
func Ident(name string) string {
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QualifiedIdent renders "schema"."name".
func QualifiedIdent(schema, name string) string {
	if schema == "" {
		return Ident(name)
	}
	return Ident(schema) + "." + Ident(name)
}

func (b *Builder) column(name string) string {
	if name == "*" {
		if b.Table == "" {
			return "*"
		}
		return b.Table + ".*"
	}
	if b.Table == "" {
		return Ident(name)
	}
	return b.Table + "." + Ident(name)
}

// FieldSQL renders a column with its JSON path.
func (b *Builder) FieldSQL(f Field) string {
	col := b.column(f.Name)
	if len(f.JSONPath) == 0 {
		return col
	}
	var sb strings.Builder
	isJSON := b.JSONColumns[f.Name]
	if b.JSONColumns == nil {
		t := b.ColumnTypes[f.Name]
		isJSON = t == "json" || t == "jsonb"
	}
	if isJSON {
		sb.WriteString(col)
	} else {
		sb.WriteString("to_jsonb(" + col + ")")
	}
	for _, op := range f.JSONPath {
		if op.Text {
			sb.WriteString("->>")
		} else {
			sb.WriteString("->")
		}
		if op.Index {
			sb.WriteString(b.Arg(op.Value) + "::int")
		} else {
			sb.WriteString(b.Arg(op.Value))
		}
	}
	return sb.String()
}

// defaultAlias is PostgREST's alias for JSON paths without an explicit one:
// the last key, or for a trailing index the last key before it (else the
// column name).
func defaultAlias(f Field) string {
	if len(f.JSONPath) == 0 {
		return ""
	}
	last := f.JSONPath[len(f.JSONPath)-1]
	if !last.Index {
		return last.Value
	}
	for i := len(f.JSONPath) - 1; i >= 0; i-- {
		if !f.JSONPath[i].Index {
			return f.JSONPath[i].Value
		}
	}
	return f.Name
}

// SelectSQL renders the select list, e.g. `"public"."task"."id" AS "task_id",
// CAST( "public"."task"."priority" AS text ) AS "prio"`. It renders only
// plain columns: call CheckUnsupported first (embeds and aggregates are
// skipped here). An empty select= gives every column, like PostgREST
// (T:Query/QuerySpec.hs:1486@v16.2 "empty root select gives all columns").
func (p *Params) SelectSQL(b *Builder) string {
	var parts []string
	for _, s := range p.Select {
		if s.Kind != SelectField || s.Aggregate != "" {
			continue
		}
		sql := b.FieldSQL(s.Field)
		if s.Cast != "" {
			// The cast comes from the parser's identifier rule (letters,
			// digits, '_', '$', ' '), so it cannot break out of the cast.
			sql = "CAST( " + sql + " AS " + s.Cast + " )"
		}
		alias := s.Alias
		if alias == "" {
			alias = defaultAlias(s.Field)
		}
		if alias != "" && s.Field.Name != "*" {
			sql += " AS " + Ident(alias)
		}
		parts = append(parts, sql)
	}
	if len(p.Select) == 0 {
		return b.column("*")
	}
	return strings.Join(parts, ", ")
}

var simpleOps = map[string]string{
	"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "neq": "<>",
	"like": "like", "ilike": "ilike", "match": "~", "imatch": "~*",
	"cs": "@>", "cd": "<@", "ov": "&&", "sl": "<<", "sr": ">>", "nxr": "&<", "nxl": "&>", "adj": "-|-",
}

var ftsFuncs = map[string]string{
	"fts": "to_tsquery", "plfts": "plainto_tsquery", "phfts": "phraseto_tsquery", "wfts": "websearch_to_tsquery",
}

// ArrayLiteral builds a PostgreSQL array literal {"a","b"} from values, as
// PostgREST's pgBuildArrayLiteral (quotes and backslashes escaped).
func ArrayLiteral(vals []string) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		if k := strings.IndexByte(v, 0); k >= 0 {
			v = v[:k]
		}
		v = strings.ReplaceAll(v, `\`, `\\`)
		v = strings.ReplaceAll(v, `"`, `\"`)
		parts[i] = `"` + v + `"`
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// FilterSQL renders one filter as a boolean expression.
func (b *Builder) FilterSQL(f Filter) string {
	o := f.Operation
	var fld string
	if t, known := b.ColumnTypes[f.Field.Name]; known && ftsFuncs[o.Op] != "" && t != "tsvector" {
		lang := ""
		if o.Lang != "" {
			lang = b.Arg(Text(o.Lang)) + ", "
		}
		fld = "to_tsvector(" + lang + b.FieldSQL(f.Field) + ")"
	} else {
		fld = b.FieldSQL(f.Field)
	}
	var expr string
	switch o.Op {
	case "is":
		kw := map[string]string{"null": "NULL", "not_null": "NOT NULL", "true": "TRUE", "false": "FALSE", "unknown": "UNKNOWN"}[o.Value]
		expr = fld + " IS " + kw
	case "isdistinct":
		expr = fld + " IS DISTINCT FROM " + b.Arg(Text(o.Value))
	case "in":
		if len(o.List) == 1 && o.List[0] == "" {
			expr = fld + " = ANY('{}')"
		} else {
			expr = fld + " = ANY (" + b.Arg(Text(ArrayLiteral(o.List))) + ")"
		}
	case "fts", "plfts", "phfts", "wfts":
		args := ""
		if o.Lang != "" {
			args = b.Arg(Text(o.Lang)) + ", "
		}
		expr = fld + " @@ " + ftsFuncs[o.Op] + "(" + args + b.Arg(Text(o.Value)) + ")"
	default:
		val := o.Value
		if o.Op == "like" || o.Op == "ilike" {
			val = strings.ReplaceAll(val, "*", "%")
		}
		rhs := b.Arg(Text(val))
		switch o.Quantifier {
		case "any":
			rhs = "ANY(" + rhs + ")"
		case "all":
			rhs = "ALL(" + rhs + ")"
		}
		expr = fld + " " + simpleOps[o.Op] + " " + rhs
	}
	if o.Negated {
		return "NOT " + expr
	}
	return expr
}

// LogicSQL renders an and/or tree.
func (b *Builder) LogicSQL(t LogicTree) string {
	if t.Filter != nil {
		return b.FilterSQL(*t.Filter)
	}
	parts := make([]string, len(t.Children))
	for i, c := range t.Children {
		parts[i] = "(" + b.LogicSQL(c) + ")"
	}
	op := " AND "
	if t.Op == "or" {
		op = " OR "
	}
	s := "(" + strings.Join(parts, op) + ")"
	if t.Negated {
		return "NOT " + s
	}
	return s
}

// WhereSQL renders the top-level filters and logic trees joined by AND, or
// "TRUE" when there are none (no filter means every row, also for PATCH
// and DELETE).
func (p *Params) WhereSQL(b *Builder) string {
	var parts []string
	for _, f := range p.Filters {
		if len(f.Path) == 0 {
			parts = append(parts, "("+b.FilterSQL(f)+")")
		}
	}
	for _, l := range p.Logic {
		if len(l.Path) == 0 {
			parts = append(parts, "("+b.LogicSQL(l.Tree)+")")
		}
	}
	if len(parts) == 0 {
		return "TRUE"
	}
	return strings.Join(parts, " AND ")
}

// OrderSQL renders "ORDER BY …" for the top-level order= terms, or "".
func (p *Params) OrderSQL(b *Builder) string {
	var parts []string
	for _, o := range p.Order {
		if len(o.Path) != 0 {
			continue
		}
		for _, t := range o.Terms {
			if t.Relation != "" {
				continue // rejected by CheckUnsupported
			}
			s := b.FieldSQL(t.Field)
			switch t.Direction {
			case "asc":
				s += " ASC"
			case "desc":
				s += " DESC"
			}
			switch t.Nulls {
			case "nullsfirst":
				s += " NULLS FIRST"
			case "nullslast":
				s += " NULLS LAST"
			}
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "ORDER BY " + strings.Join(parts, ", ")
}

// LimitOffsetSQL renders "LIMIT n OFFSET m" for the top-level range (after
// any db-max-rows restriction, see Range.RestrictLimit), or "" for all rows.
func (p *Params) LimitOffsetSQL(b *Builder) string { return RangeSQL(p.TopLevel) }

// RangeSQL renders "LIMIT n OFFSET m" ("LIMIT ALL" when unbounded) or "".
func RangeSQL(r Range) string {
	if r.IsAll() {
		return ""
	}
	lim := "ALL"
	if n, ok := r.Limit(); ok {
		lim = strconv.FormatInt(max(n, 0), 10)
	}
	return "LIMIT " + lim + " OFFSET " + strconv.FormatInt(max(r.Offset(), 0), 10)
}

// Text is a bind argument that must reach PostgreSQL untyped, so that the
// server infers its type from the context (PostgREST's "unknown" encoder).
type Text = string
