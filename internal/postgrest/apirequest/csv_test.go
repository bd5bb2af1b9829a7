package apirequest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCSVPayload: text/csv bodies decode like cassava's decodeByName
// followed by PostgREST's csvToJson (ApiRequest/Payload.hs@v16.2); the
// cases of T:Query/InsertSpec.hs:641-677 and the grammar's corners.
func TestCSVPayload(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		{in: "a,b\nbar,baz", want: `[{"a":"bar","b":"baz"}]`},
		{in: "a,b\nNULL,foo", want: `[{"a":null,"b":"foo"}]`},
		{in: "id,name,client_id\n8,Xenix,1\n9,Windows NT,1", want: `[{"client_id":"1","id":"8","name":"Xenix"},{"client_id":"1","id":"9","name":"Windows NT"}]`},
		{in: "a,b\nfoo,bar\nbaz", err: "All lines must have same number of fields"},
		{in: "a,b\n1,2,3", want: `[{"a":"1","b":"2"}]`},  // zipped with the header
		{in: "a,b\n1\n2", want: `[{"a":"1"},{"a":"2"}]`}, // short but uniform
		{in: "a,b\r\n1,2\r\n", want: `[{"a":"1","b":"2"}]`},
		{in: "a,b\r1,2\r", want: `[{"a":"1","b":"2"}]`},
		{in: "a,b\n\n1,2\n\n\n3,4", want: `[{"a":"1","b":"2"},{"a":"3","b":"4"}]`},
		{in: "a,b\n", want: `[]`},
		{in: "a,a\n1,2", want: `[{"a":"2"}]`},
		{in: "a,b\n\"x,\"\"y\"\"\",z", want: `[{"a":"x,\"y\"","b":"z"}]`},
		{in: "a\n\"multi\r\nline\"", want: `[{"a":"multi\r\nline"}]`},
		{in: "a\n\"abc", want: `[{"a":"ab"}]`}, // cassava drops the last character of an unterminated field
		{in: "a\n <b> & c ", want: `[{"a":" <b> & c "}]`},
		{in: "a,b", err: `parse error (not enough input) at ""`},
		{in: "", err: `parse error (not enough input) at ""`},
		{in: "a\nab\"c", err: `parse error (Failed reading: satisfy) at "\"c"`},
		{in: "a\n\"", err: `parse error (Failed reading: trailing double quote) at ""`},
		{in: "a\n\"ab\"\"", err: `parse error (Failed reading: insufficient input) at ""`},
		{in: "a\n\"x\"y\n", err: `parse error (Failed reading: satisfy) at "y\n"`},
		{in: "a\nx\xff", err: `parse error (Failed reading: conversion error: Cannot decode byte '\xff': Data.Text.Internal.Encoding: Invalid UTF-8 stream) at ""`},
		{in: "a\n\"" + strings.Repeat("x", 200), want: `[{"a":"` + strings.Repeat("x", 199) + `"}]`},
		{in: "a\nb\"" + strings.Repeat("x", 200), err: `parse error (Failed reading: satisfy) at "` + strings.Repeat("x", 99) + " (truncated)"},
	}
	for _, c := range cases {
		p, e := csvPayload([]byte(c.in))
		if c.err != "" {
			if e == nil || e.Code != "PGRST102" || e.Message != c.err {
				t.Errorf("%q: got %v, want PGRST102 %q", c.in, e, c.err)
			}
			continue
		}
		if e != nil {
			t.Errorf("%q: %v", c.in, e.Message)
			continue
		}
		var got, want any
		if err := json.Unmarshal(p.Raw, &got); err != nil {
			t.Fatalf("%q: invalid JSON %s", c.in, p.Raw)
		}
		_ = json.Unmarshal([]byte(c.want), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %s, want %s", c.in, p.Raw, c.want)
		}
	}
}

func TestHaskellShow(t *testing.T) {
	for in, want := range map[string]string{
		"a\"b\\":   `"a\"b\\"`,
		"é":        `"\195\169"`,
		"\x01":     `"\SOH"`,
		"\x0eH":    `"\SO\&H"`,
		"\xc31":    `"\195\&1"`,
		"\t\n\x7f": `"\t\n\DEL"`,
	} {
		if got := haskellShow([]byte(in)); got != want {
			t.Errorf("haskellShow(%q) = %s, want %s", in, got, want)
		}
	}
}

// csvModel is csvToJson over the parser's records the simple way, a map
// per record (what csvPayload did before writing the JSON as it goes):
// its rows, whether their keys are the same, whether it parsed and
// whether every name and value it zipped is UTF-8.
func csvModel(b []byte) (rows []map[string]any, uniform, ok, valid bool) {
	p := &csvParser{b: b}
	hdr, err := p.record(nil)
	if err != nil || !p.endOfLine() {
		return nil, false, false, false
	}
	valid = true
	hdr = append([][]byte(nil), hdr...)
	for {
		rec, err := p.record(nil)
		if err != nil {
			return nil, false, false, false
		}
		if !(len(rec) == 1 && len(rec[0]) == 0) {
			row := map[string]any{}
			for i := 0; i < len(hdr) && i < len(rec); i++ {
				valid = valid && utf8.Valid(hdr[i]) && utf8.Valid(rec[i])
				if string(rec[i]) == "NULL" {
					row[string(hdr[i])] = nil
				} else {
					row[string(hdr[i])] = string(rec[i])
				}
			}
			rows = append(rows, row)
		}
		if p.pos >= len(p.b) {
			break
		}
		if !p.endOfLine() {
			return nil, false, false, false
		}
	}
	for _, r := range rows {
		if len(r) != len(rows[0]) {
			return rows, false, true, valid
		}
		for k := range rows[0] {
			if _, ok := r[k]; !ok {
				return rows, false, true, valid
			}
		}
	}
	return rows, true, true, valid
}

// FuzzCSVPayload: any body either fails with PGRST102 or gives a JSON
// array of objects whose keys are the payload's keys, the same rows as
// csvModel; the uniform-keys error exactly when the model's keys differ.
func FuzzCSVPayload(f *testing.F) {
	for _, s := range []string{"a,b\n1,2", "a\n\"x\"\"y\"", "a,b\r\n\r\n1,NULL\r", "a\n\"", "\n\n", "a,a\n1,2,3",
		"a,b,a\n1,2,3\n4,5\n6", "a,\"\\\"\n\"\x01\",2"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, e := csvPayload(b)
		model, uniform, parsed, valid := csvModel(b)
		if e != nil {
			if e.Code != "PGRST102" || e.Status != 400 {
				t.Fatalf("error %s %d", e.Code, e.Status)
			}
			if parsed && uniform && valid {
				t.Fatalf("%q: error %q, the model reads %v", b, e.Message, model)
			}
			return
		}
		if !parsed || !uniform || !valid {
			t.Fatalf("%q: accepted, the model: parsed %v uniform %v UTF-8 %v", b, parsed, uniform, valid)
		}
		var rows []map[string]any
		if err := json.Unmarshal(p.Raw, &rows); err != nil {
			t.Fatalf("raw %q: %v", p.Raw, err)
		}
		if len(rows) != len(model) || len(rows) > 0 && !reflect.DeepEqual(rows, model) {
			t.Fatalf("%q: %s, the model %v", b, p.Raw, model)
		}
		for _, r := range rows {
			if len(r) != len(p.Keys) {
				t.Fatalf("keys %v, row %v", p.Keys, r)
			}
			for _, k := range p.Keys {
				if _, ok := r[k]; !ok {
					t.Fatalf("keys %v, row %v", p.Keys, r)
				}
			}
		}
	})
}
