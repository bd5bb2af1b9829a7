package apirequest

import (
	"encoding/json"
	"runtime"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// allocated is the bytes f allocates.
func allocated(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// A urlencoded body is read in one pass: 100000 pairs in half a megabyte
// (under the body limit) once cost 24 GB of allocations and 5 s, the rest
// of the body copied again for every '&'. Allocations now stay within a
// small multiple of the body, for a relation and for a function.
func TestFormPayloadIsLinear(t *testing.T) {
	body := []byte(strings.Repeat("id=1&", 100000) + "name=x%20y;z")
	for _, isProc := range []bool{false, true} {
		var p *Payload
		n := allocated(func() { p, _ = formPayload(body, isProc) })
		if p == nil || len(p.Keys) != 3 {
			t.Fatalf("isProc=%v: payload %+v", isProc, p)
		}
		if n > 64*uint64(len(body)) {
			t.Errorf("isProc=%v: %d bytes allocated for a %d-byte body", isProc, n, len(body))
		}
	}
}

// FuzzFormPayload: any urlencoded body gives pairs no more numerous than
// its parts, sorted distinct keys, and for a relation a JSON object with
// exactly those keys, whose values are the last value given for each.
func FuzzFormPayload(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "a=1;a=2", "x", "%zz=%41+b&&=", "k=v%3D%26&k", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		parts := strings.Count(string(body), "&") + strings.Count(string(body), ";") + 1
		pairs := parseSimpleQuery(string(body))
		if len(pairs) > parts {
			t.Fatalf("%d pairs from %d parts", len(pairs), parts)
		}
		valid := true
		last := map[string]string{}
		for _, kv := range pairs {
			valid = valid && utf8.ValidString(kv[0]) && utf8.ValidString(kv[1])
			last[kv[0]] = kv[1]
		}
		for _, isProc := range []bool{true, false} {
			p, e := formPayload(body, isProc)
			if (e != nil) == valid {
				t.Fatalf("isProc=%v: error %v for valid=%v", isProc, e, valid)
			}
			if e != nil {
				if e.Status != 400 || e.Code != "PGRST102" {
					t.Fatalf("error %+v", e)
				}
				continue
			}
			if !sort.StringsAreSorted(p.Keys) || len(p.Keys) != len(last) {
				t.Fatalf("keys %q for pairs %q", p.Keys, pairs)
			}
			if isProc {
				continue
			}
			var obj map[string]string
			if err := json.Unmarshal(p.Raw, &obj); err != nil || len(obj) != len(last) {
				t.Fatalf("raw %q: %v", p.Raw, err)
			}
			for k, v := range last {
				if obj[k] != v {
					t.Fatalf("key %q: %q, want %q", k, obj[k], v)
				}
			}
		}
	})
}

// A CSV body is written to JSON as it is read: 1 MiB of two-field rows once
// became a map per row (about 175 bytes allocated per byte of body, most of
// it live at once); allocations now stay within a small multiple of the
// JSON it makes.
func TestCSVPayloadMemory(t *testing.T) {
	body := []byte("a,b\n" + strings.Repeat("1,NULL\n", (1<<20)/7))
	var p *Payload
	n := allocated(func() { p, _ = csvPayload(body) })
	if p == nil || len(p.Raw) < len(body) {
		t.Fatalf("payload %v", p)
	}
	if n > 32*uint64(len(body)) {
		t.Errorf("%d bytes allocated for a %d-byte body", n, len(body))
	}
}
