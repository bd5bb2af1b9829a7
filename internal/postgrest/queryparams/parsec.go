package queryparams

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

// pmsg is one Parsec message. Texts of unexpected characters are rendered
// only when an error is shown (style 1: show of a String, 2: show of a Char).
type pmsg struct {
	kind  msgKind
	text  string
	ch    rune
	style uint8
}

func (m pmsg) String() string {
	switch m.style {
	case 1:
		return hsShowString(string(m.ch))
	case 2:
		return hsShowChar(m.ch)
	}
	return m.text
}

// msgNode is a persistent list of messages: merging and relabelling errors
// build nodes instead of copying slices; flatten gives Parsec's list.
type msgNode struct {
	leaf        bool
	msg         pmsg
	left, right *msgNode // concatenation (left ++ right)
	relabel     bool     // Expect label first, then child (=left) without Expect messages
	label       string
}

func leaf(m pmsg) *msgNode     { return &msgNode{leaf: true, msg: m} }
func leaf2(a, b pmsg) *msgNode { return &msgNode{left: leaf(a), right: leaf(b)} }
func (n *msgNode) flatten(out []pmsg) []pmsg {
	switch {
	case n == nil:
		return out
	case n.leaf:
		return append(out, n.msg)
	case n.relabel:
		out = append(out, pmsg{kind: msgExpect, text: n.label})
		for _, m := range n.left.flatten(nil) {
			if m.kind != msgExpect {
				out = append(out, m)
			}
		}
		return out
	}
	return n.right.flatten(n.left.flatten(out))
}

type perr struct {
	line, col int
	msgs      *msgNode
}

func (e perr) unknown() bool { return e.msgs == nil }

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
	if e2.msgs == nil && e1.msgs != nil {
		return e1
	}
	if e1.msgs == nil && e2.msgs != nil {
		return e2
	}
	switch posCmp(e1, e2) {
	case 0:
		if e1.msgs == nil {
			return perr{e1.line, e1.col, e2.msgs}
		}
		if e2.msgs == nil {
			return e1
		}
		return perr{e1.line, e1.col, &msgNode{left: e1.msgs, right: e2.msgs}}
	case 1:
		return e1
	}
	return e2
}

// setExpect is Parsec's setExpectErrors with a single label: all Expect
// messages are replaced by one, put first.
func setExpect(e perr, label string) perr {
	return perr{e.line, e.col, &msgNode{relabel: true, label: label, left: e.msgs}}
}

