package queryparams

// The query-string grammar of PostgREST v16.2
// (src/library/PostgREST/ApiRequest/QueryParams.hs), expressed with the
// Parsec-like combinators of parsec.go so that errors match.

import (
	"strings"
	"sync"
)

// grammar holds the parsers, built once: they keep no state between runs
// and are safe for concurrent use.
type grammar struct {
	forest, filter, rpcFilter, order, logic, columns, treePath, logicPath parser
}

var theGrammar = sync.OnceValue(func() *grammar {
	return &grammar{
		forest:    fieldForest(),
		filter:    opExpr(singleVal()),
		rpcFilter: alt(opExpr(singleVal()), pure(nil)),
		order:     orderTerms(),
		logic:     logicTree(),
		columns:   columnsP(),
		treePath:  treePath(),
		logicPath: logicPath(),
	}
})

func ws() parser { return many(oneOf(" \t")) }

func lexeme(p parser) parser { return left(right(ws(), p), ws()) }

func delimiter() parser { return label(char('.'), "delimiter (.)") }

func quotedValue() parser {
	charOrSlashed := alt(noneOf("\\\""), right(char('\\'), anyChar()))
	return fmap(left(right(char('"'), many(charOrSlashed)), char('"')), func(v any) any { return runesToString(v) })
}

func identifierChar() parser { return alt(letter(), digit(), oneOf("_ $")) }

func identifier() parser {
	return fmap(many1(identifierChar()), func(v any) any { return strings.TrimSpace(runesToString(v)) })
}

// sepByDash joins identifiers separated by '-' that is not the start of "->".
func sepByDash(ident parser) parser {
	dash := constP(try(right(char('-'), notFollowedBy(char('>')))), '-')
	return fmap(sepBy1(ident, dash), func(v any) any {
		var parts []string
		for _, x := range v.([]any) {
			parts = append(parts, x.(string))
		}
		return strings.Join(parts, "-")
	})
}

func fieldName() parser {
	return label(alt(quotedValue(), sepByDash(identifier())), "field name (* or [a..z0..9_$])")
}

func jsonKeyName() parser {
	ident := fmap(many1(noneOf("(-:.,>)")), func(v any) any { return strings.TrimSpace(runesToString(v)) })
	return label(alt(quotedValue(), sepByDash(ident)), "any non reserved character different from: .,>()")
}

func jsonPath() parser {
	arrow := alt(constP(try(str("->>")), true), constP(try(str("->")), false))
	end := alt(
		try(lookAhead(str("->"))),
		try(lookAhead(str("::"))),
		try(lookAhead(str("."))),
		try(lookAhead(str(","))),
		try(eof()),
	)
	idx := left(seq(option('+', char('-')), many1(digit())), end)
	idxP := fmap(idx, func(v any) any {
		vs := v.([]any)
		return JSONOperand{Index: true, Value: string(vs[0].(rune)) + runesToString(vs[1])}
	})
	keyP := fmap(jsonKeyName(), func(v any) any { return JSONOperand{Value: v.(string)} })
	operand := alt(try(idxP), try(keyP))
	op := fmap(seq(arrow, operand), func(v any) any {
		vs := v.([]any)
		x := vs[1].(JSONOperand)
		x.Text = vs[0].(bool)
		return x
	})
	return fmap(manyUpTo(op, MaxJSONPath, "JSON path operators (-> or ->>)"), func(v any) any {
		var out []JSONOperand
		for _, x := range v.([]any) {
			out = append(out, x.(JSONOperand))
		}
		return out
	})
}

func jsonPathValue(v any) []JSONOperand {
	if v == nil {
		return nil
	}
	return v.([]JSONOperand)
}

func field() parser {
	return lexeme(fmap(seq(fieldName(), option([]JSONOperand(nil), jsonPath())), func(v any) any {
		vs := v.([]any)
		return Field{Name: vs[0].(string), JSONPath: jsonPathValue(vs[1])}
	}))
}

func aliasSeparator() parser {
	return right(char(':'), notFollowedBy(char(':')))
}

