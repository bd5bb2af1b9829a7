// Package apirequest is the engine's first stage, PostgREST's
// ApiRequest.hs@v16.2: it turns an HTTP request into an ApiRequest value
// (the action on a resource, the schema chosen by the profile headers, the
// query string, the ranges, the Prefer header, the payload and the media
// types). It reads the request and nothing else: no schema cache, no
// database. Later stages only read what it produces.
package apirequest

import (
	"net/http"
	"sort"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/mediatype"
	"github.com/authstack/authstack/internal/postgrest/queryparams"
)

// Action is what the request does (ApiRequest/Types.hs Action, DbAction).
type Action int

// Actions.
const (
	RelationRead Action = iota // GET/HEAD /<relation>
	RelationMut                // POST/PUT/PATCH/DELETE /<relation>
	Routine                    // GET/HEAD/POST /rpc/<function>
	SchemaRead                 // GET/HEAD / (the OpenAPI document)
	RelationInfo               // OPTIONS /<relation>
	RoutineInfo                // OPTIONS /rpc/<function>
	SchemaInfo                 // OPTIONS /
)

// IsDb is true for the actions that run a transaction.
func (a Action) IsDb() bool { return a <= SchemaRead }

// Mutation is the write of a RelationMut.
type Mutation int

// Mutations (ApiRequest/Types.hs).
const (
	MutationCreate       Mutation = iota // POST
	MutationUpdate                       // PATCH
	MutationSingleUpsert                 // PUT
	MutationDelete                       // DELETE
)

// Options are the configuration values the parser needs.
type Options struct {
	Schemas         []string // db-schemas; the first is the default
	OpenAPIDisabled bool     // openapi-mode=disabled: / is 404 PGRST126
	RootSpec        string   // db-root-spec: / calls this function (its name; the schema is the request's)
	TxAllowOverride bool     // db-tx-end *-allow-override: Prefer: tx= is read
}

// ApiRequest is the parsed request. Later stages only read it.
type ApiRequest struct {
	Action   Action
	Mutation Mutation // RelationMut
	// HeadersOnly is HEAD on a relation, a function or the root.
	HeadersOnly bool
	// InvRead is GET or HEAD on a function (arguments in the query string).
	InvRead bool
	// Target is the relation or function name.
	Target string
	// Schema is the request schema; NegotiatedByProfile is true when a
	// profile header chose it or several schemas are exposed (the
	// Content-Profile response header is then sent).
	Schema              string
	NegotiatedByProfile bool

	Query *queryparams.Params
	// TopLevelRange is the range of the root: limit/offset intersected
	// with the Range header (GET only).
	TopLevelRange queryparams.Range
	Prefs         queryparams.Preferences
	Payload       *Payload // nil unless the action reads a body
	// Columns are the payload's keys (or ?columns=), sorted.
	Columns []string

	Method  string
	Path    string            // the raw (escaped) path, request.path
	Headers map[string]string // lower-cased names, without Cookie; the last duplicate wins
	Cookies map[string]string // the first Cookie header; later duplicates of a name win

	Accept      []mediatype.MediaType // Accept, ranked; [*/*] when absent
	ContentType mediatype.MediaType   // Content-Type; application/json when absent
}

// IsRead is GET or HEAD on anything.
func (a *ApiRequest) IsRead() bool { return a.Method == "GET" || a.Method == "HEAD" }

// Timezone is the Prefer: timezone value, "" when not given.
func (a *ApiRequest) Timezone() string {
	if a.Prefs.HasTimezone {
		return a.Prefs.Timezone
	}
	return ""
}

// Parse builds the ApiRequest in PostgREST's order (userApiRequest):
// resource from the path, schema from the profile headers, action from the
// method, query string, ranges, then the payload. body is the request body,
// already read within the size limit.
func Parse(r *http.Request, body []byte, o Options) (*ApiRequest, *apierr.Error) {
	a := &ApiRequest{Method: r.Method, Path: r.URL.EscapedPath()}
	kind, name, e := resource(r.URL.Path, o)
	if e != nil {
		return nil, e
	}
	if e := a.schema(r.Header, o.Schemas); e != nil {
		return nil, e
	}
	if e := a.action(kind, name); e != nil {
		return nil, e
	}
	p, err := queryparams.Parse(r.URL.RawQuery, queryparams.ParseOptions{
		RPC: a.Action == Routine && a.InvRead, Method: r.Method, RangeHeader: firstHeader(r.Header, "Range")})
	if err != nil {
		return nil, asAPIError(err)
	}
	a.Query, a.TopLevelRange = p, p.TopLevel
	a.Prefs = queryparams.ParsePrefer(r.Header.Values("Prefer"), o.TxAllowOverride)
	a.ContentType = mediatype.MTJSON
	if ct, ok := r.Header["Content-Type"]; ok && len(ct) > 0 {
		a.ContentType = mediatype.Decode(ct[0])
	}
	a.Accept = []mediatype.MediaType{mediatype.MTAny}
	if acc, ok := r.Header["Accept"]; ok && len(acc) > 0 {
		a.Accept = mediatype.ParseAccept(acc[0])
	}
	if e := a.payload(body); e != nil {
		return nil, e
	}
	a.Headers, a.Cookies = HeaderSettings(r), CookieSettings(r.Header)
	return a, nil
}

