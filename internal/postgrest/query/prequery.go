package query

import (
	"encoding/json"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/authstack/authstack/internal/postgrest/plan"
)

// Request is what the transaction settings are made of (PreQuery.hs
// txVarQuery@v16.2): the request, its role and claims, and the
// configuration values involved.
type Request struct {
	Schema          string
	ExtraSearchPath []string
	Role            string
	// RoleSettings are the role's own settings (ALTER ROLE … SET), applied
	// before the role switch so that GRANT SET ON PARAMETER to the
	// authenticator covers them (PostgREST issue #3045).
	RoleSettings [][2]string
	Claims       map[string]any
	Method, Path string
	Headers      map[string]string
	Cookies      map[string]string
	Timezone     string
	AppSettings  [][2]string
	PreRequest   string // db-pre-request, "schema.function"
	// Prefer: count and return, which shape the statements.
	Count, Return string
}

func txVars(p *plan.Plan, r Request) Snippet { return TxVars(r, p.FuncSettings()) }

// TxVars sets the request's settings in one select: search_path, the
// role's settings, role, claims, method, path, headers, cookies, timezone,
// the called function's hoisted settings, app settings.
func TxVars(r Request, funcSettings [][2]string) Snippet {
	var parts []Snippet
	constant := func(name, value string) {
		var s Snippet
		parts = append(parts, *s.S("set_config('", name, "', ").P(Text(value)).S(", true)"))
	}
	dynamic := func(name, value string) {
		var s Snippet
		parts = append(parts, *s.S("set_config(").P(Text(name)).S(", ").P(Text(value)).S(", true)"))
	}
	path := make([]string, 0, 1+len(r.ExtraSearchPath))
	for _, s := range append([]string{r.Schema}, r.ExtraSearchPath...) {
		path = append(path, Ident(s))
	}
	constant("search_path", strings.Join(path, ", "))
	for _, kv := range r.RoleSettings {
		dynamic(kv[0], kv[1])
	}
	constant("role", r.Role)
	claims := make(map[string]any, len(r.Claims)+1)
	for k, v := range r.Claims {
		claims[k] = v
	}
	claims["role"] = r.Role
	constant("request.jwt.claims", jsonText(claims))
	constant("request.method", r.Method)
	constant("request.path", r.Path)
	constant("request.headers", jsonObject(r.Headers))
	constant("request.cookies", jsonObject(r.Cookies))
	if r.Timezone != "" {
		constant("timezone", r.Timezone)
	}
	for _, kv := range funcSettings {
		dynamic(kv[0], kv[1])
	}
	for _, kv := range r.AppSettings {
		dynamic(kv[0], kv[1])
	}
	var s Snippet
	return *s.S("select ").Join(", ", parts)
}

// jsonText encodes like aeson: no HTML escaping.
func jsonText(v any) string {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "{}"
	}
	return strings.TrimSuffix(sb.String(), "\n")
}

// jsonObject is a map of strings as a JSON object, keys sorted ({} for
// none); strings are escaped as jsonText does.
func jsonObject(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	sb.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			sb.WriteByte(',')
		}
		writeJSONString(&sb, k)
		sb.WriteByte(':')
		writeJSONString(&sb, m[k])
	}
	sb.WriteByte('}')
	return sb.String()
}

// writeJSONString escapes like encoding/json without HTML escaping:
// quote, backslash and control characters; invalid UTF-8 as U+FFFD.
func writeJSONString(sb *strings.Builder, s string) {
	const hexd = "0123456789abcdef"
	sb.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			sb.WriteString(`\ufffd`)
		case r == '"' || r == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r == '\b':
			sb.WriteString(`\b`)
		case r == '\f':
			sb.WriteString(`\f`)
		case r < 0x20 || r == '\u2028' || r == '\u2029':
			sb.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				sb.WriteByte(hexd[r>>uint(shift)&0xF])
			}
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
}
