package dotenv

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/joho/godotenv"
)

// FuzzSetGet edits an arbitrary .env file: whatever it holds, Set must not
// panic, Get must give back the value set, every other line must stay as
// it was, and godotenv (which loads the file into the stack's environment)
// must read the same value — the editor's quoting is godotenv's.
func FuzzSetGet(f *testing.F) {
	f.Add([]byte("# comment\nJWT_SECRET=\nPOSTGRES_DB=app\n"), "JWT_SECRET", "c2VjcmV0+/==")
	f.Add([]byte("export A='x y' # c\r\nB=\"q\\\"\"\n"), "A", "it's \"quoted\" # not a comment")
	f.Add([]byte("A=1\nA=2\n"), "A", "multi\nline")
	f.Add([]byte("=bad\n  spaced = v\n"), "spaced", "$HOME `cmd` \\")
	f.Add([]byte(""), "NEW_KEY", "")
	f.Fuzz(func(t *testing.T, file []byte, key, value string) {
		ef := Parse(".env", file)
		before := append([]string(nil), ef.lines...)
		if err := ef.Set(key, value); err != nil {
			if !slices.Equal(ef.lines, before) {
				t.Fatalf("a refused Set(%q, %q) changed the file: %v", key, value, err)
			}
			if keyRe.MatchString(key) && !strings.ContainsAny(value, "\r\x00") && utf8.ValidString(value) && !strings.HasSuffix(value, `\`) && !strings.HasSuffix(value, `"`) {
				t.Fatalf("Set(%q, %q) refused a representable value: %v", key, value, err)
			}
			return
		}
		if got, ok := ef.Get(key); !ok || got != value {
			t.Fatalf("Get(%q) = %q, %v after Set(%q)", key, got, ok, value)
		}
		changed := 0
		for i := range before {
			if i < len(ef.lines) && ef.lines[i] != before[i] {
				changed++
			}
		}
		if changed > 1 || len(ef.lines) < len(before) || len(ef.lines) > len(before)+1 {
			t.Fatalf("Set changed %d lines (%d → %d lines), want one line", changed, len(before), len(ef.lines))
		}
		// Round trip through the file's bytes.
		if got, _ := Parse(".env", ef.Bytes()).Get(key); got != value {
			t.Fatalf("after a round trip Get(%q) = %q, want %q", key, got, value)
		}
		// godotenv reads the line Set wrote the same way.
		q, _ := quote(value)
		env, err := godotenv.Parse(bytes.NewReader([]byte(key + "=" + q + "\n")))
		if err != nil {
			t.Fatalf("godotenv cannot read %q: %v", key+"="+q, err)
		}
		if env[key] != value {
			t.Fatalf("godotenv reads %q=%q as %q", key, value, env[key])
		}
	})
}
