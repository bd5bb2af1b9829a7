package query

// The query-string grammar of PostgREST v16.2
// (src/library/PostgREST/ApiRequest/QueryParams.hs), expressed with the
// Parsec-like combinators of parsec.go so that errors match.

import (
	"strings"
)

func ws() parser { return many(oneOf(" \t")) }

func lexeme(p parser) parser { return left(right(ws(), p), ws()) }

func delimiter() parser { return label(char('.'), "delimiter (.)") }

func showAny(v any) string { return hsShowChar(v.(rune)) }

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
	dash := constP(try(right(char('-'), notFollowedBy(char('>'), showAny))), '-')
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
	op := bind(arrow, func(dbl any) parser {
		return fmap(operand, func(o any) any {
			x := o.(JSONOperand)
			x.Text = dbl.(bool)
			return x
		})
	})
	return fmap(many(op), func(v any) any {
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
	return right(char(':'), notFollowedBy(char(':'), showAny))
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
	return lexeme(bind(optionMaybe(try(left(fieldName(), aliasSeparator()))), func(alias any) parser {
		return bind(fieldName(), func(name any) parser {
			return right(guardP(name.(string) != "count"), bind(embedParams(), func(ep any) parser {
				e := ep.(embedParam)
				return constP(try(lookAhead(str("("))), SelectItem{Kind: SelectRelation, Relation: name.(string),
					Alias: optString(alias), Hint: e.hint, JoinType: e.join})
			}))
		})
	}))
}

func spreadSelect() parser {
	return lexeme(bind(right(str("..."), fieldName()), func(name any) parser {
		return bind(embedParams(), func(ep any) parser {
			e := ep.(embedParam)
			return constP(try(lookAhead(str("("))), SelectItem{Kind: SelectSpread, Relation: name.(string),
				Hint: e.hint, JoinType: e.join})
		})
	}))
}

func fieldSelect() parser {
	end := alt(try(lookAhead(str(")"))), try(lookAhead(str(","))), try(eof()))
	cast := optionMaybe(right(str("::"), identifier()))
	star := constP(left(str("*"), end), SelectItem{Kind: SelectField, Field: Field{Name: "*"}})
	count := bind(optionMaybe(try(left(fieldName(), aliasSeparator()))), func(alias any) parser {
		return right(str("count()"), bind(cast, func(ac any) parser {
			return constP(end, SelectItem{Kind: SelectField, Field: Field{Name: "*"}, Aggregate: "count",
				AggregateCast: optString(ac), Alias: optString(alias)})
		}))
	})
	aggregation := alt(
		constP(str("sum"), "sum"),
		constP(str("avg"), "avg"),
		constP(str("count"), "count"),
		constP(try(str("max")), "max"),
		constP(try(str("min")), "min"),
	)
	plain := bind(optionMaybe(try(left(fieldName(), aliasSeparator()))), func(alias any) parser {
		return bind(field(), func(f any) parser {
			return bind(cast, func(c any) parser {
				return bind(optionMaybe(try(left(right(char('.'), aggregation), str("()")))), func(agg any) parser {
					return bind(cast, func(ac any) parser {
						return constP(end, SelectItem{Kind: SelectField, Field: f.(Field), Cast: optString(c),
							Aggregate: optString(agg), AggregateCast: optString(ac), Alias: optString(alias)})
					})
				})
			})
		})
	})
	return lexeme(alt(try(star), try(count), plain))
}

func fieldForest() parser {
	var forest parser
	lazy := func(s pstate) reply { return forest(s) }
	withChildren := func(head parser) parser {
		return bind(try(head), func(h any) parser {
			return fmap(between(char('('), char(')'), lazy), func(kids any) any {
				item := h.(SelectItem)
				item.Children = toSelectItems(kids)
				return item
			})
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
	fts := bind(alt(
		constP(try(str("fts")), "fts"),
		constP(try(str("plfts")), "plfts"),
		constP(try(str("phfts")), "phfts"),
		constP(try(str("wfts")), "wfts"),
	), func(op any) parser {
		return bind(optionMaybe(try(between(char('('), char(')'), identifier()))), func(lang any) parser {
			return right(delimiter(), fmap(singleVal, func(v any) any {
				return Operation{Op: op.(string), Lang: optString(lang), Value: v.(string)}
			}))
		})
	})
	simpleNames := []string{"neq", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj"}
	var simpleAlts []parser
	for _, n := range simpleNames {
		simpleAlts = append(simpleAlts, constP(try(str(n)), n))
	}
	simple := bind(label(alt(simpleAlts...), "unknown single value operator"), func(op any) parser {
		return right(delimiter(), fmap(singleVal, func(v any) any {
			return Operation{Op: op.(string), Value: v.(string)}
		}))
	})
	quantNames := []string{"eq", "gte", "gt", "lte", "lt", "like", "ilike", "match", "imatch"}
	var quantAlts []parser
	for _, n := range quantNames {
		quantAlts = append(quantAlts, constP(try(str(n)), n))
	}
	quantifier := optionMaybe(try(between(char('('), char(')'),
		alt(constP(try(str("any")), "any"), constP(str("all"), "all")))))
	quant := bind(label(alt(quantAlts...), "unknown single value operator"), func(op any) parser {
		return bind(quantifier, func(q any) parser {
			return right(delimiter(), fmap(singleVal, func(v any) any {
				return Operation{Op: op.(string), Quantifier: optString(q), Value: v.(string)}
			}))
		})
	})
	operation := label(alt(pIn, pIs, pIsDist, try(fts), try(simple), try(quant)), "operator (eq, gt, ...)")
	return bind(negation, func(neg any) parser {
		return fmap(operation, func(o any) any {
			op := o.(Operation)
			op.Negated = neg.(bool)
			return op
		})
	})
}

func singleVal() parser { return fmap(many(anyChar()), func(v any) any { return runesToString(v) }) }

func listElement() parser {
	return alt(
		try(left(quotedValue(), notFollowedBy(noneOf(",)"), showAny))),
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
		try(left(quotedValue(), notFollowedBy(noneOf(",)"), showAny))),
		try(pgArray),
		fmap(many(noneOf(",)")), func(v any) any { return runesToString(v) }),
	)
}

func logicTree() parser {
	var tree parser
	lazy := func(s pstate) reply { return tree(s) }
	filter := bind(left(field(), delimiter()), func(f any) parser {
		return fmap(opExpr(logicSingleVal()), func(o any) any {
			return LogicTree{Filter: &Filter{Field: f.(Field), Operation: o.(Operation)}}
		})
	})
	negation := label(alt(constP(try(right(str("not"), delimiter())), true), pure(false)), "negation operator (not)")
	logicOp := label(alt(constP(try(str("and")), "and"), constP(str("or"), "or")), "logic operator (and, or)")
	expr := bind(negation, func(neg any) parser {
		return bind(logicOp, func(op any) parser {
			kids := left(right(lexeme(char('(')), sepBy1(lazy, lexeme(char(',')))), lexeme(char(')')))
			return fmap(kids, func(v any) any {
				t := LogicTree{Negated: neg.(bool), Op: op.(string)}
				for _, x := range v.([]any) {
					t.Children = append(t.Children, x.(LogicTree))
				}
				return t
			})
		})
	})
	tree = alt(try(filter), expr)
	return tree
}

func orderTerms() parser {
	end := alt(try(lookAhead(char(','))), try(eof()))
	dir := alt(constP(try(right(delimiter(), str("asc"))), "asc"), constP(try(right(delimiter(), str("desc"))), "desc"))
	nulls := alt(constP(try(right(delimiter(), str("nullsfirst"))), "nullsfirst"),
		constP(try(right(delimiter(), str("nullslast"))), "nullslast"))
	tail := func(t OrderTerm) parser {
		return bind(optionMaybe(dir), func(d any) parser {
			return fmap(alt(left(optionMaybe(nulls), end), constP(end, nil)), func(n any) any {
				t.Direction = optString(d)
				t.Nulls = optString(n)
				return t
			})
		})
	}
	term := bind(field(), func(f any) parser { return tail(OrderTerm{Field: f.(Field)}) })
	relTerm := bind(fieldName(), func(rel any) parser {
		return bind(between(char('('), char(')'), field()), func(f any) parser {
			return tail(OrderTerm{Relation: rel.(string), Field: f.(Field)})
		})
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
