package queryparams

import (
	"reflect"
	"strings"
	"testing"
)

var embedSelects = []string{
	"id,name,owners(name),kids(id,label)", "*,clients(*)", "a:b,c(d:e,f!inner(*))", "...rel(a,b)", "x,...r!hint(*)",
	"rel!fk!inner(id)", "rel!inner!fk(id)", "rel!left!inner(id)", "rel!a!b(id)", "rel!a!b!c(id)", "rel()", "a,rel()",
	"count(x)", "...count(x)", "count", "rel!lefty(x)", "rel!innerx(x)", "rel!(x)", "rel(", "rel(a", "rel(a))", "rel(,)",
	"a:...b(c)", "a::text", "a->b", "a.sum()", "rel(a.sum())", "rel(a::text)", "a, b(c)", "a-b(c)", `"a"(b)`, "a$(b)",
	"é(x)", "*,*", "a:*", "rel(*,a:b)", "a,b,", ",a", "...a", "...a!inner(b)", "x(y(z(w)))", "a:b(c):d",
	strings.Repeat("a(", 17) + strings.Repeat(")", 17), strings.Repeat("a(", 70) + strings.Repeat(")", 70),
}

// TestFastEmbedSelectMatchesGrammar: whenever the fast path answers, it
// answers what the grammar does.
func TestFastEmbedSelectMatchesGrammar(t *testing.T) {
	g := theGrammar()
	fastOK := 0
	for _, s := range embedSelects {
		fast, ok := fastEmbedSelect(s)
		if !ok {
			continue
		}
		fastOK++
		v, err := runParser(g.forest, "select parameter", s, s)
		if err != nil || !reflect.DeepEqual(fast, toSelectItems(v)) {
			t.Errorf("select %q: fast %+v, grammar %+v %v", s, fast, v, err)
		}
	}
	if fastOK < 10 {
		t.Fatalf("the fast path took only %d of the embedding selects", fastOK)
	}
}

func FuzzFastEmbedSelect(f *testing.F) {
	for _, s := range embedSelects {
		f.Add(s)
	}
	g := theGrammar()
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 512 {
			return
		}
		fast, ok := fastEmbedSelect(s)
		if !ok {
			return
		}
		v, err := runParser(g.forest, "select parameter", s, s)
		if err != nil || !reflect.DeepEqual(fast, toSelectItems(v)) {
			t.Fatalf("select %q: fast %+v, grammar %+v %v", s, fast, v, err)
		}
	})
}

// BenchmarkParseEmbed measures the embedding select.
func BenchmarkParseEmbed(b *testing.B) {
	benchParse(b, "select=id,name,owners(name),kids(id,label)&order=id")
}
