package postgrest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/auth"
	"github.com/authstack/authstack/internal/postgrest/maintx"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

type resourceKind int

const (
	resRoot resourceKind = iota
	resTable
	resRPC
)

// request is the parsed HTTP request (ApiRequest in PostgREST).
type request struct {
	r            *http.Request
	method       string
	kind         resourceKind
	name         string
	schema       string
	profileGiven bool
	auth         *auth.Result
	cache        *schemacache.Cache
	q            *queryParams
	prefs        prefs
	body         []byte
	bodyKind     string // json, form, text, xml, octet
	payload      *payload
	singular     bool              // Accept: application/vnd.pgrst.object+json
	strip        bool              // Accept: …;nulls=stripped (json_strip_nulls)
	hoisted      map[string]string // the called function's hoisted SET options
	timing       *serverTiming     // nil unless server-timing-enabled
}

// hoistedSettings are PostgREST's default db-hoisted-tx-settings (besides
// default_transaction_isolation, which selects the BEGIN level).
var hoistedSettings = []string{"statement_timeout", "plan_filter.statement_cost_limit"}

// timezone is the Prefer: timezone value. v16.2 sets it as given (no
// cache lookup since "perf: no caching for prefer timezone"): an unknown
// zone is PostgreSQL's 400 22023 and offsets such as +05:30 work
// (T:Query/Preferences/TimezoneSpec.hs:34-80@v16.2).
func (req *request) timezone() string {
	if req.prefs.HasTimezone {
		return req.prefs.Timezone
	}
	return ""
}

// ServeHTTP runs the pipeline of postgrest-subset.md §1.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "postgrest/16.2")
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	defer s.recoverPanic(rec, r)
	maxBody := s.conf().ServerMaxBodySize
	if e := checkRequestSize(r, maxBody); e != nil {
		s.writeError(rec, r, e)
		s.accessLog(r, rec, "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, int64(maxBody)) // w: net/http then closes the connection
	if s.cors(rec, r) {
		s.accessLog(r, rec, "")
		return
	}
	role := ""
	if e := s.serve(rec, r, &role); e != nil {
		s.writeError(rec, r, e)
	}
	s.accessLog(r, rec, role)
}

// writeError sends an error response (503s get Retry-After).
func (s *Server) writeError(rec *statusRecorder, r *http.Request, e *apierr.Error) {
	if e.Status == 503 {
		e.Header.Del("Retry-After")
		e.WithHeader("Retry-After", strconv.FormatInt(s.nextDelay.Load(), 10))
	}
	e.Minimal = s.conf().ClientErrorVerbosity == "minimal"
	if writeWithReason(rec.ResponseWriter, r, e) {
		rec.status, rec.wrote = e.Status, true
	} else {
		e.Write(rec)
	}
}

// statusRecorder remembers the status and size for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	size   int
	wrote  bool // the response has started
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status, r.wrote = code, true
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.size += n
	return n, err
}

