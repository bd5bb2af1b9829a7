// Package jsonstr writes strings as JSON string literals the way
// encoding/json does without HTML escaping (aeson writes the same JSON):
// the API request stage (CSV bodies) and the SQL stage (request.headers
// and request.cookies) both build JSON text without a decode round trip.
package jsonstr

import "unicode/utf8"

// Writer is what strings.Builder and bytes.Buffer have.
type Writer interface {
	WriteByte(byte) error
	WriteString(string) (int, error)
	WriteRune(rune) (int, error)
}

// Write writes s quoted: quote, backslash and control characters escaped
// (U+2028 and U+2029 too, as encoding/json), invalid UTF-8 as U+FFFD.
func Write(w Writer, s string) {
	const hexd = "0123456789abcdef"
	_ = w.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			_, _ = w.WriteString(`\ufffd`)
		case r == '"' || r == '\\':
			_ = w.WriteByte('\\')
			_, _ = w.WriteRune(r)
		case r == '\n':
			_, _ = w.WriteString(`\n`)
		case r == '\r':
			_, _ = w.WriteString(`\r`)
		case r == '\t':
			_, _ = w.WriteString(`\t`)
		case r == '\b':
			_, _ = w.WriteString(`\b`)
		case r == '\f':
			_, _ = w.WriteString(`\f`)
		case r < 0x20 || r == '\u2028' || r == '\u2029':
			_, _ = w.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				_ = w.WriteByte(hexd[r>>uint(shift)&0xF])
			}
		default:
			_, _ = w.WriteRune(r)
		}
	}
	_ = w.WriteByte('"')
}
