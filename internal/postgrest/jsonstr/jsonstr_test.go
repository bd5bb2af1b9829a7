package jsonstr

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzWrite: for valid UTF-8, the same bytes as encoding/json without HTML
// escaping; for any input, a JSON string that decodes.
func FuzzWrite(f *testing.F) {
	for _, s := range []string{"", `a"b\c`, "\x00\x1f\n\r\t\b\f", "<&>", "é\u2028\u2029", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var sb strings.Builder
		Write(&sb, s)
		var back string
		if err := json.Unmarshal([]byte(sb.String()), &back); err != nil {
			t.Fatalf("%q wrote %s: %v", s, sb.String(), err)
		}
		if !utf8.ValidString(s) {
			return
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		if got := sb.String(); got != strings.TrimSuffix(want.String(), "\n") || back != s {
			t.Fatalf("%q: %s, encoding/json %s", s, got, want.String())
		}
	})
}
