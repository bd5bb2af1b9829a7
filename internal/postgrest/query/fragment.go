package query

import (
	"strconv"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/plan"
	"github.com/authstack/authstack/internal/postgrest/queryparams"
)

// Fragments of SqlFragment.hs@v16.2.

const sourceCTE = "pgrst_source"

// FromQI renders "schema"."name", or "name" without a schema.
func FromQI(qi plan.QI) string {
	if qi.Schema == "" {
		return Ident(qi.Name)
	}
	return Ident(qi.Schema) + "." + Ident(qi.Name)
}

// column renders qi.col, qi.* for "*".
func column(qi plan.QI, col string) string {
	if col == "*" {
		return FromQI(qi) + ".*"
	}
	return FromQI(qi) + "." + Ident(col)
}

// jsonPath renders ->$n / ->>$n::int operands as unknown-typed arguments.
func jsonPath(s *Snippet, path []queryparams.JSONOperand) {
	for _, op := range path {
		if op.Text {
			s.S("->>")
		} else {
			s.S("->")
		}
		s.P(Text(op.Value))
		if op.Index {
			s.S("::int")
		}
	}
}

// field renders a field of qi with its JSON path and full-text conversion
// (pgFmtField).
func field(qi plan.QI, f plan.CoercibleField) Snippet {
	var fld Snippet
	switch {
	case f.FullRow:
		fld.S(Ident(qi.Name))
	case len(f.JSONPath) == 0:
		fld.S(column(qi, f.Name))
	case f.ToJSON:
		fld.S("to_jsonb(", column(qi, f.Name), ")")
		jsonPath(&fld, f.JSONPath)
	default:
		fld.S(column(qi, f.Name))
		jsonPath(&fld, f.JSONPath)
	}
	if !f.ToTsVector {
		return fld
	}
	var s Snippet
	s.S("to_tsvector(")
	if f.TsLang != "" {
		s.P(Text(f.TsLang)).S(", ")
	}
	return *s.A(fld).S(")")
}

func applyCast(cast string, s Snippet) Snippet {
	if cast == "" {
		return s
	}
	// The cast comes from the query grammar's identifier rule (letters,
	// digits, '_', '$', ' '), so it cannot break out of CAST; quoting it
	// would reject "int" (SqlFragment.hs pgFmtApplyCast).
	var out Snippet
	return *out.S("CAST( ").A(s).S(" AS ", cast, " )")
}

func applyAggregate(agg, aggCast string, s Snippet) Snippet {
	if agg == "" {
		return s
	}
	var out Snippet
	out.S(strings.ToUpper(agg), "(").A(s).S(")")
	return applyCast(aggCast, out)
}

func as(alias string) string {
	if alias == "" {
		return ""
	}
	return " AS " + Ident(alias)
}

// selectItem renders one select field (pgFmtSelectItem), through its
// data representation if any (pgFmtTableCoerce).
func selectItem(qi plan.QI, f plan.SelectField) Snippet {
	s := applyAggregate(f.Aggregate, f.AggregateCast, applyCast(f.Cast, callUnary(f.Field.Transform, field(qi, f.Field))))
	return *s.S(as(f.Alias))
}

// callUnary is fn(x), or x without a function (pgFmtCallUnary). The
// function name comes from pg_cast through regproc, as PostgREST's.
func callUnary(fn string, x Snippet) Snippet {
	if fn == "" {
		return x
	}
	var s Snippet
	return *s.S(fn, "(").A(x).S(")")
}

// fullSelName is "alias".name, "alias".* for "*".
func fullSelName(aggAlias, name string) string {
	if name == "*" {
		return Ident(aggAlias) + ".*"
	}
	return Ident(aggAlias) + "." + Ident(name)
}

func spreadSelectItem(aggAlias string, f plan.SpreadSelectField) Snippet {
	s := applyAggregate(f.Aggregate, f.AggregateCast, SQL(fullSelName(aggAlias, f.SelName)))
	return *s.S(as(f.Alias))
}

func spreadJoinSelectItem(aggAlias string, order []plan.OrderTerm, f plan.SpreadSelectField) Snippet {
	var s Snippet
	s.S("COALESCE(json_agg(", fullSelName(aggAlias, f.SelName), " ").A(orderBy(plan.QI{Name: aggAlias}, order)).S("),'[]')::jsonb AS ")
	name := f.SelName
	if f.Alias != "" {
		name = f.Alias
	}
	return *s.S(Ident(name))
}

var simpleOps = map[string]string{
	"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "neq": "<>",
	"like": "like", "ilike": "ilike", "match": "~", "imatch": "~*",
	"cs": "@>", "cd": "<@", "ov": "&&", "sl": "<<", "sr": ">>", "nxr": "&<", "nxl": "&>", "adj": "-|-",
}

var ftsOps = map[string]string{
	"fts": "@@ to_tsquery", "plfts": "@@ plainto_tsquery", "phfts": "@@ phraseto_tsquery", "wfts": "@@ websearch_to_tsquery",
}

var isValues = map[string]string{"null": "NULL", "not_null": "NOT NULL", "true": "TRUE", "false": "FALSE", "unknown": "UNKNOWN"}

// ArrayLiteral builds the array literal {"a","b"} of in.(…) values
// (pgBuildArrayLiteral: quotes and backslashes escaped).
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

