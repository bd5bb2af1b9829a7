package query

import (
	"encoding/json"
	"sort"
	"strings"
	"sync"

	"github.com/authstack/authstack/internal/postgrest/jsonstr"
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
	// ClaimsJSON, when set, is request.jwt.claims as the authentication
	// stage encoded it (the claims with the role); else Claims is encoded.
	ClaimsJSON   string
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
// the called function's hoisted settings, app settings. The text depends
// only on how many settings of each kind there are, so it is built once
// per shape; the values are arguments.
func TxVars(r Request, funcSettings [][2]string) Snippet {
	shape := txShape{len(r.RoleSettings), r.Timezone != "", len(funcSettings), len(r.AppSettings)}
	text, ok := txTexts.Load(shape)
	if !ok {
		text, _ = txTexts.LoadOrStore(shape, shape.text())
	}
	args := make([]any, 0, 7+2*(shape.role+shape.fn+shape.app))
	path := make([]string, 0, 1+len(r.ExtraSearchPath))
	for _, s := range append([]string{r.Schema}, r.ExtraSearchPath...) {
		path = append(path, Ident(s))
	}
	args = append(args, Text(strings.Join(path, ", ")))
	for _, kv := range r.RoleSettings {
		args = append(args, Text(kv[0]), Text(kv[1]))
	}
	claims := r.ClaimsJSON
	if claims == "" {
		m := make(map[string]any, len(r.Claims)+1)
		for k, v := range r.Claims {
			m[k] = v
		}
		m["role"] = r.Role
		claims = jsonText(m)
	}
	args = append(args, Text(r.Role), Text(claims), Text(r.Method), Text(r.Path), Text(jsonObject(r.Headers)), Text(jsonObject(r.Cookies)))
	if shape.tz {
		args = append(args, Text(r.Timezone))
	}
	for _, kv := range funcSettings {
		args = append(args, Text(kv[0]), Text(kv[1]))
	}
	for _, kv := range r.AppSettings {
		args = append(args, Text(kv[0]), Text(kv[1]))
	}
	return Snippet{b: text.([]byte), args: args}
}

// RoleSettings splits a role's own settings (ALTER ROLE … SET) into the
// set_config pairs, sorted by name, and its default_transaction_isolation,
// which selects the BEGIN level instead (MainTx.hs mainTx@v16.2: roleIsoLvl).
func RoleSettings(m map[string]string) (settings [][2]string, isolation string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.EqualFold(k, "default_transaction_isolation") {
			isolation = m[k]
			continue
		}
		settings = append(settings, [2]string{k, m[k]})
	}
	return settings, isolation
}

// AppSettings are the app.settings.* pairs (PGRST_APP_SETTINGS_*), sorted
// by name.
func AppSettings(m map[string]string) [][2]string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][2]string, len(keys))
	for i, k := range keys {
		out[i] = [2]string{"app.settings." + k, m[k]}
	}
	return out
}

// txShape is what TxVars' text depends on.
type txShape struct {
	role int
	tz   bool
	fn   int
	app  int
}

var txTexts sync.Map // txShape → []byte

func (t txShape) text() []byte {
	var s Snippet
	var parts []string
	constant := func(name string) { parts = append(parts, "set_config('"+name+"', \x00, true)") }
	dynamic := func(n int) {
		for i := 0; i < n; i++ {
			parts = append(parts, "set_config(\x00, \x00, true)")
		}
	}
	constant("search_path")
	dynamic(t.role)
	for _, n := range []string{"role", "request.jwt.claims", "request.method", "request.path", "request.headers", "request.cookies"} {
		constant(n)
	}
	if t.tz {
		constant("timezone")
	}
	dynamic(t.fn)
	dynamic(t.app)
	s.S("select ", strings.Join(parts, ", "))
	return s.b
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
		jsonstr.Write(&sb, k)
		sb.WriteByte(':')
		jsonstr.Write(&sb, m[k])
	}
	sb.WriteByte('}')
	return sb.String()
}
