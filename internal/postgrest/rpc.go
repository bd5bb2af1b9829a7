package postgrest

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/fuzzy"
	"github.com/authstack/authstack/internal/postgrest/query"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// rpcArgs are the argument names given and how their values are bound.
type rpcArgs struct {
	keys   []string            // sorted
	text   map[string]string   // GET / form values
	multi  map[string][]string // GET values of repeated names (VARIADIC)
	json   bool                // bound from the JSON body through json_to_recordset
	whole  bool                // the whole body goes to a single unnamed param
	isPost bool
}

func (s *Server) rpcArguments(req *request) rpcArgs {
	a := rpcArgs{isPost: req.method == "POST"}
	if req.method == "GET" || req.method == "HEAD" {
		a.text = map[string]string{}
		a.multi = map[string][]string{}
		for _, kv := range req.q.args {
			a.text[kv.k] = kv.v
			a.multi[kv.k] = append(a.multi[kv.k], kv.v)
		}
	} else if req.payload != nil {
		switch req.bodyKind {
		case "form":
			// Payload.hs ProcessedUrlEncoded: bound like GET arguments, so
			// repeated names fill a VARIADIC array.
			a.text = req.payload.form
			if vals, err := url.ParseQuery(string(req.payload.raw)); err == nil {
				a.multi = vals
			}
		case "json":
			if !req.payload.empty {
				a.json = true
				a.keys = req.payload.keys
			}
		}
	}
	if a.text != nil {
		for k := range a.text {
			a.keys = append(a.keys, k)
		}
		sort.Strings(a.keys)
	}
	return a
}

func isSingleUnnamed(f *schemacache.Function, kind string) bool {
	if len(f.Params) != 1 || f.Params[0].Name != "" {
		return false
	}
	t := f.Params[0].Type
	switch kind {
	case "json":
		return t == "json" || t == "jsonb"
	case "text":
		return t == "text"
	case "xml":
		return t == "xml"
	case "octet":
		return t == "bytea"
	}
	return false
}

