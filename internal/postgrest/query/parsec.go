package query

// A tiny parser-combinator engine with the semantics of Haskell's Parsec 3
// (consumed/empty replies, try, labels, error merging), so that syntax errors
// carry the same position and "unexpected … expecting …" text as PostgREST,
// whose query-string grammar is written with Parsec.

import (
	"strconv"
	"strings"
	"unicode"
)

type msgKind int

const (
	msgSysUnExpect msgKind = iota
	msgUnExpect
	msgExpect
	msgMessage
)

type pmsg struct {
	kind msgKind
	text string
}

type perr struct {
	line, col int
	msgs      []pmsg
}

func (e perr) unknown() bool { return len(e.msgs) == 0 }

func posCmp(a, b perr) int {
	switch {
	case a.line != b.line:
		if a.line < b.line {
			return -1
		}
		return 1
	case a.col != b.col:
		if a.col < b.col {
			return -1
		}
		return 1
	}
	return 0
}

// mergeErr is Parsec's mergeError.
func mergeErr(e1, e2 perr) perr {
	if len(e2.msgs) == 0 && len(e1.msgs) != 0 {
		return e1
	}
	if len(e1.msgs) == 0 && len(e2.msgs) != 0 {
		return e2
	}
	switch posCmp(e1, e2) {
	case 0:
		m := make([]pmsg, 0, len(e1.msgs)+len(e2.msgs))
		m = append(append(m, e1.msgs...), e2.msgs...)
		return perr{e1.line, e1.col, m}
	case 1:
		return e1
	}
	return e2
}

// setExpect is Parsec's setExpectErrors with a single label: all Expect
// messages are replaced by one, put first.
func setExpect(e perr, label string) perr {
	m := []pmsg{{msgExpect, label}}
	for _, x := range e.msgs {
		if x.kind != msgExpect {
			m = append(m, x)
		}
	}
	return perr{e.line, e.col, m}
}

type pstate struct {
	in        []rune
	i         int
	line, col int
}

func (s pstate) eof() bool { return s.i >= len(s.in) }

func (s pstate) advance(c rune) pstate {
	s.i++
	switch c {
	case '\n':
		s.line++
		s.col = 1
	case '\t':
		s.col = s.col + 8 - (s.col-1)%8
	default:
		s.col++
	}
	return s
}

func (s pstate) errAt(msgs ...pmsg) perr { return perr{s.line, s.col, msgs} }

type reply struct {
	ok, consumed bool
	st           pstate
	err          perr
	v            any
}

type parser func(pstate) reply

func okEmpty(s pstate, v any) reply { return reply{ok: true, st: s, err: s.errAt(), v: v} }

// pure is Parsec's return.
func pure(v any) parser { return func(s pstate) reply { return okEmpty(s, v) } }

// zero is Parsec's mzero/parserZero.
func zero() parser { return func(s pstate) reply { return reply{st: s, err: s.errAt()} } }

func satisfy(pred func(rune) bool) parser {
	return func(s pstate) reply {
		if s.eof() {
			return reply{st: s, err: s.errAt(pmsg{msgSysUnExpect, ""})}
		}
		c := s.in[s.i]
		if !pred(c) {
			return reply{st: s, err: s.errAt(pmsg{msgSysUnExpect, hsShowString(string(c))})}
		}
		n := s.advance(c)
		return reply{ok: true, consumed: true, st: n, err: n.errAt(), v: c}
	}
}

func anyChar() parser { return satisfy(func(rune) bool { return true }) }

func oneOf(cs string) parser {
	return satisfy(func(c rune) bool { return strings.ContainsRune(cs, c) })
}

func noneOf(cs string) parser {
	return satisfy(func(c rune) bool { return !strings.ContainsRune(cs, c) })
}

func char(c rune) parser {
	return label(satisfy(func(x rune) bool { return x == c }), hsShowString(string(c)))
}

func letter() parser { return label(satisfy(unicode.IsLetter), "letter") }

func digit() parser {
	return label(satisfy(func(c rune) bool { return c >= '0' && c <= '9' }), "digit")
}

