package queryparams

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

func nestLogic(depth int) string {
	return strings.Repeat("(and", depth-1) + "(id.eq.1" + strings.Repeat(")", depth)
}

func nestSelect(depth int) string {
	return strings.Repeat("a(", depth) + "id" + strings.Repeat(")", depth)
}

// limitErr asserts a 400 PGRST100 whose message names the limit.
func limitErr(t *testing.T, err error, want string) {
	t.Helper()
	var qe *apierr.Error
	if !errors.As(err, &qe) || qe.Status != 400 || qe.Code != "PGRST100" || !strings.Contains(qe.Message, want) {
		t.Fatalf("want 400 PGRST100 %q, got %v", want, err)
	}
}

// Nesting is bounded: MaxDepth levels of parentheses parse, one more is a
// 400.
func TestDepthLimits(t *testing.T) {
	if _, err := Parse("and="+nestLogic(MaxDepth), ParseOptions{Method: "GET"}); err != nil {
		t.Fatalf("depth %d: %v", MaxDepth, err)
	}
	_, err := Parse("and="+nestLogic(MaxDepth+1), ParseOptions{Method: "GET"})
	limitErr(t, err, "nesting deeper than 64 levels")
	_, err = Parse("or=(not.or"+nestLogic(MaxDepth)+")", ParseOptions{Method: "GET"})
	limitErr(t, err, "nesting deeper than 64 levels")

	// select lists nest only through embedded resources, whose own limit
	// (MaxEmbedDepth) comes first; past MaxDepth the parser stops
	if _, err := Parse("select="+nestSelect(MaxEmbedDepth), ParseOptions{Method: "GET"}); err != nil {
		t.Fatalf("select depth %d: %v", MaxEmbedDepth, err)
	}
	_, err = Parse("select="+nestSelect(MaxEmbedDepth+1), ParseOptions{Method: "GET"})
	limitErr(t, err, "embedding deeper than 16 levels in select")
	_, err = Parse("select="+nestSelect(MaxDepth+1), ParseOptions{Method: "GET"})
	limitErr(t, err, "nesting deeper than 64 levels")
}

// The hardening issue's crasher: 200000 levels (about 1 MB) overflowed the
// Go stack, which kills the process. The grammar now stops at the limit,
// without recursing further (called on the grammar directly, below the
// query-string size limit).
func TestDeepLogicTreeDoesNotRecurse(t *testing.T) {
	deep := nestLogic(200000)
	_, qerr := runParser(theGrammar().logic, "logic tree", deep, "and"+deep)
	if qerr == nil {
		t.Fatal("accepted")
	}
	limitErr(t, qerr.ToError(), "nesting deeper than 64 levels")
	deepSel := nestSelect(200000)
	_, qerr = runParser(theGrammar().forest, "select parameter", deepSel, deepSel)
	if qerr == nil {
		t.Fatal("accepted")
	}
	limitErr(t, qerr.ToError(), "nesting deeper than 64 levels")
}

func TestJSONPathLimit(t *testing.T) {
	path := func(n int) string { return "data" + strings.Repeat("->a", n) }
	for _, q := range []string{"select=", "order=", "", "or=(x.eq.1,"} {
		base := q + path(MaxJSONPath)
		if q == "" {
			base = path(MaxJSONPath) + "=eq.1"
		}
		if q == "or=(x.eq.1," {
			base += ".eq.1)"
		}
		if _, err := Parse(base, ParseOptions{Method: "GET"}); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		over := strings.Replace(base, path(MaxJSONPath), path(MaxJSONPath+1), 1)
		_, err := Parse(over, ParseOptions{Method: "GET"})
		limitErr(t, err, "more than 64 JSON path operators")
	}
}

func TestParamAndQueryLimits(t *testing.T) {
	params := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString("a=eq.1")
		}
		return b.String()
	}
	if _, err := Parse(params(MaxParams), ParseOptions{Method: "GET"}); err != nil {
		t.Fatalf("%d params: %v", MaxParams, err)
	}
	_, err := Parse(params(MaxParams+1), ParseOptions{Method: "GET"})
	limitErr(t, err, "more than 1000 query parameters")
	_, err = Parse("a=eq."+strings.Repeat("x", MaxQueryLength), ParseOptions{Method: "GET"})
	limitErr(t, err, "query string longer than 16384 bytes")
}

// Embedded resources are bounded at every level together, whichever parser
// reads the select (the embedding fast path or the grammar): MaxEmbeds
// parse, one more is a 400.
func TestEmbedLimit(t *testing.T) {
	flat := func(n int, item string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("e%d:%s", i, item)
		}
		return "select=id," + strings.Join(parts, ",")
	}
	for name, sel := range map[string]func(int) string{
		"flat (fast path)":      func(n int) string { return flat(n, "rel(id)") },
		"flat (grammar: casts)": func(n int) string { return flat(n, "rel(id::text)") },
		"spreads":               func(n int) string { return "select=id" + strings.Repeat(",...rel(id)", n) },
		"nested 16 deep": func(n int) string {
			return "select=" + nestSelect(MaxEmbedDepth) + strings.TrimPrefix(flat(n-MaxEmbedDepth, "rel(id)"), "select=id")
		},
		"mixed": func(n int) string {
			return flat(n/2, "rel(id)") + "," + strings.TrimPrefix(flat(n-n/2-1, "x(id)"), "select=id,") + ",deep:" + nestSelect(1)
		},
	} {
		if _, err := Parse(sel(MaxEmbeds), ParseOptions{Method: "GET"}); err != nil {
			t.Errorf("%s, %d embeds: %v", name, MaxEmbeds, err)
		}
		_, err := Parse(sel(MaxEmbeds+1), ParseOptions{Method: "GET"})
		limitErr(t, err, "more than 64 embedded resources in select")
	}
	_, err := Parse(flat(700, "rel(id)"), ParseOptions{Method: "GET"})
	limitErr(t, err, "more than 64 embedded resources in select")
}
