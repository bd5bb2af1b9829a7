package queryparams

// A fast path for select lists with embedded resources, the common shape
// of embedding requests: plain names, aliases, "*", rel(…), alias:rel(…),
// rel!hint(…), rel!inner(…), ...rel(…), nested. Anything else (spaces,
// quotes, dashes, JSON paths, casts, aggregates, unusual names) returns
// ok=false and goes through the grammar, which the fast path must agree
// with (TestFastEmbedSelectMatchesGrammar, FuzzFastEmbedSelect). The
// grammar's combinators allocate per character, which made parsing a
// typical embedding select cost more than the rest of the request's Go
// work.

// maxFastEmbedDepth: deeper lists go to the grammar, which enforces and
// reports the nesting limit.
const maxFastEmbedDepth = 16

type fastEmbed struct {
	s string
	i int
}

func fastEmbedSelect(s string) ([]SelectItem, bool) {
	if !fastPaths || s == "" {
		return nil, false
	}
	p := &fastEmbed{s: s}
	items, ok := p.list(0)
	if !ok || p.i != len(s) {
		return nil, false
	}
	return items, true
}

// list parses items separated by commas up to ')' or the end.
func (p *fastEmbed) list(depth int) ([]SelectItem, bool) {
	if depth > maxFastEmbedDepth {
		return nil, false
	}
	var out []SelectItem
	if depth > 0 && p.peek() == ')' {
		return nil, true // rel(): an empty embed
	}
	for {
		it, ok := p.item(depth)
		if !ok {
			return nil, false
		}
		out = append(out, it)
		if p.peek() != ',' {
			return out, true
		}
		p.i++
	}
}

func (p *fastEmbed) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *fastEmbed) name() string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			break
		}
		p.i++
	}
	return p.s[start:p.i]
}

// atItemEnd: what the grammar's fieldSelect accepts after a field.
func (p *fastEmbed) atItemEnd() bool {
	c := p.peek()
	return c == ',' || c == ')' || c == 0 && p.i == len(p.s)
}

func (p *fastEmbed) item(depth int) (SelectItem, bool) {
	if p.peek() == '*' {
		p.i++
		return SelectItem{Kind: SelectField, Field: Field{Name: "*"}}, p.atItemEnd()
	}
	spread := false
	if len(p.s)-p.i >= 3 && p.s[p.i:p.i+3] == "..." {
		spread = true
		p.i += 3
	}
	alias := ""
	name := p.name()
	if name == "" {
		return SelectItem{}, false
	}
	if !spread && p.peek() == ':' {
		if p.i+1 < len(p.s) && p.s[p.i+1] == ':' {
			return SelectItem{}, false // a cast
		}
		p.i++
		alias, name = name, p.name()
		if name == "" {
			return SelectItem{}, false
		}
	}
	switch c := p.peek(); {
	case c == '!' || c == '(':
		if !spread && name == "count" {
			return SelectItem{}, false // the grammar's guard: count() is an aggregate
		}
		hint, join, ok := p.embedParams()
		if !ok || p.peek() != '(' {
			return SelectItem{}, false
		}
		p.i++
		children, ok := p.list(depth + 1)
		if !ok || p.peek() != ')' {
			return SelectItem{}, false
		}
		p.i++
		it := SelectItem{Kind: SelectRelation, Relation: name, Alias: alias, Hint: hint, JoinType: join, Children: children}
		if spread {
			it.Kind = SelectSpread
		}
		return it, p.atItemEnd()
	case spread:
		return SelectItem{}, false
	}
	return SelectItem{Kind: SelectField, Field: Field{Name: name}, Alias: alias}, p.atItemEnd()
}

// embedParams: at most two "!param", the first hint and the first join
// type winning, as the grammar's embedParams.
func (p *fastEmbed) embedParams() (hint, join string, ok bool) {
	for n := 0; p.peek() == '!'; n++ {
		if n == 2 {
			return "", "", false
		}
		p.i++
		v := p.name()
		switch {
		case v == "":
			return "", "", false
		case v == "left" || v == "inner":
			if join == "" {
				join = v
			}
		case len(v) >= 4 && v[:4] == "left" || len(v) >= 5 && v[:5] == "inner":
			return "", "", false // the grammar takes the join type's prefix
		default:
			if hint == "" {
				hint = v
			}
		}
	}
	return hint, join, true
}
