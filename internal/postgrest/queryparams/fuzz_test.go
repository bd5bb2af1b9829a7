package queryparams

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

func treeDepth(t LogicTree) int {
	d := 0
	for _, c := range t.Children {
		d = max(d, treeDepth(c))
	}
	if t.Filter != nil {
		return d
	}
	return d + 1
}

func selectDepth(items []SelectItem) int {
	d := 0
	for _, it := range items {
		if it.Kind != SelectField {
			d = max(d, 1+selectDepth(it.Children))
		}
	}
	return d
}

// checkParsed asserts the invariants of an accepted query string: nesting
// within the limits (rendering is fuzzed by the query package).
func checkParsed(t *testing.T, p *Params) {
	for _, l := range p.Logic {
		if d := treeDepth(l.Tree); d > MaxDepth {
			t.Fatalf("logic tree of depth %d accepted", d)
		}
	}
	if d := selectDepth(p.Select); d > MaxDepth {
		t.Fatalf("select of depth %d accepted", d)
	}
	for _, f := range p.Filters {
		if len(f.Field.JSONPath) > MaxJSONPath {
			t.Fatalf("JSON path of %d operators accepted", len(f.Field.JSONPath))
		}
	}
}

// FuzzParse: any query string and Range header give either parameters that
// render, or a PostgREST error (400 PGRST100/PGRST114, 416 PGRST103); the
// same input always gives the same answer.
func FuzzParse(f *testing.F) {
	f.Add("select=id,name&id=eq.1&order=id.desc", "GET", "", false)
	f.Add("or=(id.eq.1,and(name.like.*a*,not.id.in.(1,2)))", "GET", "0-9", false)
	f.Add("select=data->a->>b::text,alias:col&data->x=eq.1&limit=2&offset=1", "GET", "", false)
	f.Add("a=1&b=eq.2&columns=a,b", "GET", "", true)
	f.Add("on_conflict=id&columns=id,name", "POST", "", false)
	f.Add("rel.order=id&select=rel(id)&rel.limit=1", "GET", "1-", false)
	f.Fuzz(func(t *testing.T, q, method, rng string, rpc bool) {
		opts := ParseOptions{RPC: rpc, Method: method, RangeHeader: rng}
		p, err := Parse(q, opts)
		p2, err2 := Parse(q, opts)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			var qe *apierr.Error
			if !errors.As(err, &qe) {
				t.Fatalf("not a PostgREST error: %T %v", err, err)
			}
			switch qe.Code {
			case "PGRST100", "PGRST114":
				if qe.Status != 400 {
					t.Fatalf("%s with status %d", qe.Code, qe.Status)
				}
			case "PGRST103":
				if qe.Status != 416 {
					t.Fatalf("PGRST103 with status %d", qe.Status)
				}
			default:
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !reflect.DeepEqual(p, p2) {
			t.Fatal("not deterministic")
		}
		checkParsed(t, p)
	})
}

// FuzzGrammar runs each recursive or repeating grammar of QueryParams.hs on
// one value: no panic, and a nesting past the limit is an error naming it,
// never a deeper tree.
func FuzzGrammar(f *testing.F) {
	f.Add("(id.eq.1,or(a.gt.2,not.and(b.is.null,c.in.(1,\"2,3\"))))")
	f.Add("id,name,rel!inner(id,...spread(x)),alias:data->a->>0::int,count()")
	f.Add("id.desc.nullslast,rel(col).asc,data->>k")
	f.Add(strings.Repeat("(and", 70) + "(id.eq.1" + strings.Repeat(")", 70))
	f.Add(strings.Repeat("a(", 70) + "id" + strings.Repeat(")", 70))
	f.Add("not.fts(english).a b")
	g := theGrammar()
	f.Fuzz(func(t *testing.T, v string) {
		for _, c := range []struct {
			name string
			p    parser
		}{{"logic tree", g.logic}, {"select parameter", g.forest}, {"order", g.order}, {"filter", g.filter},
			{"columns parameter", g.columns}, {"tree path", g.treePath}, {"logic path", g.logicPath}} {
			out, err := runParser(c.p, c.name, v, v)
			if err != nil {
				if !strings.HasPrefix(err.Message, "failed to parse "+c.name) && !strings.HasPrefix(err.Message, `"failed to parse `+c.name) {
					t.Fatalf("%s: message %q", c.name, err.Message)
				}
				continue
			}
			switch x := out.(type) {
			case LogicTree:
				if treeDepth(x) > MaxDepth {
					t.Fatalf("logic tree of depth %d accepted", treeDepth(x))
				}
			case []any:
				if c.name == "select parameter" && selectDepth(toSelectItems(x)) > MaxDepth {
					t.Fatalf("select of depth %d accepted", selectDepth(toSelectItems(x)))
				}
			}
		}
	})
}

// FuzzRangeHeader: any Range header is a range whose rendering does not
// panic; a non-empty one starts at a non-negative offset.
func FuzzRangeHeader(f *testing.F) {
	for _, s := range []string{"0-9", "5-", "items=0-9", "9-0", "99999999999999999999-", "-5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := ParseRangeHeader(h)
		if !r.IsEmpty() && r.Offset() < 0 {
			t.Fatalf("negative offset %d", r.Offset())
		}
		n := int64(3)
		_, _ = RangeStatus(r, 3, &n)
	})
}

// FuzzPrefer: any Prefer headers parse; the applied preferences render to
// a header that parses back to the same preferences.
func FuzzPrefer(f *testing.F) {
	for _, s := range []string{"return=representation, count=exact", "handling=strict, max-affected=5",
		"timezone=America/Los_Angeles", "resolution=merge-duplicates,missing=default", "tx=rollback, foo"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, h string, allowTx bool) {
		p := ParsePrefer([]string{h}, allowTx)
		_ = p.StrictError()
		applied := p.AppliedHeader()
		if strings.Contains(p.Timezone, ",") { // a comma inside timezone= cannot come back
			return
		}
		q := ParsePrefer([]string{applied}, allowTx)
		if again := q.AppliedHeader(); again != applied {
			t.Fatalf("Preference-Applied %q re-parses to %q", applied, again)
		}
	})
}
