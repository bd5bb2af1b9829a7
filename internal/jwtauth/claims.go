package jwtauth

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwt"
)

// getUserID returns the first configured claim that is present as a string
// (even an empty one, which ends the search) or a number (formatted in
// shortest plain decimal). Claims of other types are skipped.
func getUserID(token jwt.Token, claims []string) (claim, id string) {
	for _, name := range claims {
		v, ok := token.Get(name)
		if !ok {
			continue
		}
		switch v := v.(type) {
		case string:
			return name, v
		case float64:
			return name, strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return "", ""
}

// getUserMetadata builds the {http.auth.user.<placeholder>} values for the
// configured meta claims; nil when none are configured.
func getUserMetadata(token jwt.Token, meta map[string]string) map[string]string {
	if len(meta) == 0 {
		return nil
	}
	var all map[string]any
	out := make(map[string]string, len(meta))
	for claim, placeholder := range meta {
		v, ok := token.Get(claim)
		if !ok && strings.Contains(claim, ".") {
			if all == nil {
				all, _ = token.AsMap(context.Background())
			}
			v, ok = queryNested(all, strings.Split(claim, "."))
		}
		if !ok {
			out[placeholder] = ""
			continue
		}
		out[placeholder] = stringify(v)
	}
	return out
}

// queryNested walks a dotted path through JSON objects.
func queryNested(m map[string]any, path []string) (any, bool) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok || next == nil {
			return nil, false
		}
		m = next
	}
	return m[path[len(path)-1]], true
}

// stringify renders a claim value as placeholder text. Numbers decoded as
// float64, objects and typed lists give "" (as in caddy-jwt).
func stringify(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return v.String()
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case fmt.Stringer:
		return v.String()
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = stringify(e)
		}
		return strings.Join(parts, ",")
	}
	return ""
}