// filter renders one filter (pgFmtFilter).
func filter(qi plan.QI, f plan.Filter) Snippet {
	var s Snippet
	o := f.Operation
	if f.NullEmbed {
		s.S(Ident(f.Field.Name), " IS ")
		if !o.Negated {
			s.S("NOT ")
		}
		return *s.S("DISTINCT FROM NULL")
	}
	if o.Negated {
		s.S("NOT")
	}
	s.S(" ").A(field(qi, f.Field))
	switch o.Op {
	case "is":
		s.S(" IS ", isValues[o.Value])
	case "isdistinct":
		s.S(" IS DISTINCT FROM ").P(Text(o.Value))
	case "in":
		if len(o.List) == 1 && o.List[0] == "" {
			s.S(" = ANY('{}') ")
		} else {
			s.S(" = ANY (").A(arrayLiteralFor(f.Field, o.List)).S(") ")
		}
	case "fts", "plfts", "phfts", "wfts":
		s.S(" ", ftsOps[o.Op], "(")
		if o.Lang != "" {
			s.P(Text(o.Lang)).S(", ")
		}
		s.P(Text(o.Value)).S(") ")
	default:
		val := o.Value
		if o.Op == "like" || o.Op == "ilike" {
			val = strings.ReplaceAll(val, "*", "%")
		}
		s.S(" ", simpleOps[o.Op], " ")
		var lit Snippet
		lit.P(Text(val))
		if o.Op != "like" && o.Op != "ilike" {
			lit = callUnary(f.Field.Transform, lit) // pgFmtUnknownLiteralForField
		}
		switch o.Quantifier {
		case "any":
			s.S("ANY(").A(lit).S(")")
		case "all":
			s.S("ALL(").A(lit).S(")")
		default:
			s.A(lit)
		}
	}
	return s
}

// arrayLiteralFor is the in.(…) array, each element through the field's
// text → domain representation if any (pgFmtArrayLiteralForField).
func arrayLiteralFor(f plan.CoercibleField, vals []string) Snippet {
	var s Snippet
	if f.Transform == "" {
		return *s.P(Text(ArrayLiteral(vals)))
	}
	return *s.S("(SELECT ", f.Transform, "(unnest(").P(Text(ArrayLiteral(vals))).S("::text[])))")
}

// logicTree renders an and/or tree (pgFmtLogicTree).
func logicTree(qi plan.QI, t plan.LogicTree) Snippet {
	return logicTreeWith(t, func(f *plan.Filter) Snippet { return filter(qi, *f) })
}

// logicTreeWith renders the tree's connectives, and its leaves with leaf.
func logicTreeWith(t plan.LogicTree, leaf func(*plan.Filter) Snippet) Snippet {
	if t.Filter != nil {
		return leaf(t.Filter)
	}
	var s Snippet
	if t.Negated {
		s.S("NOT")
	}
	s.S(" (")
	op := " AND "
	if t.Op == "or" {
		op = " OR "
	}
	for i, c := range t.Children {
		if i > 0 {
			s.S(op)
		}
		s.A(logicTreeWith(c, leaf))
	}
	return *s.S(")")
}

func joinCondition(j plan.JoinCondition) string {
	return column(j.Left, j.LCol) + " = " + column(j.Right, j.RCol)
}

// orderBy renders "ORDER BY …", or nothing without terms (orderF).
func orderBy(qi plan.QI, terms []plan.OrderTerm) Snippet {
	var s Snippet
	if len(terms) == 0 {
		return s
	}
	s.S("ORDER BY ")
	for i, t := range terms {
		if i > 0 {
			s.S(", ")
		}
		if t.Relation != "" {
			s.A(field(plan.QI{Name: t.Relation}, plan.CoercibleField{Name: t.Field.Name, JSONPath: t.Field.JSONPath}))
		} else {
			s.A(field(qi, t.Field))
		}
		s.S(" ")
		var words []string
		switch t.Direction {
		case "asc":
			words = append(words, "ASC")
		case "desc":
			words = append(words, "DESC")
		}
		switch t.Nulls {
		case "nullsfirst":
			words = append(words, "NULLS FIRST")
		case "nullslast":
			words = append(words, "NULLS LAST")
		}
		s.S(strings.Join(words, " "))
	}
	return s
}

// limitOffset renders "LIMIT n OFFSET m" with unknown-typed arguments, or
// nothing for all rows (limitOffsetF).
func limitOffset(r queryparams.Range) Snippet {
	var s Snippet
	if r.IsAll() {
		return s
	}
	s.S("LIMIT ")
	if n, ok := r.Limit(); ok {
		s.P(Text(strconv.FormatInt(max(n, 0), 10)))
	} else {
		s.S("ALL")
	}
	return *s.S(" OFFSET ").P(Text(strconv.FormatInt(max(r.Offset(), 0), 10)))
}

func returning(qi plan.QI, cols []string) string {
	if len(cols) == 0 {
		return "RETURNING 1"
	}
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = column(qi, c)
	}
	return "RETURNING " + strings.Join(parts, ", ")
}

func currentSetting(name string) string {
	// nullif: an unset custom setting reads '' once it was set in the
	// session (SqlFragment.hs currentSettingF).
	return "nullif(current_setting('" + name + "', true), '')"
}

// addConfigPgrstInserted counts inserted rows in pgrst.inserted: every
// candidate row adds one, every conflict update takes one away.
func addConfigPgrstInserted(add bool) string {
	sym, num := "+", "0"
	if !add {
		sym, num = "-", "-1"
	}
	return "set_config('pgrst.inserted', (coalesce(" + currentSetting("pgrst.inserted") + "::int, 0) " + sym + " 1)::text, true) <> '" + num + "'"
}