// str is Parsec's string (tokens): a mismatch after the first character is
// a consumed error reported at the start position.
func str(want string) parser {
	w := []rune(want)
	return func(s pstate) reply {
		exp := pmsg{msgExpect, hsShowString(want)}
		cur := s
		for k, c := range w {
			if cur.eof() {
				return reply{consumed: k > 0, st: s, err: s.errAt(exp, pmsg{msgSysUnExpect, ""})}
			}
			x := cur.in[cur.i]
			if x != c {
				return reply{consumed: k > 0, st: s, err: s.errAt(exp, pmsg{msgSysUnExpect, hsShowString(string(x))})}
			}
			cur = cur.advance(x)
		}
		return reply{ok: true, consumed: len(w) > 0, st: cur, err: cur.errAt(), v: want}
	}
}

// anyToken does not advance the position (Parsec's anyToken).
func anyToken() parser {
	return func(s pstate) reply {
		if s.eof() {
			return reply{st: s, err: s.errAt(pmsg{msgSysUnExpect, ""})}
		}
		c := s.in[s.i]
		n := s
		n.i++
		return reply{ok: true, consumed: true, st: n, err: n.errAt(), v: c}
	}
}

func unexpected(msg string) parser {
	return func(s pstate) reply { return reply{st: s, err: s.errAt(pmsg{msgUnExpect, msg})} }
}

func label(p parser, msg string) parser {
	return func(s pstate) reply {
		r := p(s)
		if r.consumed {
			return r
		}
		if !r.ok || !r.err.unknown() {
			r.err = setExpect(r.err, msg)
		}
		return r
	}
}

func try(p parser) parser {
	return func(s pstate) reply {
		r := p(s)
		if !r.ok {
			r.consumed = false
		}
		return r
	}
}

func lookAhead(p parser) parser {
	return func(s pstate) reply {
		r := p(s)
		if r.ok {
			return okEmpty(s, r.v)
		}
		return r
	}
}

func alt(ps ...parser) parser {
	return func(s pstate) reply {
		var acc perr
		for k, p := range ps {
			r := p(s)
			if r.consumed {
				return r
			}
			if k > 0 {
				r.err = mergeErr(acc, r.err)
			}
			if r.ok {
				return r
			}
			acc = r.err
			if k == len(ps)-1 {
				return r
			}
		}
		return reply{st: s, err: s.errAt()}
	}
}

// bind is Parsec's >>=.
func bind(p parser, k func(any) parser) parser {
	return func(s pstate) reply {
		r1 := p(s)
		if !r1.ok {
			return r1
		}
		r2 := k(r1.v)(r1.st)
		if !r2.consumed && !r1.err.unknown() {
			r2.err = mergeErr(r1.err, r2.err)
		}
		if r1.consumed {
			r2.consumed = true
		}
		return r2
	}
}

// seq runs parsers in order and returns all their values.
func seq(ps ...parser) parser {
	var step func(i int, acc []any) parser
	step = func(i int, acc []any) parser {
		if i == len(ps) {
			return pure(acc)
		}
		return bind(ps[i], func(v any) parser {
			next := append(append([]any(nil), acc...), v)
			return step(i+1, next)
		})
	}
	return step(0, nil)
}

func fmap(p parser, f func(any) any) parser {
	return func(s pstate) reply {
		r := p(s)
		if r.ok {
			r.v = f(r.v)
		}
		return r
	}
}

func constP(p parser, v any) parser { return fmap(p, func(any) any { return v }) }

// right is p *> q; left is p <* q.
func right(p, q parser) parser { return bind(p, func(any) parser { return q }) }
func left(p, q parser) parser {
	return bind(p, func(v any) parser { return constP(q, v) })
}

func many(p parser) parser {
	return func(s pstate) reply {
		var vs []any
		cur := s
		consumed := false
		for {
			r := p(cur)
			if r.consumed && !r.ok {
				return r
			}
			if !r.ok {
				return reply{ok: true, consumed: consumed, st: cur, err: r.err, v: vs}
			}
			if !r.consumed { // would loop forever; Parsec errors out here
				return reply{ok: true, consumed: consumed, st: cur, err: r.err, v: vs}
			}
			consumed = true
			vs = append(vs, r.v)
			cur = r.st
		}
	}
}

func many1(p parser) parser {
	return bind(p, func(v any) parser {
		return fmap(many(p), func(rest any) any {
			return append([]any{v}, rest.([]any)...)
		})
	})
}

func sepBy1(p, sep parser) parser {
	return bind(p, func(v any) parser {
		return fmap(many(right(sep, p)), func(rest any) any {
			return append([]any{v}, rest.([]any)...)
		})
	})
}

func sepBy(p, sep parser) parser { return alt(sepBy1(p, sep), pure([]any{})) }

func option(def any, p parser) parser { return alt(p, pure(def)) }

