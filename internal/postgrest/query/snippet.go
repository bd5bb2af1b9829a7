// Package query is the engine's SQL stage, PostgREST's Query.hs,
// Query/QueryBuilder.hs, Query/SqlFragment.hs, Query/Statements.hs and
// Query/PreQuery.hs@v16.2: it turns a plan into the statements of the
// request transaction, as SQL text with bind arguments. All identifier and
// literal quoting of the engine is here. No database.
package query

import (
	"strconv"
	"strings"
)

// paramMark stands for a bind argument until Render numbers it; it cannot
// occur in rendered SQL (identifiers and literals drop NUL bytes, values
// are arguments).
const paramMark = '\x00'

// Snippet is SQL with bind arguments (hasql's Snippet): pieces compose in
// any order and the arguments are numbered when rendered.
type Snippet struct {
	b    []byte
	args []any
}

// S appends SQL text.
func (s *Snippet) S(parts ...string) *Snippet {
	for _, p := range parts {
		s.b = append(s.b, p...)
	}
	return s
}

// P appends a bind argument.
func (s *Snippet) P(v any) *Snippet {
	s.b = append(s.b, paramMark)
	s.args = append(s.args, v)
	return s
}

// A appends other snippets.
func (s *Snippet) A(others ...Snippet) *Snippet {
	for _, o := range others {
		s.b = append(s.b, o.b...)
		s.args = append(s.args, o.args...)
	}
	return s
}

// Join appends others separated by sep.
func (s *Snippet) Join(sep string, others []Snippet) *Snippet {
	for i, o := range others {
		if i > 0 {
			s.S(sep)
		}
		s.A(o)
	}
	return s
}

// Clone copies s, so that appending to the copy cannot touch s.
func (s Snippet) Clone() Snippet {
	return Snippet{b: append([]byte(nil), s.b...), args: append([]any(nil), s.args...)}
}

// Render numbers the arguments ($1, $2, …) in text order.
func (s Snippet) Render() (string, []any) {
	var sb strings.Builder
	sb.Grow(len(s.b) + 2*len(s.args))
	n := 0
	for _, c := range s.b {
		if c == paramMark {
			n++
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(n))
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String(), s.args
}

// SQL is a snippet of text.
func SQL(parts ...string) Snippet {
	var s Snippet
	s.S(parts...)
	return s
}

// Stmt is one rendered statement.
type Stmt struct {
	SQL  string
	Args []any
}

// Stmt renders the snippet.
func (s Snippet) Stmt() Stmt {
	q, a := s.Render()
	return Stmt{SQL: q, Args: a}
}

// Ident quotes an identifier as PostgREST's escapeIdent: double quotes
// doubled, cut at the first NUL (PostgreSQL would end the string there).
func Ident(name string) string {
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Literal is a SQL string literal for values that come from the database
// itself (SqlFragment.hs pgFmtLit): an E” literal when it has backslashes.
func Literal(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	esc := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(esc, `\`) {
		return "E" + strings.ReplaceAll(esc, `\`, `\\`)
	}
	return esc
}

// Text is a bind argument sent in text format without a type, so that
// PostgreSQL infers it from the context (PostgREST's "unknown" encoder).
type Text = string
