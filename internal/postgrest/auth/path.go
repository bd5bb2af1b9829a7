package auth

import (
	"fmt"
	"strconv"
	"strings"
)

// Path is a parsed jwt-role-claim-key: a chain of object keys and array
// indexes. v16 syntax is RFC 9535-like (`$.role`, `$."https://x".roles[0]`);
// the deprecated JSPath syntax (`.role`) is accepted too (v16.2).
type Path struct {
	steps      []step
	Deprecated bool
}

type step struct {
	key   string
	index int
	isIdx bool
}

// ParsePath parses a role claim key.
func ParsePath(s string) (Path, error) {
	p := Path{}
	in := strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(in, "$"):
		in = in[1:]
	case strings.HasPrefix(in, "."):
		p.Deprecated = true
	default:
		return p, fmt.Errorf("invalid jwt-role-claim-key %q: expected a JSON path starting with $", s)
	}
	for len(in) > 0 {
		switch in[0] {
		case '.':
			in = in[1:]
			if strings.HasPrefix(in, `"`) {
				end := strings.Index(in[1:], `"`)
				if end < 0 {
					return p, fmt.Errorf("invalid jwt-role-claim-key %q: unterminated quoted key", s)
				}
				p.steps = append(p.steps, step{key: in[1 : end+1]})
				in = in[end+2:]
				continue
			}
			n := strings.IndexAny(in, ".[")
			if n < 0 {
				n = len(in)
			}
			if n == 0 {
				return p, fmt.Errorf("invalid jwt-role-claim-key %q: empty key", s)
			}
			p.steps = append(p.steps, step{key: in[:n]})
			in = in[n:]
		case '[':
			end := strings.Index(in, "]")
			if end < 0 {
				return p, fmt.Errorf("invalid jwt-role-claim-key %q: unterminated [", s)
			}
			inner := strings.TrimSpace(in[1:end])
			if len(inner) >= 2 && (inner[0] == '"' || inner[0] == '\'') && inner[len(inner)-1] == inner[0] {
				p.steps = append(p.steps, step{key: inner[1 : len(inner)-1]})
			} else {
				i, err := strconv.Atoi(inner)
				if err != nil {
					return p, fmt.Errorf("invalid jwt-role-claim-key %q: bad index %q", s, inner)
				}
				p.steps = append(p.steps, step{index: i, isIdx: true})
			}
			in = in[end+1:]
		default:
			return p, fmt.Errorf("invalid jwt-role-claim-key %q at %q", s, in)
		}
	}
	if len(p.steps) == 0 {
		return p, fmt.Errorf("invalid jwt-role-claim-key %q: no key", s)
	}
	return p, nil
}

// MustParsePath panics on error (for defaults and tests).
func MustParsePath(s string) Path {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return p
}

// Eval walks the claims; found is false when a step is missing or the
// value is JSON null.
func (p Path) Eval(claims map[string]any) (any, bool) {
	var cur any = claims
	if len(p.steps) == 0 {
		return nil, false
	}
	for _, st := range p.steps {
		switch c := cur.(type) {
		case map[string]any:
			if st.isIdx {
				return nil, false
			}
			v, ok := c[st.key]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			if !st.isIdx {
				return nil, false
			}
			i := st.index
			if i < 0 {
				i += len(c)
			}
			if i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	if cur == nil {
		return nil, false
	}
	return cur, true
}
