package response

import (
	"encoding/json"
	"errors"
	"strconv"
)

// ErrBadGucHeaders is PostgREST's PGRST111 condition.
var ErrBadGucHeaders = errors.New("response.headers guc must be a JSON array composed of objects with a single key and a string value")

// ErrBadGucStatus is PostgREST's PGRST112 condition.
var ErrBadGucStatus = errors.New("response.status guc must be a valid status code")

// ParseGucHeaders parses a response.headers value (Response/GucHeader.hs
// at v16.2): a JSON array of single-key objects with string values, kept
// in order, so that repeated names such as Set-Cookie are all kept. ""
// gives no headers.
func ParseGucHeaders(s string) ([]Header, error) {
	if s == "" {
		return nil, nil
	}
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(s), &arr); err != nil {
		return nil, ErrBadGucHeaders
	}
	out := make([]Header, 0, len(arr))
	for _, raw := range arr {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || len(obj) != 1 {
			return nil, ErrBadGucHeaders
		}
		for k, v := range obj {
			var str string
			if err := json.Unmarshal(v, &str); err != nil {
				return nil, ErrBadGucHeaders
			}
			out = append(out, Header{k, str})
		}
	}
	return out, nil
}

// ParseGucStatus reads the leading decimal digits of a response.status
// value, as PostgREST's decimal reader does (0 when s is "").
func ParseGucStatus(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, ErrBadGucStatus
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil {
		return 0, ErrBadGucStatus
	}
	return n, nil
}