// accessLog writes an Apache combined log line like PostgREST (warp's
// logger): every request at info, 4xx and 5xx at warn, 5xx at error.
func (s *Server) accessLog(r *http.Request, rec *statusRecorder, role string) {
	lvl := lvlInfo
	switch {
	case rec.status >= 500:
		lvl = lvlError
	case rec.status >= 400:
		lvl = lvlWarn
	}
	if lvl > s.level {
		return
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if role == "" {
		role = "-"
	}
	size := "-"
	if rec.size > 0 {
		size = strconv.Itoa(rec.size)
	}
	s.access.Printf("%s - %s [%s] %q %d %s %q %q", host, role, time.Now().Format("02/Jan/2006:15:04:05 -0700"),
		r.Method+" "+redactedURI(r.URL)+" "+r.Proto, rec.status, size, r.Referer(), r.UserAgent())
}

// redactedURI is the request URI with the values of query parameters whose
// name suggests a credential (pass, secret, token, key) replaced by "***",
// so that e.g. GET /rpc/login?pass=… never reaches the log.
func redactedURI(u *url.URL) string {
	if u.RawQuery == "" {
		return u.RequestURI()
	}
	parts := strings.Split(u.RawQuery, "&")
	for i, p := range parts {
		k, _, hasVal := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		name = strings.ToLower(name)
		if hasVal && (strings.Contains(name, "pass") || strings.Contains(name, "secret") ||
			strings.Contains(name, "token") || strings.Contains(name, "key")) {
			parts[i] = k + "=***"
		}
	}
	return u.EscapedPath() + "?" + strings.Join(parts, "&")
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, roleOut *string) *apierr.Error {
	if h := testHookServe.Load(); h != nil {
		(*h)(r)
	}
	// 1. JWT
	start := time.Now()
	res, aerr := s.authn().Authenticate(r.Header)
	if aerr != nil {
		return aerr
	}
	var timing *serverTiming
	if s.conf().ServerTimingEnabled {
		timing = &serverTiming{mark: start}
		timing.lap(phaseJWT)
	}
	*roleOut = res.Role
	// 2. schema cache
	sc := s.cache.Load()
	if sc == nil {
		return apierr.SchemaCacheNotReady(0)
	}
	req := &request{r: r, method: r.Method, auth: res, cache: sc, timing: timing}
	// 3.1 path
	path := r.URL.Path
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case path == "/" || path == "":
		if s.conf().OpenAPIMode == "disabled" {
			return apierr.New(404, "PGRST126", "Root endpoint metadata is disabled", "", "")
		}
		req.kind = resRoot
	case len(segs) == 1 && segs[0] != "":
		req.kind, req.name = resTable, segs[0]
	case len(segs) == 2 && segs[0] == "rpc":
		req.kind, req.name = resRPC, segs[1] // "/rpc/" looks up the function "" (Wai pathInfo)
	default:
		return apierr.InvalidPath()
	}
	// 3.2 profile
	hdr := "Accept-Profile"
	switch req.method {
	case "POST", "PATCH", "PUT", "DELETE":
		hdr = "Content-Profile"
	}
	req.schema = s.conf().DBSchemas[0]
	if vals := r.Header.Values(hdr); len(vals) > 0 {
		req.profileGiven = true
		p := vals[0]
		found := false
		for _, sch := range s.conf().DBSchemas {
			if sch == p {
				found = true
			}
		}
		if !found {
			return apierr.InvalidSchema(p, s.conf().DBSchemas)
		}
		req.schema = p
	}
	// 3.3 method against resource
	switch req.kind {
	case resRPC:
		switch req.method {
		case "GET", "HEAD", "POST", "OPTIONS":
		default:
			return apierr.RPCMethod(req.method)
		}
	case resTable:
		switch req.method {
		case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		default:
			return apierr.UnsupportedMethod(req.method)
		}
	case resRoot:
		switch req.method {
		case "GET", "HEAD", "OPTIONS":
		default:
			return apierr.UnsupportedMethod(req.method)
		}
	}
	// 3.4/3.5 query string, prefer, range
	var e *apierr.Error
	if req.q, e = parseQuery(r, req.kind == resRPC); e != nil {
		return e
	}
	req.prefs = parsePrefer(r.Header.Values("Prefer"))
	// 3.6 body
	if e := s.readBody(req); e != nil {
		return e
	}
	req.timing.lap(phaseParse)
	if req.method == "OPTIONS" {
		return s.options(w, req)
	}
	switch req.kind {
	case resRoot:
		return s.handleRoot(w, req)
	case resRPC:
		return s.handleRPC(w, req)
	default:
		return s.handleTable(w, req)
	}
}

func (s *Server) options(w http.ResponseWriter, req *request) *apierr.Error {
	allow := "OPTIONS,GET,HEAD"
	switch req.kind {
	case resRPC:
		fns := req.cache.Functions[req.schema][req.name]
		if len(fns) == 0 {
			a := s.rpcArguments(req)
			return s.noRPC(req, &a, nil)
		}
		allow = "OPTIONS,GET,HEAD,POST"
		if fns[0].Volatility == "v" {
			allow = "OPTIONS,POST"
		}
	case resTable:
		t, ok := req.cache.Table(req.schema, req.name)
		if !ok {
			return s.tableNotFound(req)
		}
		if t.Insertable {
			allow += ",POST"
		}
		if t.Insertable && t.Updatable && len(t.PKColumns()) > 0 {
			allow += ",PUT"
		}
		if t.Updatable {
			allow += ",PATCH"
		}
		if t.Deletable {
			allow += ",DELETE"
		}
	}
	h := w.Header()
	h.Set("Content-Length", "0")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Allow", allow)
	h.Set("Vary", "Accept, Prefer, Range")
	req.timing.lap(phasePlan)
	req.timing.addTo(h)
	w.WriteHeader(200)
	return nil
}

// ---- body ----

