package postgrest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestZZBodies(t *testing.T) {
	e := embedEngine(t, nil)
	hdr := map[string]string{"Content-Type": "text/csv", "Prefer": "tx=rollback"}
	try := func(label, ct, path, body string) {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		st := time.Now()
		hdr["Content-Type"] = ct
		r := e.do("POST", path, hdr, body)
		runtime.ReadMemStats(&m1)
		fmt.Printf("%s: len=%d status=%d %v alloc=%dMB %.120s\n", label, len(body), r.status, time.Since(st), (m1.TotalAlloc-m0.TotalAlloc)>>20, r.body)
	}
	try("csv 100k id cols", "text/csv", "/actors", strings.Repeat("id,", 100000)+"id\n"+strings.Repeat("1,", 100000)+"1\n")
	try("csv 300k rows", "text/csv", "/actors", "id\n"+strings.Repeat("1\n", 300000))
	try("csv 50k distinct cols", "text/csv", "/actors", func() string {
		var b strings.Builder
		for i := 0; i < 50000; i++ {
			fmt.Fprintf(&b, "c%d,", i)
		}
		return b.String() + "id\n"
	}())
	try("json 100k same keys", "application/json", "/actors", "{"+strings.Repeat(`"id":1,`, 100000)+`"id":1}`)
	try("json 50k distinct keys", "application/json", "/actors", func() string {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < 50000; i++ {
			fmt.Fprintf(&b, `"c%d":1,`, i)
		}
		return b.String() + `"id":1}`
	}())
	try("json 100k rows", "application/json", "/actors", "["+strings.Repeat(`{"id":1},`, 100000)+`{"id":1}]`)
	try("json rows differing keys", "application/json", "/actors", func() string {
		var b strings.Builder
		b.WriteString("[")
		for i := 0; i < 30000; i++ {
			fmt.Fprintf(&b, `{"k%d":1},`, i)
		}
		return b.String() + `{"id":1}]`
	}())
	try("form 20k same keys", "application/x-www-form-urlencoded", "/actors", strings.Repeat("id=1&", 100000)+"id=1")
	try("rpc json 50k keys", "application/json", "/rpc/films_of", func() string {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < 50000; i++ {
			fmt.Fprintf(&b, `"c%d":1,`, i)
		}
		return b.String() + `"y":1}`
	}())
	r := e.do("GET", "/films?select=id&limit=1", nil, "")
	fmt.Println("after", r.status)
}
