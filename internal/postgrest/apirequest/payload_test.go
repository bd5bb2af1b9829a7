package apirequest

import (
	"bytes"
	"encoding/json"
	"runtime"
	"slices"
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

// jsonPayloadModel is jsonPayload decoding the whole body into maps (what
// it did before reading only the keys), numbers kept as text: aeson reads
// them as Scientific, so 1E700 is valid JSON to PostgREST (and to
// PostgreSQL's numeric), where a float64 overflows.
func jsonPayloadModel(body []byte) (raw []byte, keys []string, err string) {
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&v) != nil || d.InputOffset() != int64(len(body)) && len(bytes.Trim(body[d.InputOffset():], " \t\n\r")) > 0 {
		return nil, nil, errInvalidJSON
	}
	switch x := v.(type) {
	case map[string]any:
		return body, sortedKeys(x), ""
	case []any:
		if len(x) == 0 {
			return []byte("[]"), nil, ""
		}
		var first []string
		for i, el := range x {
			o, ok := el.(map[string]any)
			if !ok || i > 0 && !slices.Equal(sortedKeys(o), first) {
				return nil, nil, "All object keys must match"
			}
			if i == 0 {
				first = sortedKeys(o)
			}
		}
		return body, first, ""
	}
	return []byte("[]"), nil, ""
}

// FuzzJSONPayload: reading only the keys agrees with decoding the whole
// body, on every body within the depth limit.
func FuzzJSONPayload(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[{"c":"}"}]}`, `[{"a":1},{"a":2}]`, `[{"a":1},{"b":2}]`, `[{"a":1,"a":2},{"a":3}]`,
		` [ ] `, `[1]`, `"x"`, `{"\u00e9\"":{}, "k":"\\"}`, `[{"a":[1,{"b":2}]},{"a":null}]`, `{"\xff":1}`, `[{},{}]`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) == 0 || jsonDeeperThan(body, MaxBodyDepth) {
			return
		}
		p, e := jsonPayload(body, false)
		raw, keys, msg := jsonPayloadModel(body)
		if e != nil || msg != "" {
			if e == nil || e.Message != msg {
				t.Fatalf("%q: error %v, the model %q", body, e, msg)
			}
			return
		}
		if !bytes.Equal(p.Raw, raw) || !slices.Equal(p.Keys, keys) {
			t.Fatalf("%q: raw %q keys %q, the model %q %q", body, p.Raw, p.Keys, raw, keys)
		}
	})
}

// A JSON body is checked without decoding its values: 1 MiB of small
// objects stays within a few bytes allocated per byte.
func TestJSONPayloadMemory(t *testing.T) {
	body := []byte("[" + strings.Repeat(`{"a":1,"b":"x"},`, (1<<20)/16) + `{"b":"y","a":2}]`)
	var p *Payload
	n := allocated(func() { p, _ = jsonPayload(body, false) })
	if p == nil || len(p.Keys) != 2 {
		t.Fatalf("payload %v", p)
	}
	if n > 8*uint64(len(body)) {
		t.Errorf("%d bytes allocated for a %d-byte body", n, len(body))
	}
}