type payload struct {
	isArray bool
	empty   bool              // no arguments / no rows
	keys    []string          // sorted key set
	rows    json.RawMessage   // JSON array of objects (for json_to_recordset)
	form    map[string]string // form/GET-style arguments
	raw     []byte            // whole body (single unnamed param)
}

func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// readBody parses the request body as ApiRequest/Payload.hs@v16.2 does.
func (s *Server) readBody(req *request) *apierr.Error {
	switch req.method {
	case "POST", "PATCH", "PUT":
	default:
		return nil
	}
	b, e := readLimited(req.r, s.conf().ServerMaxBodySize)
	if e != nil {
		return e
	}
	req.body = b
	isProc := req.kind == resRPC
	ct := mediaType(req.r.Header.Get("Content-Type"))
	switch {
	case ct == "" || ct == "application/json":
		req.bodyKind = "json"
	case ct == "application/x-www-form-urlencoded":
		req.bodyKind = "form"
	case isProc && ct == "text/plain":
		req.bodyKind = "text"
	case isProc && ct == "text/xml":
		req.bodyKind = "xml"
	case isProc && ct == "application/octet-stream":
		req.bodyKind = "octet"
	default:
		return apierr.InvalidBody("Content-Type not acceptable: " + ct)
	}
	p := &payload{raw: b}
	req.payload = p
	switch req.bodyKind {
	case "form":
		vals, err := parseForm(string(b))
		if err != nil {
			return apierr.InvalidBody("Empty or invalid json")
		}
		p.form = vals
		for k := range vals {
			p.keys = append(p.keys, k)
		}
		sort.Strings(p.keys)
		obj, _ := json.Marshal(vals)
		p.rows = json.RawMessage("[" + string(obj) + "]")
		p.empty = len(vals) == 0
		return nil
	case "json":
	default:
		return nil
	}
	if len(b) == 0 && isProc {
		p.empty = true
		return nil
	}
	if jsonDeeperThan(b, MaxBodyDepth) {
		return errBodyTooDeep()
	}
	if !json.Valid(b) {
		return apierr.InvalidBody("Empty or invalid json")
	}
	trimmed := strings.TrimSpace(string(b))
	switch trimmed[0] {
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return apierr.InvalidBody("Empty or invalid json")
		}
		for k := range obj {
			p.keys = append(p.keys, k)
		}
		sort.Strings(p.keys)
		p.rows = json.RawMessage("[" + trimmed + "]")
	case '[':
		p.isArray = true
		var arr []json.RawMessage
		if err := json.Unmarshal(b, &arr); err != nil {
			return apierr.InvalidBody("Empty or invalid json")
		}
		if len(arr) == 0 {
			p.empty = true
			p.rows = json.RawMessage("[]")
			break
		}
		var first []string
		for i, el := range arr {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(el, &obj); err != nil || obj == nil {
				if req.q == nil || req.q.columns == nil {
					return apierr.InvalidBody("All object keys must match")
				}
				continue
			}
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if i == 0 {
				first = keys
			} else if strings.Join(keys, "\x00") != strings.Join(first, "\x00") && (req.q == nil || req.q.columns == nil) {
				return apierr.InvalidBody("All object keys must match")
			}
		}
		p.keys = first
		p.rows = json.RawMessage(trimmed)
	default:
		// any other JSON value counts as an empty array
		p.isArray, p.empty = true, true
		p.rows = json.RawMessage("[]")
	}
	// ?columns= (raw JSON, no key checks) restricts/sets the keys used.
	if req.q != nil && req.q.columns != nil {
		ks := append([]string(nil), req.q.columns...)
		sort.Strings(ks)
		p.keys = ks
		if p.empty {
			p.keys = nil
		}
	}
	return nil
}

// ---- Accept ----

const singularType = "application/vnd.pgrst.object+json"

// acceptJSON negotiates the response media type: JSON (also */*), the
// extra types given; anything else is 406 PGRST107.
// Like Plan.hs inspectPlan, any acceptable range anywhere in the list
// will do; the singular and nulls=stripped types are not.
func acceptJSON(r *http.Request, extra ...string) *apierr.Error {
	items := parseAccept(r.Header.Values("Accept"))
	if len(items) == 0 {
		return nil
	}
	var names []string
	for _, a := range items {
		switch a.typ {
		case "*/*", "application/json":
			return nil
		case "application/vnd.pgrst.array+json", "application/vnd.pgrst.array":
			if a.params["nulls"] != "stripped" {
				return nil
			}
		}
		for _, x := range extra {
			if a.typ == x {
				return nil
			}
		}
		names = append(names, a.typ)
	}
	return apierr.NotAcceptable(strings.Join(names, ", "))
}

