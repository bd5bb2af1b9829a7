package queryparams

import "strings"

// Fast paths for the most common, simple parameter shapes. Each returns ok
// only when the input is in a form whose full parse is known to give the
// same result (TestFastPathsMatchParser checks this against the grammar);
// anything else goes through the Parsec-compatible grammar.

// fastPaths can be turned off (benchmarks compare against the grammar).
var fastPaths = true

func isPlainName(s string) bool {
	if s == "" || !fastPaths {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// fastSelect handles "*" and comma-separated plain column names.
func fastSelect(s string) ([]SelectItem, bool) {
	if !fastPaths {
		return nil, false
	}
	if s == "*" {
		return []SelectItem{{Field: Field{Name: "*"}}}, true
	}
	n := strings.Count(s, ",") + 1
	out := make([]SelectItem, 0, n)
	for part := range strings.SplitSeq(s, ",") {
		if part != "*" && !isPlainName(part) {
			return nil, false
		}
		out = append(out, SelectItem{Field: Field{Name: part}})
	}
	return out, true
}

var fastOps = []string{"eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike"}

// fastFilter handles "<op>.<value>" for the common comparison operators
// (without not. or quantifiers).
func fastFilter(v string) (Operation, bool) {
	op, val, ok := strings.Cut(v, ".")
	if !ok || !fastPaths {
		return Operation{}, false
	}
	for _, o := range fastOps {
		if op == o {
			return Operation{Op: o, Value: val}, true
		}
	}
	return Operation{}, false
}

// fastOrder handles "col[.asc|.desc][.nullsfirst|.nullslast],…" with plain names.
func fastOrder(v string) ([]OrderTerm, bool) {
	if !fastPaths {
		return nil, false
	}
	var out []OrderTerm
	for term := range strings.SplitSeq(v, ",") {
		parts := strings.Split(term, ".")
		if len(parts) > 3 || !isPlainName(parts[0]) {
			return nil, false
		}
		t := OrderTerm{Field: Field{Name: parts[0]}}
		rest := parts[1:]
		if len(rest) > 0 && (rest[0] == "asc" || rest[0] == "desc") {
			t.Direction, rest = rest[0], rest[1:]
		}
		if len(rest) > 0 && (rest[0] == "nullsfirst" || rest[0] == "nullslast") {
			t.Nulls, rest = rest[0], rest[1:]
		}
		if len(rest) > 0 {
			return nil, false
		}
		out = append(out, t)
	}
	return out, true
}