func embedParams() parser {
	param := right(char('!'), alt(
		constP(try(str("left")), embedParam{join: "left"}),
		constP(try(str("inner")), embedParam{join: "inner"}),
		try(fmap(fieldName(), func(v any) any { return embedParam{hint: v.(string)} })),
	))
	return fmap(seq(optionMaybe(param), optionMaybe(param)), func(v any) any {
		vs := v.([]any)
		var out embedParam
		for _, x := range vs { // first hint / first join type wins
			if x == nil {
				continue
			}
			p := x.(embedParam)
			if out.hint == "" {
				out.hint = p.hint
			}
			if out.join == "" {
				out.join = p.join
			}
		}
		return out
	})
}

type embedParam struct{ hint, join string }

func optString(v any) string {
	if v == nil {
		return ""
	}
	return v.(string)
}

func relationSelect() parser {
	// guard (name /= "count") after the name, before the embed params
	rest := seq(embedParams(), try(lookAhead(str("("))))
	fail := zero()
	nameThenRest := fmap(seq(bind(fieldName(), func(name any) parser {
		if name.(string) == "count" {
			return fail
		}
		return pure(name)
	}), rest), func(v any) any {
		vs := v.([]any)
		return []any{vs[0], vs[1].([]any)[0]}
	})
	return lexeme(fmap(seq(optionMaybe(try(left(fieldName(), aliasSeparator()))), nameThenRest), func(v any) any {
		vs := v.([]any)
		nr := vs[1].([]any)
		e := nr[1].(embedParam)
		return SelectItem{Kind: SelectRelation, Relation: nr[0].(string), Alias: optString(vs[0]), Hint: e.hint, JoinType: e.join}
	}))
}

func spreadSelect() parser {
	return lexeme(fmap(seq(right(str("..."), fieldName()), embedParams(), try(lookAhead(str("(")))), func(v any) any {
		vs := v.([]any)
		e := vs[1].(embedParam)
		return SelectItem{Kind: SelectSpread, Relation: vs[0].(string), Hint: e.hint, JoinType: e.join}
	}))
}

func fieldSelect() parser {
	end := alt(try(lookAhead(str(")"))), try(lookAhead(str(","))), try(eof()))
	cast := optionMaybe(right(str("::"), identifier()))
	star := constP(left(str("*"), end), SelectItem{Kind: SelectField, Field: Field{Name: "*"}})
	alias := optionMaybe(try(left(fieldName(), aliasSeparator())))
	count := fmap(seq(alias, str("count()"), cast, end), func(v any) any {
		vs := v.([]any)
		return SelectItem{Kind: SelectField, Field: Field{Name: "*"}, Aggregate: "count",
			AggregateCast: optString(vs[2]), Alias: optString(vs[0])}
	})
	aggregation := alt(
		constP(str("sum"), "sum"),
		constP(str("avg"), "avg"),
		constP(str("count"), "count"),
		constP(try(str("max")), "max"),
		constP(try(str("min")), "min"),
	)
	agg := optionMaybe(try(left(right(char('.'), aggregation), str("()"))))
	plain := fmap(seq(alias, field(), cast, agg, cast, end), func(v any) any {
		vs := v.([]any)
		return SelectItem{Kind: SelectField, Field: vs[1].(Field), Cast: optString(vs[2]),
			Aggregate: optString(vs[3]), AggregateCast: optString(vs[4]), Alias: optString(vs[0])}
	})
	return lexeme(alt(try(star), try(count), plain))
}

func fieldForest() parser {
	var forest parser
	lazy := nested(&forest)
	withChildren := func(head parser) parser {
		return fmap(seq(try(head), between(char('('), char(')'), lazy)), func(v any) any {
			vs := v.([]any)
			item := vs[0].(SelectItem)
			item.Children = toSelectItems(vs[1])
			return item
		})
	}
	tree := alt(withChildren(spreadSelect()), withChildren(relationSelect()), fieldSelect())
	forest = sepBy(tree, lexeme(char(',')))
	return forest
}

func toSelectItems(v any) []SelectItem {
	var out []SelectItem
	for _, x := range v.([]any) {
		out = append(out, x.(SelectItem))
	}
	return out
}

