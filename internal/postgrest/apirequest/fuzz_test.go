package apirequest

import (
	"encoding/json"
	"strings"
	"testing"
)

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