// contentType is the JSON, singular or nulls-stripped content type of a
// response (MediaType.hs toMime@v16.2).
func (req *request) contentType() string {
	switch {
	case req.singular && req.strip:
		return singularType + ";nulls=stripped; charset=utf-8"
	case req.singular:
		return singularType + "; charset=utf-8"
	case req.strip:
		return "application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8"
	}
	return "application/json; charset=utf-8"
}

// ---- transaction ----

// txResult is what the main statement returns.
type txResult struct {
	total      *int64
	pageTotal  int64
	body       *string
	gucHeaders *string
	gucStatus  *string
	inserted   *int64
}

func (s *Server) authenticated(req *request) bool {
	return s.conf().DBAnonRole == "" || req.auth.Role != s.conf().DBAnonRole
}

func (s *Server) txRequest(req *request, readOnly bool, isolation string) maintx.Request {
	rs := req.cache.RoleSettings[req.auth.Role]
	var roleSettings map[string]string
	for k, v := range rs {
		if k == "default_transaction_isolation" {
			if isolation == "" {
				isolation = v
			}
			continue
		}
		if roleSettings == nil {
			roleSettings = map[string]string{}
		}
		roleSettings[k] = v
	}
	for k, v := range req.hoisted {
		if roleSettings == nil {
			roleSettings = map[string]string{}
		}
		roleSettings[k] = v
	}
	return maintx.Request{
		Schema: req.schema, ExtraSearchPath: s.conf().DBExtraSearchPath, Role: req.auth.Role, Claims: req.auth.Claims,
		Method: req.method, Path: req.r.URL.EscapedPath(), Headers: requestHeaders(req.r), AppSettings: s.conf().AppSettings,
		RoleSettings: roleSettings, PreRequest: s.conf().DBPreRequest, ReadOnly: readOnly, Isolation: isolation,
		Timezone: req.timezone(),
	}
}

// requestHeaders are the headers as PostgREST sees them: net/http moves
// Host out of the map, so it is put back.
func requestHeaders(r *http.Request) http.Header {
	if r.Host == "" || r.Header.Get("Host") != "" {
		return r.Header
	}
	h := make(http.Header, len(r.Header)+1)
	for k, v := range r.Header {
		h[k] = v
	}
	h["Host"] = []string{r.Host}
	return h
}

// run executes the main statement in the request transaction. The
// statement must select (total, page_total, body, response.headers,
// response.status[, location]).
func (s *Server) run(ctx context.Context, req *request, readOnly bool, isolation string, sql string, args []any) (*txResult, *apierr.Error) {
	if s.pool == nil {
		return nil, apierr.ConnectionError(errors.New("not connected"))
	}
	req.timing.lap(phasePlan)
	defer req.timing.lap(phaseTx)
	tr := s.txRequest(req, readOnly, isolation)
	actx, cancel := context.WithTimeout(ctx, time.Duration(s.cfg.DBPoolAcquireTimeout)*time.Second)
	conn, err := s.pool.Acquire(actx)
	cancel()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, apierr.PoolTimeout()
		}
		return nil, s.dbError(req, err)
	}
	defer conn.Release()
	tx, err := maintx.Begin(ctx, conn, tr)
	if err != nil {
		return nil, s.dbError(req, err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck
	out := &txResult{}
	dest := []any{&out.total, &out.pageTotal, &out.body, &out.gucHeaders, &out.gucStatus, &out.inserted}
	if err := tx.QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
		return nil, s.dbError(req, err)
	}
	// application/vnd.pgrst.object+json: exactly one row, else 406 PGRST116
	// and the transaction is rolled back.
	if req.singular && out.pageTotal != 1 {
		return nil, apierr.New(406, "PGRST116", "Cannot coerce the result to a single JSON object",
			fmt.Sprintf("The result contains %d rows", out.pageTotal), "")
	}
	// MainTx.hs failExceedsMaxAffectedPref (update, delete, function call).
	if n := req.prefs.MaxAffected; n != nil && req.prefs.Handling == "strict" && out.pageTotal > *n &&
		(req.kind == resRPC || req.method == "PATCH" || req.method == "DELETE") {
		return nil, apierr.New(400, "PGRST124", "Query result exceeds max-affected preference constraint",
			fmt.Sprintf("The query affects %d rows", out.pageTotal), "")
	}
	// PUT: the payload's primary key must match the URL (MainTx.hs failPut).
	if req.method == "PUT" && out.pageTotal != 1 {
		return nil, apierr.New(400, "PGRST115", "Payload values do not match URL in primary key column(s)", "", "")
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, s.dbError(req, err)
	}
	return out, nil
}

