package query

import "testing"

func benchParse(b *testing.B, q string) {
	for _, mode := range []struct {
		name string
		fast bool
	}{{"fastpaths", true}, {"grammar", false}} {
		b.Run(mode.name, func(b *testing.B) {
			fastPaths = mode.fast
			defer func() { fastPaths = true }()
			for i := 0; i < b.N; i++ {
				if _, err := Parse(q, ParseOptions{Method: "GET"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParse measures parsing the stack's typical read (GET /task?select=*&limit=10).
func BenchmarkParse(b *testing.B) { benchParse(b, "select=*&limit=10") }

// BenchmarkParseComplex measures a query with filters, a logic tree and order.
func BenchmarkParseComplex(b *testing.B) {
	benchParse(b, "select=id,title,done&id=gte.10&or=(done.is.true,prio.lt.3)&title=ilike.*milk*&order=id.desc.nullslast&limit=10&offset=5")
}
