package apirequest

import "encoding/json"

// The keys of a JSON body without decoding its values. Every function here
// takes a document that json.Valid accepts, so each loop ends at the
// document's end at the latest.

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string whose quote is at b[i].
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// skipValue returns the index after the value at b[i].
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = skipString(b, i) - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
			if depth < 0 {
				return i // the end of the enclosing container
			}
		case ',':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// objectKeys returns the sorted distinct keys of the object at b[i] (a
// repeated key counts once, as when decoded into a map) and the index
// after it.
func objectKeys(b []byte, i int) ([]string, int) {
	var keys []string
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] != '}' {
		end := skipString(b, i)
		keys = append(keys, jsonKey(b[i:end]))
		i = skipSpace(b, end)
		i = skipSpace(b, i+1) // the colon
		i = skipSpace(b, skipValue(b, i))
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return sortedSet(keys), i + 1
}

// jsonKey decodes a quoted key as encoding/json does (invalid UTF-8
// becomes U+FFFD).
func jsonKey(q []byte) string {
	for _, c := range q[1 : len(q)-1] {
		if c == '\\' || c >= 0x80 {
			var s string
			_ = json.Unmarshal(q, &s)
			return s
		}
	}
	return string(q[1 : len(q)-1])
}
