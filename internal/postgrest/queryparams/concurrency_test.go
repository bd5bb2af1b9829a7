package queryparams

import (
	"sync"
	"testing"
)

// The shared grammar is safe for concurrent requests (run with -race).
func TestConcurrentParse(t *testing.T) {
	queries := []string{"select=id,a:b::text,c->>d&x=not.in.(1,\"2,3\")&or=(a.eq.1,and(b.is.null,c.gt.2))&order=a.desc", "id=noop.1", "select=*,rel(*)"}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				q := queries[j%len(queries)]
				p, err := Parse(q, ParseOptions{Method: "GET"})
				switch j % len(queries) {
				case 0:
					if err != nil || len(p.Select) != 3 || len(p.Logic) != 1 {
						t.Errorf("parse: %v", err)
						return
					}
				case 1:
					if err == nil {
						t.Error("want error")
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}
