package query

import (
	"encoding/json"
	"testing"
)

// jsonObject writes what encoding/json (without HTML escaping) writes.
func FuzzJSONObject(f *testing.F) {
	for _, s := range []string{"plain", `q"uote\back`, "tab\tnl\nnul\x00", "\u2028<&>", "\xff\xfe", "é✓"} {
		f.Add(s, s+"v")
	}
	f.Fuzz(func(t *testing.T, k, v string) {
		m := map[string]string{k: v, "b": v, "a": k}
		got := jsonObject(m)
		if want := jsonText(m); got != want {
			t.Fatalf("jsonObject(%q) = %s, want %s", m, got, want)
		}
		var back map[string]string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Fatal(err)
		}
	})
}