// opExpr parses "[not.]op.value". singleVal parses the value of simple
// operators.
func opExpr(singleVal parser) parser {
	negation := alt(constP(try(right(str("not"), delimiter())), true), pure(false))
	ci := func(word string) parser {
		var ps []parser
		for _, c := range word {
			u := []rune(strings.ToUpper(string(c)))[0]
			ps = append(ps, alt(char(c), char(u)))
		}
		return seq(ps...)
	}
	isVal := label(alt(
		constP(try(ci("null")), "null"),
		constP(try(ci("not_null")), "not_null"),
		constP(try(ci("true")), "true"),
		constP(try(ci("false")), "false"),
		constP(try(ci("unknown")), "unknown"),
	), "isVal: (null, not_null, true, false, unknown)")
	pIn := fmap(right(try(right(str("in"), delimiter())), listVal()), func(v any) any {
		return Operation{Op: "in", List: v.([]string)}
	})
	pIs := fmap(right(try(right(str("is"), delimiter())), isVal), func(v any) any {
		return Operation{Op: "is", Value: v.(string)}
	})
	pIsDist := fmap(right(try(right(str("isdistinct"), delimiter())), singleVal), func(v any) any {
		return Operation{Op: "isdistinct", Value: v.(string)}
	})
	fts := alt(
		constP(try(str("fts")), "fts"),
		constP(try(str("plfts")), "plfts"),
		constP(try(str("phfts")), "phfts"),
		constP(try(str("wfts")), "wfts"),
	)
	fts = fmap(seq(fts, optionMaybe(try(between(char('('), char(')'), identifier()))), right(delimiter(), singleVal)), func(v any) any {
		vs := v.([]any)
		return Operation{Op: vs[0].(string), Lang: optString(vs[1]), Value: vs[2].(string)}
	})
	simpleNames := []string{"neq", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj"}
	var simpleAlts []parser
	for _, n := range simpleNames {
		simpleAlts = append(simpleAlts, constP(try(str(n)), n))
	}
	simple := fmap(seq(label(alt(simpleAlts...), "unknown single value operator"), right(delimiter(), singleVal)), func(v any) any {
		vs := v.([]any)
		return Operation{Op: vs[0].(string), Value: vs[1].(string)}
	})
	quantNames := []string{"eq", "gte", "gt", "lte", "lt", "like", "ilike", "match", "imatch"}
	var quantAlts []parser
	for _, n := range quantNames {
		quantAlts = append(quantAlts, constP(try(str(n)), n))
	}
	quantifier := optionMaybe(try(between(char('('), char(')'),
		alt(constP(try(str("any")), "any"), constP(str("all"), "all")))))
	quant := fmap(seq(label(alt(quantAlts...), "unknown single value operator"), quantifier, right(delimiter(), singleVal)), func(v any) any {
		vs := v.([]any)
		return Operation{Op: vs[0].(string), Quantifier: optString(vs[1]), Value: vs[2].(string)}
	})
	operation := label(alt(pIn, pIs, pIsDist, try(fts), try(simple), try(quant)), "operator (eq, gt, ...)")
	return fmap(seq(negation, operation), func(v any) any {
		vs := v.([]any)
		op := vs[1].(Operation)
		op.Negated = vs[0].(bool)
		return op
	})
}

func singleVal() parser { return fmap(many(anyChar()), func(v any) any { return runesToString(v) }) }

func listElement() parser {
	return alt(
		try(left(quotedValue(), notFollowedBy(noneOf(",)")))),
		fmap(many(noneOf(",)")), func(v any) any { return runesToString(v) }),
	)
}

func listVal() parser {
	return fmap(left(right(lexeme(char('(')), sepBy1(listElement(), char(','))), lexeme(char(')'))), func(v any) any {
		var out []string
		for _, x := range v.([]any) {
			out = append(out, x.(string))
		}
		return out
	})
}

func logicSingleVal() parser {
	pgArray := fmap(seq(str("{"), many(noneOf("{}")), str("}")), func(v any) any {
		vs := v.([]any)
		return "{" + runesToString(vs[1]) + "}"
	})
	return alt(
		try(left(quotedValue(), notFollowedBy(noneOf(",)")))),
		try(pgArray),
		fmap(many(noneOf(",)")), func(v any) any { return runesToString(v) }),
	)
}

func logicTree() parser {
	var tree parser
	lazy := nested(&tree)
	filter := fmap(seq(left(field(), delimiter()), opExpr(logicSingleVal())), func(v any) any {
		vs := v.([]any)
		return LogicTree{Filter: &Filter{Field: vs[0].(Field), Operation: vs[1].(Operation)}}
	})
	negation := label(alt(constP(try(right(str("not"), delimiter())), true), pure(false)), "negation operator (not)")
	logicOp := label(alt(constP(try(str("and")), "and"), constP(str("or"), "or")), "logic operator (and, or)")
	kids := left(right(lexeme(char('(')), sepBy1(lazy, lexeme(char(',')))), lexeme(char(')')))
	expr := fmap(seq(negation, logicOp, kids), func(v any) any {
		vs := v.([]any)
		t := LogicTree{Negated: vs[0].(bool), Op: vs[1].(string)}
		for _, x := range vs[2].([]any) {
			t.Children = append(t.Children, x.(LogicTree))
		}
		return t
	})
	tree = alt(try(filter), expr)
	return tree
}

func orderTerms() parser {
	end := alt(try(lookAhead(char(','))), try(eof()))
	dir := alt(constP(try(right(delimiter(), str("asc"))), "asc"), constP(try(right(delimiter(), str("desc"))), "desc"))
	nulls := alt(constP(try(right(delimiter(), str("nullsfirst"))), "nullsfirst"),
		constP(try(right(delimiter(), str("nullslast"))), "nullslast"))
	tail := seq(optionMaybe(dir), alt(left(optionMaybe(nulls), end), constP(end, nil)))
	withTail := func(t OrderTerm, v any) any {
		vs := v.([]any)
		t.Direction = optString(vs[0])
		t.Nulls = optString(vs[1])
		return t
	}
	term := fmap(seq(field(), tail), func(v any) any {
		vs := v.([]any)
		return withTail(OrderTerm{Field: vs[0].(Field)}, vs[1])
	})
	relTerm := fmap(seq(fieldName(), between(char('('), char(')'), field()), tail), func(v any) any {
		vs := v.([]any)
		return withTail(OrderTerm{Relation: vs[0].(string), Field: vs[1].(Field)}, vs[2])
	})
	return fmap(sepBy1(lexeme(alt(try(relTerm), term)), char(',')), func(v any) any {
		var out []OrderTerm
		for _, x := range v.([]any) {
			out = append(out, x.(OrderTerm))
		}
		return out
	})
}

func columnsP() parser {
	return fmap(sepBy1(fieldName(), lexeme(char(','))), func(v any) any {
		var out []string
		for _, x := range v.([]any) {
			out = append(out, x.(string))
		}
		return out
	})
}

// treePath parses a parameter name: "a.b.col->x" is embed path [a b] and field col->x.
func treePath() parser {
	return fmap(seq(sepBy1(fieldName(), delimiter()), option([]JSONOperand(nil), jsonPath())), func(v any) any {
		vs := v.([]any)
		names := vs[0].([]any)
		var path []string
		for _, n := range names[:len(names)-1] {
			path = append(path, n.(string))
		}
		return treePathResult{path: path, field: Field{Name: names[len(names)-1].(string), JSONPath: jsonPathValue(vs[1])}}
	})
}

type treePathResult struct {
	path  []string
	field Field
}

// logicPath parses "a.not.or": embed path [a] and operator "not.or".
func logicPath() parser {
	return fmap(sepBy1(fieldName(), delimiter()), func(v any) any {
		var names []string
		for _, x := range v.([]any) {
			names = append(names, x.(string))
		}
		op := names[len(names)-1]
		hasNot := false
		var path []string
		for _, n := range names[:len(names)-1] {
			if n == "not" {
				hasNot = true
				continue
			}
			path = append(path, n)
		}
		if op == "not" {
			hasNot = true
		}
		if hasNot {
			op = "not." + op
		}
		return logicPathResult{path: path, op: op}
	})
}

type logicPathResult struct {
	path []string
	op   string
}
