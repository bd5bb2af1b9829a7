package apirequest

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/mediatype"
)

// PayloadKind is the shape of a parsed body (ApiRequest/Types.hs Payload).
type PayloadKind int

// Payload kinds.
const (
	// ProcessedJSON is a JSON object, or an array of objects with the same
	// keys (also a urlencoded body for a relation, as a JSON object, and a
	// CSV body, as an array of objects).
	ProcessedJSON PayloadKind = iota
	// ProcessedURLEncoded is a urlencoded body for a function: its pairs
	// bind like query-string arguments.
	ProcessedURLEncoded
	// RawJSON is a JSON body sent with ?columns=: not inspected.
	RawJSON
	// RawPay is a text, XML or binary body for a function's single
	// unnamed parameter.
	RawPay
)

// Payload is the parsed body.
type Payload struct {
	Kind PayloadKind
	// Raw is the body PostgreSQL reads (for a relation's urlencoded body,
	// the JSON object built from it; "[]" for JSON values that are neither
	// objects nor arrays).
	Raw []byte
	// Keys are the object keys (ProcessedJSON, ProcessedURLEncoded), sorted.
	Keys []string
	// Pairs are the urlencoded pairs in order (ProcessedURLEncoded).
	Pairs [][2]string
}

// IsJSONObject is true when Raw starts with '{' after JSON whitespace
// (SqlFragment.hs fromJsonBodyF isJsonObject).
func (p *Payload) IsJSONObject() bool {
	b := bytes.TrimLeft(p.Raw, " \t\n\r")
	return len(b) > 0 && b[0] == '{'
}

const errInvalidJSON = "Empty or invalid json"

// payload parses the body for the actions that take one (Payload.hs
// getPayload): writes other than DELETE, and POST to a function.
func (a *ApiRequest) payload(body []byte) *apierr.Error {
	isProc := a.Action == Routine
	switch {
	case a.Action == RelationMut && a.Mutation != MutationDelete:
	case isProc && !a.InvRead:
	default:
		return nil
	}
	var columns []string
	hasColumns := false
	if a.Query.Columns != nil && (isProc || a.Mutation == MutationCreate || a.Mutation == MutationUpdate) {
		columns, hasColumns = a.Query.Columns, true
	}
	var p *Payload
	var e *apierr.Error
	switch ct := a.ContentType; {
	case ct.Kind == mediatype.JSON:
		if hasColumns {
			p = &Payload{Kind: RawJSON, Raw: body}
			break
		}
		p, e = jsonPayload(body, isProc)
	case ct.Kind == mediatype.CSV:
		p, e = csvPayload(body)
	case ct.Kind == mediatype.URLEncoded:
		p, e = formPayload(body, isProc)
	case isProc && (ct.Kind == mediatype.TextPlain || ct.Kind == mediatype.TextXML || ct.Kind == mediatype.OctetStream):
		p = &Payload{Kind: RawPay, Raw: body}
	default:
		return apierr.InvalidBody("Content-Type not acceptable: " + ct.Mime())
	}
	if e != nil {
		return e
	}
	a.Payload = p
	switch {
	case p.Kind == ProcessedJSON || p.Kind == ProcessedURLEncoded:
		a.Columns = p.Keys
	case p.Kind == RawJSON:
		a.Columns = sortedSet(columns)
	}
	return nil
}

// jsonPayload decodes a JSON body (Payload.hs payloadAttributes): an
// object, or an array whose elements are objects with the same keys; any
// other JSON value counts as an empty array. An empty body calls a
// function without arguments. Only the keys are read out (jsonkeys.go):
// decoding the whole body held about 30 bytes per byte of it.
func jsonPayload(body []byte, isProc bool) (*Payload, *apierr.Error) {
	if len(body) == 0 && isProc {
		return &Payload{Kind: ProcessedJSON, Raw: body}, nil
	}
	if jsonDeeperThan(body, MaxBodyDepth) {
		return nil, apierr.BodyTooDeep(MaxBodyDepth)
	}
	if !json.Valid(body) {
		return nil, apierr.InvalidBody(errInvalidJSON)
	}
	i := skipSpace(body, 0)
	switch body[i] {
	case '{':
		keys, _ := objectKeys(body, i)
		return &Payload{Kind: ProcessedJSON, Raw: body, Keys: keys}, nil
	case '[':
		i = skipSpace(body, i+1)
		if body[i] == ']' {
			return &Payload{Kind: ProcessedJSON, Raw: []byte("[]")}, nil
		}
		var first []string
		for n := 0; ; n++ {
			if body[i] != '{' {
				return nil, apierr.InvalidBody("All object keys must match")
			}
			keys, next := objectKeys(body, i)
			if n == 0 {
				first = keys
			} else if !slices.Equal(keys, first) {
				return nil, apierr.InvalidBody("All object keys must match")
			}
			i = skipSpace(body, next)
			if body[i] == ']' {
				return &Payload{Kind: ProcessedJSON, Raw: body, Keys: first}, nil
			}
			i = skipSpace(body, i+1) // the comma
		}
	}
	return &Payload{Kind: ProcessedJSON, Raw: []byte("[]")}, nil
}

// formPayload reads application/x-www-form-urlencoded (http-types
// parseSimpleQuery): for a function the pairs bind as arguments, for a
// relation they become one JSON object of strings (the last repeated name
// wins).
func formPayload(body []byte, isProc bool) (*Payload, *apierr.Error) {
	pairs := parseSimpleQuery(string(body))
	set := map[string]string{}
	for _, kv := range pairs {
		// Payload.hs decodes names and values with decodeUtf8, which
		// throws on invalid UTF-8: a 400 here, never a silent U+FFFD.
		for _, s := range kv {
			if !utf8.ValidString(s) {
				return nil, apierr.InvalidBody(invalidUTF8([]byte(s)))
			}
		}
		set[kv[0]] = kv[1]
	}
	keys := sortedKeys(set)
	if isProc {
		return &Payload{Kind: ProcessedURLEncoded, Pairs: pairs, Keys: keys}, nil
	}
	raw, err := json.Marshal(set)
	if err != nil {
		return nil, apierr.InvalidBody(errInvalidJSON)
	}
	return &Payload{Kind: ProcessedJSON, Raw: raw, Keys: keys}, nil
}

// parseSimpleQuery splits on '&' and ';', decodes '+' and %XX, and keeps
// pairs without '=' with an empty value (http-types).
func parseSimpleQuery(s string) [][2]string {
	var out [][2]string
	for s != "" {
		var part string
		if i := strings.IndexAny(s, "&;"); i >= 0 {
			part, s = s[:i], s[i+1:]
		} else {
			part, s = s, ""
		}
		if part == "" {
			continue
		}
		k, v, _ := cut(part, '=')
		out = append(out, [2]string{unescape(k), unescape(v)})
	}
	return out
}

func cut(s string, c byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func sortedSet(xs []string) []string {
	set := map[string]bool{}
	for _, x := range xs {
		set[x] = true
	}
	return sortedKeys(set)
}
