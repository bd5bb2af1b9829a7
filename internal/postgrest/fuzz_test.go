package postgrest

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAccept: any Accept header negotiates a media type or is 406
// PGRST107; a header listing application/json on its own is always JSON.
func FuzzAccept(f *testing.F) {
	for _, s := range []string{"application/json", "*/*;q=0.5, text/csv", "application/vnd.pgrst.object+json;nulls=stripped",
		"application/vnd.pgrst.array+json;q=NaN", "text/html;q=0.9,application/*;q=0.8", ";;,=,;q=", ""} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, accept string, singular bool) {
		_ = parseAccept([]string{accept})
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", accept)
		if _, e := pickMedia(r, singular); e != nil && (e.Status != 406 || e.Code != "PGRST107") {
			t.Fatalf("pickMedia: %d %s", e.Status, e.Code)
		}
		if e := acceptJSON(r); e != nil && (e.Status != 406 || e.Code != "PGRST107") {
			t.Fatalf("acceptJSON: %d %s", e.Status, e.Code)
		}
		r.Header.Set("Accept", accept+",application/json")
		if e := acceptJSON(r); e != nil {
			t.Fatalf("application/json refused: %s", e.Message)
		}
	})
}

func jsonDepth(v any) int {
	d := 0
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			d = max(d, jsonDepth(e))
		}
		return d + 1
	case map[string]any:
		for _, e := range x {
			d = max(d, jsonDepth(e))
		}
		return d + 1
	}
	return 0
}

// FuzzJSONBodyDepth: the one-pass depth check agrees with a full decode on
// every valid JSON document.
func FuzzJSONBodyDepth(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"]}\"["}]}`, `[[[]]]`, `"[[["`, strings.Repeat("[", 65) + strings.Repeat("]", 65), `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		deep := jsonDeeperThan(b, MaxBodyDepth)
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		if want := jsonDepth(v) > MaxBodyDepth; deep != want {
			t.Fatalf("jsonDeeperThan = %v, depth %d", deep, jsonDepth(v))
		}
	})
}