// optionMaybe yields nil when p fails without consuming.
func optionMaybe(p parser) parser { return option(nil, p) }

func between(open, close, p parser) parser { return left(right(open, p), close) }

func notFollowedBy(p parser, show func(any) string) parser {
	return try(alt(
		bind(try(p), func(v any) parser { return unexpected(show(v)) }),
		pure(nil),
	))
}

func eof() parser {
	return label(notFollowedBy(anyToken(), func(v any) string { return hsShowChar(v.(rune)) }), "end of input")
}

func guardP(ok bool) parser {
	if ok {
		return pure(nil)
	}
	return zero()
}

func runesToString(v any) string {
	var b strings.Builder
	for _, x := range v.([]any) {
		switch t := x.(type) {
		case rune:
			b.WriteRune(t)
		case string:
			b.WriteString(t)
		}
	}
	return b.String()
}

// runParser is Parsec's parse: it does not require the end of input.
func runParser(p parser, name, input string) (any, *QPError) {
	r := p(pstate{in: []rune(input), line: 1, col: 1})
	if r.ok {
		return r.v, nil
	}
	return nil, &QPError{Message: showPos(name, r.err), Details: showMessages(r.err.msgs)}
}

func showPos(name string, e perr) string {
	lc := "(line " + strconv.Itoa(e.line) + ", column " + strconv.Itoa(e.col) + ")"
	if name == "" {
		return lc
	}
	return "\"" + name + "\" " + lc
}

// showMessages is Parsec's showErrorMessages with PostgREST's wording
// ("or", "expecting", "unexpected", "end of input"), newlines turned into
// spaces and the result trimmed.
func showMessages(msgs []pmsg) string {
	if len(msgs) == 0 {
		return "unknown parse error"
	}
	var sys, unexp, exp, other []string
	for _, m := range msgs { // a stable sort by kind
		switch m.kind {
		case msgSysUnExpect:
			sys = append(sys, m.text)
		case msgUnExpect:
			unexp = append(unexp, m.text)
		case msgExpect:
			exp = append(exp, m.text)
		default:
			other = append(other, m.text)
		}
	}
	showMany := func(pre string, xs []string) string {
		c := clean(xs)
		if len(c) == 0 {
			return ""
		}
		if pre == "" {
			return commasOr(c)
		}
		return pre + " " + commasOr(c)
	}
	showSys := ""
	if len(unexp) == 0 && len(sys) != 0 {
		if sys[0] == "" {
			showSys = "unexpected end of input"
		} else {
			showSys = "unexpected " + sys[0]
		}
	}
	parts := clean([]string{showSys, showMany("unexpected", unexp), showMany("expecting", exp), showMany("", other)})
	out := "\n" + strings.Join(parts, "\n")
	return strings.TrimSpace(strings.ReplaceAll(out, "\n", " "))
}

func clean(xs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if x == "" || seen[x] {
			continue
		}
		seen[x] = true
		out = append(out, x)
	}
	return out
}

func commasOr(ms []string) string {
	switch len(ms) {
	case 0:
		return ""
	case 1:
		return ms[0]
	}
	return strings.Join(ms[:len(ms)-1], ", ") + " or " + ms[len(ms)-1]
}

var asciiNames = []string{"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "a", "b", "t", "n", "v", "f", "r", "SO", "SI",
	"DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"}

// hsShowString renders s as Haskell's show does for a String.
func hsShowString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	rs := []rune(s)
	for i, c := range rs {
		next := rune(-1)
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		if c == '"' {
			b.WriteString(`\"`)
			continue
		}
		b.WriteString(hsEscape(c, next, '"'))
	}
	b.WriteByte('"')
	return b.String()
}

// hsShowChar renders c as Haskell's show does for a Char.
func hsShowChar(c rune) string {
	if c == '\'' {
		return `'\''`
	}
	return "'" + hsEscape(c, -1, '\'') + "'"
}

func hsEscape(c, next rune, _ rune) string {
	switch {
	case c == '\\':
		return `\\`
	case c == 127:
		return `\DEL`
	case c >= 32 && c < 127:
		return string(c)
	case c < 32:
		n := asciiNames[c]
		if len(n) == 1 {
			return `\` + n
		}
		if c == 14 && next == 'H' {
			return `\SO\&`
		}
		return `\` + n
	}
	out := `\` + strconv.Itoa(int(c))
	if next >= '0' && next <= '9' {
		out += `\&`
	}
	return out
}