// dbError maps a failure of the transaction.
func (s *Server) dbError(req *request, err error) *apierr.Error {
	// A failure to connect comes first: the server's FATAL reply (57P03
	// "the database system is starting up" / "is shutting down", 53300 …)
	// is wrapped in it, and PostgREST (hasql's ConnectionUsageError) answers
	// every connection failure 503 PGRST000 (Error.hs@v16.2), never 500.
	if errors.Is(err, context.DeadlineExceeded) {
		return apierr.PoolTimeout()
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		s.connectionLost()
		return apierr.ConnectFailure(err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03":
			s.connectionLost()
		}
		return apierr.FromPg(pe, s.authenticated(req))
	}
	var ne net.Error
	if errors.As(err, &ne) || pgconn.SafeToRetry(err) || isConnErr(err) {
		s.connectionLost()
		return apierr.ConnectionError(err)
	}
	return apierr.Internal(err)
}

func isConnErr(err error) bool {
	msg := err.Error()
	for _, s := range []string{"conn closed", "connection refused", "unexpected EOF", "broken pipe", "connection reset", "failed to connect", "closed pool"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// ---- response assembly ----

type header struct{ name, value string }

type response struct {
	status  int
	headers []header
	body    []byte
	hasBody bool
}

func (r *response) add(name, value string) { r.headers = append(r.headers, header{name, value}) }

// finish applies response.headers / response.status and writes.
func (s *Server) finish(w http.ResponseWriter, req *request, resp *response, res *txResult) *apierr.Error {
	var guc []maintx.Header
	if res != nil && res.gucHeaders != nil {
		var err error
		if guc, err = maintx.ParseResponseHeaders(*res.gucHeaders); err != nil {
			return apierr.GUCHeaders()
		}
	}
	status := resp.status
	if res != nil && res.gucStatus != nil {
		n, err := maintx.ParseResponseStatus(*res.gucStatus)
		if err != nil {
			return apierr.GUCStatus()
		}
		status = n
	}
	hasContentType := false
	for _, h := range resp.headers {
		if strings.EqualFold(h.name, "Content-Type") {
			hasContentType = true
		}
	}
	if hasContentType && (req.profileGiven || len(s.conf().DBSchemas) > 1) {
		resp.add("Content-Profile", req.schema)
	}
	// Every non-error response gets Vary (App.hs toWaiResponse@v16.2), also
	// when response.status turned it into a 4xx; response.headers may
	// replace it.
	resp.add("Vary", "Accept, Prefer, Range")
	overridden := map[string]bool{}
	for _, h := range guc {
		overridden[strings.ToLower(h.Name)] = true
	}
	out := w.Header()
	for _, h := range resp.headers {
		if overridden[strings.ToLower(h.name)] {
			continue
		}
		out.Add(h.name, h.value)
	}
	for _, h := range guc {
		out.Add(h.Name, h.Value)
	}
	if resp.hasBody && req.method != "HEAD" {
		out.Set("Content-Length", strconv.Itoa(len(resp.body)))
	}
	if status == 503 {
		out.Set("Retry-After", strconv.FormatInt(s.nextDelay.Load(), 10))
	}
	req.timing.addTo(out)
	w.WriteHeader(status)
	if resp.hasBody && req.method != "HEAD" {
		_, _ = w.Write(resp.body)
	}
	return nil
}

// contentRange renders first-last/total.
func contentRange(offset int64, n int64, total *int64) string {
	rng := "*"
	if n > 0 {
		rng = strconv.FormatInt(offset, 10) + "-" + strconv.FormatInt(offset+n-1, 10)
	}
	t := "*"
	if total != nil {
		t = strconv.FormatInt(*total, 10)
	}
	return rng + "/" + t
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func qualified(schema, name string) string { return quoteIdent(schema) + "." + quoteIdent(name) }

// gucCols are read by every main statement: response.headers,
// response.status and pgrst.inserted (upserts count inserted rows in it).
const gucCols = `nullif(current_setting('response.headers', true), ''), nullif(current_setting('response.status', true), ''), ` +
	`nullif(current_setting('pgrst.inserted', true), '')::int`
