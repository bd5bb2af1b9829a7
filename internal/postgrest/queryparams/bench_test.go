package queryparams

import (
	"sort"
	"strings"
	"testing"
	"time"
)

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

// scalingShapes build hostile query strings of about n bytes.
var scalingShapes = map[string]func(n int) string{
	"wide_select": func(n int) string { return "select=" + repeatTo("a->b::text,", n) + "a" },
	"wide_or": func(n int) string {
		return "or=(" + strings.Repeat("and(", 63) + repeatTo("a.eq.1,", n-400) + "a.eq.1" + strings.Repeat(")", 64)
	},
	"long_in":      func(n int) string { return "a=in.(" + repeatTo(`"x,y",`, n) + "z)" },
	"many_params":  func(n int) string { return repeatTo("a->b->c=not.eq.1&", n) + "b=eq.1" },
	"order_terms":  func(n int) string { return "order=" + repeatTo("a->b.desc.nullsfirst,", n) + "a" },
	"failing_tail": func(n int) string { return "or=(" + repeatTo("a.eq.1,", n) + "a.xx.1)" },
}

func repeatTo(unit string, n int) string { return strings.Repeat(unit, max(1, n/len(unit))) }

// BenchmarkHostileScaling parses each shape at 4 KiB and 16 KiB and
// reports time(16 KiB)/time(4 KiB): about 4 means linear time.
func BenchmarkHostileScaling(b *testing.B) {
	names := make([]string, 0, len(scalingShapes))
	for k := range scalingShapes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		mk := scalingShapes[name]
		b.Run(name, func(b *testing.B) {
			small, big := mk(MaxQueryLength/4-64), mk(MaxQueryLength-64)
			var tSmall, tBig time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				_, _ = Parse(small, ParseOptions{Method: "GET"})
				t1 := time.Now()
				_, _ = Parse(big, ParseOptions{Method: "GET"})
				tSmall, tBig = tSmall+t1.Sub(t0), tBig+time.Since(t1)
			}
			b.ReportMetric(float64(tBig)/float64(tSmall), "ratio_16k/4k")
		})
	}
}