// findFunction implements Plan.hs's overload resolution.
func (s *Server) findFunction(req *request, a *rpcArgs) (*schemacache.Function, *apierr.Error) {
	overloads := req.cache.Functions[req.schema][req.name]
	given := map[string]bool{}
	for _, k := range a.keys {
		given[k] = true
	}
	var matches []*schemacache.Function
	rawPost := a.isPost && (req.bodyKind == "text" || req.bodyKind == "xml" || req.bodyKind == "octet")
	for _, f := range overloads {
		if len(f.Params) == 0 {
			if len(a.keys) == 0 && !rawPost {
				matches = append(matches, f)
			}
			continue
		}
		names := map[string]bool{}
		ok := true
		for _, p := range f.Params {
			names[p.Name] = true
			if p.Required && !given[p.Name] {
				ok = false
			}
		}
		for _, k := range a.keys {
			if !names[k] {
				ok = false
			}
		}
		if ok {
			matches = append(matches, f)
		}
	}
	if len(matches) == 0 && a.isPost && req.bodyKind != "form" {
		kind := req.bodyKind
		if kind == "" {
			kind = "json"
		}
		for _, f := range overloads {
			if isSingleUnnamed(f, kind) {
				matches = append(matches, f)
			}
		}
		if len(matches) > 0 {
			a.whole = true
			a.json = false
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return nil, s.noRPC(req, a, overloads)
	}
	var parts []string
	for _, f := range matches {
		var ps []string
		for _, p := range f.Params {
			ps = append(ps, p.Name+" => "+p.Type)
		}
		parts = append(parts, f.Schema+"."+f.Name+"("+strings.Join(ps, ", ")+")")
	}
	return nil, apierr.New(300, "PGRST203", "Could not choose the best candidate function between: "+strings.Join(parts, ", "), "",
		"Try renaming the parameters or the function itself in the database so function overloading can be resolved")
}

// noRPC builds 404 PGRST202 (Error.hs@v16.2).
func (s *Server) noRPC(req *request, a *rpcArgs, overloads []*schemacache.Function) *apierr.Error {
	fn := req.schema + "." + req.name
	singleOnly := a.isPost && (req.bodyKind == "text" || req.bodyKind == "xml" || req.bodyKind == "octet")
	prms := strings.Join(a.keys, ", ")
	msg := "Could not find the function " + fn
	if !singleOnly {
		if len(a.keys) == 0 {
			msg += " without parameters"
		} else {
			msg += "(" + prms + ")"
		}
	}
	msg += " in the schema cache"
	fmtPrms := func() string {
		if len(a.keys) == 0 {
			return " without parameters"
		}
		if len(a.keys) > 1 {
			return " with parameters " + prms
		}
		return " with parameter " + prms
	}
	det := "Searched for the function " + fn
	switch {
	case a.isPost && req.bodyKind == "text":
		det += " with a single unnamed text parameter"
	case a.isPost && req.bodyKind == "xml":
		det += " with a single unnamed xml parameter"
	case a.isPost && req.bodyKind == "octet":
		det += " with a single unnamed bytea parameter"
	case a.isPost && (req.bodyKind == "json" || req.bodyKind == ""):
		det += fmtPrms() + " or with a single unnamed json/jsonb parameter"
	default:
		det += fmtPrms()
	}
	det += ", but no matches were found in the schema cache."
	hint := ""
	if !singleOnly {
		if len(overloads) == 0 {
			set := fuzzy.New(req.cache.FunctionNames(req.schema))
			if best, ok := set.Best(req.name, 0.75); ok {
				hint = "Perhaps you meant to call the function " + req.schema + "." + best
			}
		} else {
			listToText := func(names []string) string {
				n := append([]string(nil), names...)
				sort.Strings(n)
				return "(" + strings.Join(n, ", ") + ")"
			}
			var cands []string
			for _, f := range overloads {
				var names []string
				for _, p := range f.Params {
					names = append(names, p.Name)
				}
				cands = append(cands, listToText(names))
			}
			if best, ok := fuzzy.New(cands).Best(listToText(a.keys), 0.33); ok {
				hint = "Perhaps you meant to call the function " + req.schema + "." + req.name + best
			}
		}
	}
	return apierr.New(404, "PGRST202", msg, det, hint)
}

func (s *Server) handleRPC(w http.ResponseWriter, req *request) *apierr.Error {
	a := s.rpcArguments(req)
	f, e := s.findFunction(req, &a)
	if e != nil {
		return e
	}
	parent := f.Name
	if f.Return == schemacache.ReturnComposite && f.ReturnType != "record" {
		parent = f.ReturnType[strings.LastIndex(f.ReturnType, ".")+1:]
		parent = strings.Trim(parent, `"`)
	}
	if e := req.q.unsupported(parent, req.schema); e != nil {
		return e
	}
	// Plan.hs callReadPlan: content negotiation, then handling=strict
	// checks (invalid preferences, max-affected on a non-SETOF function).
	m, ne := pickMedia(req.r, true)
	if ne != nil {
		return ne
	}
	req.singular, req.strip = m.singular, m.strip
	if e := req.prefs.StrictError(); e != nil {
		return fromQueryErr(e)
	}
	if req.prefs.MaxAffected != nil && req.prefs.Handling == "strict" && !f.ReturnsSet {
		return apierr.New(400, "PGRST128", "Function must return SETOF or TABLE when max-affected preference is used with handling=strict", "", "")
	}
	b := &argBuilder{}
	// argument list
	var call string
	var from string
	switch {
	case a.whole:
		call = qualified(f.Schema, f.Name) + "(" + b.Arg(string(req.payload.raw)) + "::" + f.Params[0].Type + ")"
	case a.json && len(a.keys) > 0:
		var defs, named []string
		for _, k := range a.keys {
			var typ string
			for _, p := range f.Params {
				if p.Name == k {
					typ = p.Type
				}
			}
			defs = append(defs, quoteIdent(k)+" "+argCastType(typ))
			named = append(named, variadicKw(f, k)+quoteIdent(k)+" := pgrst_args."+quoteIdent(k))
		}
		from = "(SELECT * FROM json_to_recordset(" + b.Arg(string(req.payload.rows)) + "::json) AS _(" + strings.Join(defs, ", ") + ") LIMIT 1) pgrst_args"
		call = qualified(f.Schema, f.Name) + "(" + strings.Join(named, ", ") + ")"
	default:
		var named []string
		for _, k := range a.keys {
			var typ string
			for _, p := range f.Params {
				if p.Name == k {
					typ = p.Type
				}
			}
			val := a.text[k]
			if variadicKw(f, k) != "" && a.multi != nil {
				// repeated ?v=1&v=2 collect into the VARIADIC array
				val = query.ArrayLiteral(a.multi[k])
			}
			named = append(named, variadicKw(f, k)+quoteIdent(k)+" := "+b.Arg(val)+"::text::"+argCastType(typ))
		}
		call = qualified(f.Schema, f.Name) + "(" + strings.Join(named, ", ") + ")"
	}
	var source string
	fromClause := ""
	if from != "" {
		fromClause = " FROM " + from
	}
	switch {
	case f.Return == schemacache.ReturnVoid:
		source = "SELECT " + call + fromClause
	case f.Return == schemacache.ReturnComposite:
		if from != "" {
			source = "SELECT pgrst_call.* FROM " + from + ", LATERAL " + call + " pgrst_call"
		} else {
			source = "SELECT pgrst_call.* FROM " + call + " pgrst_call"
		}
	default:
		// QueryBuilder.hs callPlanToQuery: the call sits in a SELECT list,
		// so functions returning a bare record need no column list.
		scalar := "(SELECT " + call + " pgrst_scalar) pgrst_call"
		if from != "" {
			source = "SELECT pgrst_call.pgrst_scalar FROM " + from + ", LATERAL " + scalar
		} else {
			source = "SELECT pgrst_call.pgrst_scalar FROM " + scalar
		}
	}
	readOnly := req.method == "GET" || req.method == "HEAD" || f.Volatility != "v"
	for _, k := range hoistedSettings {
		if v, ok := f.Settings[k]; ok {
			if req.hoisted == nil {
				req.hoisted = map[string]string{}
			}
			req.hoisted[k] = v
		}
	}
	var body string
	var inner string
	count := "NULL::bigint"
	off, lim := int64(0), (*int64)(nil)
	if f.Return == schemacache.ReturnVoid {
		body = "NULL::text"
		inner = "SELECT 1 FROM pgrst_source"
		if req.prefs.count == "exact" {
			count = "(SELECT pg_catalog.count(*) FROM pgrst_source)"
		}
	} else {
		sel := "*"
		where, order, limit := "", "", ""
		if f.ReturnsSet || f.Return == schemacache.ReturnComposite {
			if f.Return == schemacache.ReturnComposite {
				sel = req.q.selectSQL(b)
			}
			if w := req.q.whereSQL(b); w != "" {
				where = " WHERE " + w
			}
			if o := req.q.orderSQL(b); o != "" {
				order = " ORDER BY " + o
			}
			if f.ReturnsSet {
				off, lim = req.q.window(s.conf().DBMaxRows)
				limit = limitSQL(off, lim)
			}
		}
		// Statements.hs mainCall: the count query runs for every
		// function, so a single scalar/composite counts 1.
		if req.prefs.count == "exact" {
			count = "(SELECT pg_catalog.count(*) FROM pgrst_source" + where + ")"
		}
		inner = "SELECT " + sel + " FROM pgrst_source" + where + order + limit
		// SqlFragment.hs asJsonF/asJsonSingleF (json_strip_nulls for
		// nulls=stripped).
		strip := func(x string) string {
			if req.strip {
				return "json_strip_nulls(" + x + ")"
			}
			return x
		}
		switch {
		case f.Return == schemacache.ReturnScalar && (!f.ReturnsSet || req.singular):
			body = "coalesce((" + strip("json_agg(_postgrest_t.pgrst_scalar)->0") + ")::text, 'null')"
		case f.Return == schemacache.ReturnScalar:
			body = "coalesce(" + strip("json_agg(_postgrest_t.pgrst_scalar)") + ", '[]')::text"
		case !f.ReturnsSet || req.singular:
			body = "coalesce((" + strip("json_agg(_postgrest_t)->0") + ")::text, 'null')"
		default:
			body = "coalesce(" + strip("json_agg(_postgrest_t)") + ", '[]')::text"
		}
	}
	sql := "WITH pgrst_source AS (" + source + ") SELECT " + count + ", pg_catalog.count(_postgrest_t), " + body + ", " + gucCols +
		" FROM (" + inner + ") _postgrest_t"
	res, e := s.run(req.r.Context(), req, readOnly, f.Isolation(), sql, b.Args)
	if e != nil {
		return e
	}
	resp := &response{status: 200}
	if f.Return == schemacache.ReturnVoid {
		// Response.hs: contentRange and Preference-Applied, status 204.
		resp.status = 204
		resp.add("Content-Range", contentRange(0, 1, res.total))
		if pa := rpcApplied(req, res.total != nil); pa != "" {
			resp.add("Preference-Applied", pa)
		}
		return s.finish(w, req, resp, res)
	}
	n := res.pageTotal
	if !f.ReturnsSet {
		n = 1
	}
	if res.total != nil {
		if off > *res.total { // RangeQuery.hs rangeStatus: lower > total
			return offsetErr(off, *res.total)
		}
		if n < *res.total {
			resp.status = 206
		}
	}
	resp.add("Content-Type", req.contentType())
	resp.add("Content-Range", contentRange(off, n, res.total))
	if pa := rpcApplied(req, res.total != nil); pa != "" {
		resp.add("Preference-Applied", pa)
	}
	resp.hasBody = true
	if res.body != nil {
		resp.body = []byte(*res.body)
	}
	return s.finish(w, req, resp, res)
}

func offsetErr(off, total int64) *apierr.Error {
	e := apierr.New(416, "PGRST103", "Requested range not satisfiable", fmt.Sprintf("An offset of %d was requested, but there are only %d rows.", off, total), "")
	e.NoProxyStatus = true
	return e.WithHeader("Content-Range", fmt.Sprintf("*/%d", total))
}

func limitSQL(off int64, lim *int64) string {
	s := ""
	if lim != nil {
		s += fmt.Sprintf(" LIMIT %d", *lim)
	}
	if off > 0 {
		s += fmt.Sprintf(" OFFSET %d", off)
	}
	return s
}

// argCastType widens types that would truncate or reject values in a
// column definition list, as PostgREST's funcsSqlQuery does.
func argCastType(t string) string {
	switch t {
	case "bit":
		return "bit varying"
	case "bit[]":
		return "bit varying[]"
	case "character":
		return "character varying"
	case "character[]":
		return "character varying[]"
	}
	return t
}

// variadicKw is "VARIADIC " when k is f's VARIADIC parameter.
func variadicKw(f *schemacache.Function, k string) string {
	for _, p := range f.Params {
		if p.Name == k && p.Variadic {
			return "VARIADIC "
		}
	}
	return ""
}

// rpcApplied is Preference-Applied for a function call
// (Response.hs responsePreferences: no return=, max-affected kept).
func rpcApplied(req *request, counted bool) string {
	a := query.Preferences{Handling: req.prefs.Handling, MaxAffected: req.prefs.MaxAffected}
	if tz := req.timezone(); tz != "" {
		a.Timezone, a.HasTimezone = tz, true
	}
	if counted {
		a.Count = req.prefs.Count
	}
	return a.AppliedHeader()
}