type pstate struct {
	in        []rune
	i         int
	line, col int
	depth     int // nesting level (see nested)
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

func (s pstate) errAt(msgs *msgNode) perr { return perr{s.line, s.col, msgs} }

type reply struct {
	ok, consumed bool
	st           pstate
	err          perr
	v            any
	// fatal, when set, is a limit that was exceeded: the reply is a
	// consumed error that try does not undo, so no alternative is tried and
	// the parse stops at once (Parsec itself has no such limits).
	fatal string
}

type parser func(pstate) reply

func okEmpty(s pstate, v any) reply { return reply{ok: true, st: s, err: s.errAt(nil), v: v} }

// pure is Parsec's return.
func pure(v any) parser { return func(s pstate) reply { return okEmpty(s, v) } }

// zero is Parsec's mzero/parserZero.
func zero() parser { return func(s pstate) reply { return reply{st: s, err: s.errAt(nil)} } }

func satisfy(pred func(rune) bool) parser {
	return func(s pstate) reply {
		if s.eof() {
			return reply{st: s, err: s.errAt(leaf(pmsg{kind: msgSysUnExpect}))}
		}
		c := s.in[s.i]
		if !pred(c) {
			return reply{st: s, err: s.errAt(leaf(pmsg{kind: msgSysUnExpect, ch: c, style: 1}))}
		}
		n := s.advance(c)
		return reply{ok: true, consumed: true, st: n, err: n.errAt(nil), v: c}
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
	exp := pmsg{kind: msgExpect, text: hsShowString(want)}
	return func(s pstate) reply {
		cur := s
		for k, c := range w {
			if cur.eof() {
				return reply{consumed: k > 0, st: s, err: s.errAt(leaf2(exp, pmsg{kind: msgSysUnExpect}))}
			}
			x := cur.in[cur.i]
			if x != c {
				return reply{consumed: k > 0, st: s, err: s.errAt(leaf2(exp, pmsg{kind: msgSysUnExpect, ch: x, style: 1}))}
			}
			cur = cur.advance(x)
		}
		return reply{ok: true, consumed: len(w) > 0, st: cur, err: cur.errAt(nil), v: want}
	}
}

// anyToken does not advance the position (Parsec's anyToken).
func anyToken() parser {
	return func(s pstate) reply {
		if s.eof() {
			return reply{st: s, err: s.errAt(leaf(pmsg{kind: msgSysUnExpect}))}
		}
		c := s.in[s.i]
		n := s
		n.i++
		return reply{ok: true, consumed: true, st: n, err: n.errAt(nil), v: c}
	}
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
		if !r.ok && r.fatal == "" {
			r.consumed = false
		}
		return r
	}
}

// fatalAt is the reply for an exceeded limit.
func fatalAt(s pstate, msg string) reply {
	return reply{consumed: true, st: s, err: s.errAt(nil), fatal: msg}
}

// nested runs *p one nesting level deeper (p is a pointer so that
// recursive grammars can refer to themselves); past MaxDepth levels the
// parse fails with a fatal error instead of recursing further, which keeps
// the Go stack and the work per input byte bounded.
func nested(p *parser) parser {
	return func(s pstate) reply {
		if s.depth >= MaxDepth {
			return fatalAt(s, "nesting deeper than "+strconv.Itoa(MaxDepth)+" levels")
		}
		s.depth++
		r := (*p)(s)
		r.st.depth--
		return r
	}
}

// manyUpTo is many with at most max repetitions (-1: no limit); one more
// is fatal (what names the repeated thing in the message).
func manyUpTo(p parser, max int, what string) parser {
	return func(s pstate) reply {
		var vs []any
		cur := s
		consumed := false
		for {
			r := p(cur)
			if r.consumed && !r.ok {
				return r
			}
			if !r.ok || !r.consumed {
				return reply{ok: true, consumed: consumed, st: cur, err: r.err, v: vs}
			}
			if max >= 0 && len(vs) == max {
				return fatalAt(cur, "more than "+strconv.Itoa(max)+" "+what)
			}
			consumed = true
			vs = append(vs, r.v)
			cur = r.st
		}
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
		return reply{st: s, err: s.errAt(nil)}
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

// seq runs parsers in order and returns all their values ([]any); it is
// p1 >>= \v1 -> p2 >>= … with the same error merging as bind.
func seq(ps ...parser) parser {
	return func(s pstate) reply {
		vals := make([]any, 0, len(ps))
		cur, err, consumed := s, s.errAt(nil), false
		for _, p := range ps {
			r := p(cur)
			if !r.consumed && !err.unknown() {
				r.err = mergeErr(err, r.err)
			}
			if consumed {
				r.consumed = true
			}
			if !r.ok {
				return r
			}
			consumed, err, cur = r.consumed, r.err, r.st
			vals = append(vals, r.v)
		}
		return reply{ok: true, consumed: consumed, st: cur, err: err, v: vals}
	}
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
func right(p, q parser) parser {
	both := seq(p, q)
	return func(s pstate) reply {
		r := both(s)
		if r.ok {
			r.v = r.v.([]any)[1]
		}
		return r
	}
}

func left(p, q parser) parser {
	both := seq(p, q)
	return func(s pstate) reply {
		r := both(s)
		if r.ok {
			r.v = r.v.([]any)[0]
		}
		return r
	}
}

// many repeats p until it fails without consuming (an empty success
// ends it too: Parsec would report it, looping forever otherwise).
func many(p parser) parser { return manyUpTo(p, -1, "") }

func many1(p parser) parser {
	return fmap(seq(p, many(p)), func(v any) any {
		vs := v.([]any)
		rest, _ := vs[1].([]any)
		return append([]any{vs[0]}, rest...)
	})
}

func sepBy1(p, sep parser) parser {
	return fmap(seq(p, many(right(sep, p))), func(v any) any {
		vs := v.([]any)
		rest, _ := vs[1].([]any)
		return append([]any{vs[0]}, rest...)
	})
}

func sepBy(p, sep parser) parser { return alt(sepBy1(p, sep), pure([]any{})) }

func option(def any, p parser) parser { return alt(p, pure(def)) }

// optionMaybe yields nil when p fails without consuming.
func optionMaybe(p parser) parser { return option(nil, p) }

func between(open, close, p parser) parser { return left(right(open, p), close) }

// notFollowedBy succeeds when p (a parser of one Char) fails.
func notFollowedBy(p parser) parser {
	tp := try(p)
	inner := func(s pstate) reply {
		r := tp(s)
		if !r.ok {
			return r
		}
		// p >>= unexpected . show: consumed, error at p's end position
		u := reply{consumed: r.consumed, st: r.st, err: r.st.errAt(leaf(pmsg{kind: msgUnExpect, ch: r.v.(rune), style: 2}))}
		if !r.err.unknown() {
			u.err = mergeErr(r.err, u.err)
		}
		return u
	}
	return try(alt(inner, pure(nil)))
}

func eof() parser { return label(notFollowedBy(anyToken()), "end of input") }

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
