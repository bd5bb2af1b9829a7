package queryparams

// Errors of the Parsec-compatible parsers, printed as Haskell's Parsec
// and Show print them (PostgREST's PGRST100 messages and details).

import (
	"strconv"
	"strings"
)

// runParser is Parsec's parse: it does not require the end of input.
// The source name shown in errors is "failed to parse <what> (<arg>)".
func runParser(p parser, what, arg, input string) (any, *QPError) {
	r := p(pstate{in: []rune(input), line: 1, col: 1})
	if r.ok {
		return r.v, nil
	}
	if r.fatal != "" {
		return nil, &QPError{Message: "failed to parse " + what + ": " + r.fatal, Details: "The limit was reached at " + showPos("", r.err) + "."}
	}
	name := ""
	if what != "" {
		name = "failed to parse " + what + " (" + arg + ")"
	}
	return nil, &QPError{Message: showPos(name, r.err), Details: showMessages(r.err.msgs.flatten(nil))}
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
			sys = append(sys, m.String())
		case msgUnExpect:
			unexp = append(unexp, m.String())
		case msgExpect:
			exp = append(exp, m.String())
		default:
			other = append(other, m.String())
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