type resourceKind int

const (
	resRelation resourceKind = iota
	resRoutine
	resSchema
)

// resource reads the path (ApiRequest.hs getResource): "/", "/<relation>"
// or "/rpc/<function>"; anything else is 404 PGRST125.
func resource(path string, o Options) (resourceKind, string, *apierr.Error) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case path == "/" || path == "":
		if o.OpenAPIDisabled {
			return 0, "", apierr.RootDisabled()
		}
		if o.RootSpec != "" {
			return resRoutine, rootSpecName(o.RootSpec), nil
		}
		return resSchema, "", nil
	case len(segs) == 1 && segs[0] != "":
		return resRelation, segs[0], nil
	case len(segs) == 2 && segs[0] == "rpc":
		return resRoutine, segs[1], nil // "/rpc/" looks up the function "" (Wai pathInfo)
	}
	return 0, "", apierr.InvalidPath()
}

// rootSpecName is the function part of db-root-spec (Config.hs toQi: the
// text after the first dot, or all of it); getResource calls it in the
// request's schema whatever schema the setting names.
func rootSpecName(qi string) string {
	if _, name, ok := strings.Cut(qi, "."); ok {
		return name
	}
	return qi
}

// schema applies Accept-Profile (reads) or Content-Profile (writes)
// (ApiRequest.hs getSchema).
func (a *ApiRequest) schema(h http.Header, schemas []string) *apierr.Error {
	name := "Accept-Profile"
	switch a.Method {
	case "POST", "PATCH", "PUT", "DELETE":
		name = "Content-Profile"
	}
	a.Schema, a.NegotiatedByProfile = schemas[0], len(schemas) != 1
	vals, ok := h[name]
	if !ok || len(vals) == 0 {
		return nil
	}
	for _, s := range schemas {
		if s == vals[0] {
			a.Schema, a.NegotiatedByProfile = s, true
			return nil
		}
	}
	return apierr.InvalidSchema(vals[0], schemas)
}

// action maps the method on the resource (ApiRequest.hs getAction).
func (a *ApiRequest) action(kind resourceKind, name string) *apierr.Error {
	a.Target = name
	m := a.Method
	switch kind {
	case resRoutine:
		switch m {
		case "HEAD", "GET":
			a.Action, a.InvRead, a.HeadersOnly = Routine, true, m == "HEAD"
		case "POST":
			a.Action = Routine
		case "OPTIONS":
			a.Action, a.InvRead = RoutineInfo, true
		default:
			return apierr.RPCMethod(m)
		}
	case resRelation:
		a.Action = RelationMut
		switch m {
		case "HEAD", "GET":
			a.Action, a.HeadersOnly = RelationRead, m == "HEAD"
		case "POST":
			a.Mutation = MutationCreate
		case "PUT":
			a.Mutation = MutationSingleUpsert
		case "PATCH":
			a.Mutation = MutationUpdate
		case "DELETE":
			a.Mutation = MutationDelete
		case "OPTIONS":
			a.Action = RelationInfo
		default:
			return apierr.UnsupportedMethod(m)
		}
	default:
		switch m {
		case "HEAD", "GET":
			a.Action, a.HeadersOnly = SchemaRead, m == "HEAD"
		case "OPTIONS":
			a.Action = SchemaInfo
		default:
			return apierr.UnsupportedMethod(m)
		}
	}
	return nil
}

func asAPIError(err error) *apierr.Error {
	if e, ok := err.(*apierr.Error); ok {
		return e
	}
	return apierr.QueryParse(err.Error(), "")
}

func firstHeader(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// HeaderSettings are request.headers: names lower-cased, Cookie left out, Host
// put back (net/http moves it out of the map); the last duplicate wins.
func HeaderSettings(r *http.Request) map[string]string {
	out := make(map[string]string, len(r.Header)+1)
	if r.Host != "" {
		out["host"] = r.Host
	}
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "cookie" || len(vs) == 0 {
			continue
		}
		out[lk] = vs[len(vs)-1]
	}
	return out
}

// CookieSettings are request.cookies: the first Cookie header parsed (Web.Cookie parseCookies); later
// duplicates of a name win, as HashMap.fromList does.
func CookieSettings(h http.Header) map[string]string {
	out := map[string]string{}
	first := firstHeader(h, "Cookie")
	if first == "" {
		return out
	}
	req := http.Request{Header: http.Header{"Cookie": {first}}}
	for _, c := range req.Cookies() {
		out[c.Name] = c.Value
	}
	return out
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
