package postgrest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/auth"
	"github.com/authstack/authstack/internal/postgrest/maintx"
	"github.com/authstack/authstack/internal/postgrest/plan"
	"github.com/authstack/authstack/internal/postgrest/query"
	"github.com/authstack/authstack/internal/postgrest/response"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// httpMaxHeaderBytes is net/http's own cap, above ours so that the handler
// answers first with a JSON body; beyond it net/http sends its plain-text
// 431 without reading further.
const httpMaxHeaderBytes = 2 * apirequest.MaxHeaderBytes

// ServeHTTP runs the stages of PostgREST's App.hs postgrestResponse:
// authentication, the API request, the plan, the SQL, the transaction and
// the response, each timed for Server-Timing. Only this method writes to
// the http.ResponseWriter.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "postgrest/16.2")
	if h := s.conf().ServerTraceHeader; h != "" { // App.hs traceHeaderMiddleware
		w.Header().Set(h, r.Header.Get(h))
	}
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	defer s.recoverPanic(rec, r)
	maxBody := s.conf().ServerMaxBodySize
	if e := apirequest.CheckSize(r, maxBody); e != nil {
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
	resp, timing, e := s.serve(r, &role)
	if e != nil {
		s.writeError(rec, r, e)
	} else {
		s.writeResponse(rec, resp, timing)
	}
	s.accessLog(r, rec, role)
}

// serve runs the stages and returns the response or the error to send.
func (s *Server) serve(r *http.Request, roleOut *string) (*response.Response, *serverTiming, *apierr.Error) {
	if h := testHookServe.Load(); h != nil {
		(*h)(r)
	}
	conf := s.conf()
	var t *serverTiming
	if conf.ServerTimingEnabled {
		t = &serverTiming{mark: time.Now()}
	}
	res, e := s.authn().Authenticate(r.Header)
	if e != nil {
		return nil, nil, e
	}
	t.lap(phaseJWT)
	*roleOut = res.Role
	sc := s.cache.Load()
	if sc == nil {
		return nil, nil, apierr.SchemaCacheNotReady(0)
	}
	body, e := apirequest.ReadBody(r, conf.ServerMaxBodySize)
	if e != nil {
		return nil, nil, e
	}
	a, e := apirequest.Parse(r, body, conf.apiRequestOptions())
	if e != nil {
		return nil, nil, e
	}
	t.lap(phaseParse)
	p, e := plan.Build(a, sc, conf.planOptions())
	if e != nil {
		return nil, nil, e
	}
	t.lap(phasePlan)
	var rs *maintx.ResultSet
	if a.Action.IsDb() {
		if rs, e = s.transaction(r.Context(), conf, sc, res, a, p); e != nil {
			return nil, nil, e
		}
	}
	t.lap(phaseTx)
	resp, e := response.Build(p, a, rs, response.Options{MinimalErrors: conf.ClientErrorVerbosity == "minimal",
		MaxRows: conf.DBMaxRows, OpenAPI: func(p *plan.Plan, privs []byte) ([]byte, error) { return s.openAPI(sc, p.Schema, privs) }})
	if e == nil && conf.URLUseLegacyTargetNames && len(p.LegacyNames) > 0 {
		s.legacyWarning(resp, p, r)
	}
	return resp, t, e
}

// transaction renders the plan's statements and runs them on a pooled
// connection (Query.hs mainQuery, MainTx.hs mainTx).
func (s *Server) transaction(ctx context.Context, conf *Config, sc *schemacache.Cache, res *auth.Result, a *apirequest.ApiRequest,
	p *plan.Plan) (*maintx.ResultSet, *apierr.Error) {
	authenticated := conf.DBAnonRole == "" || res.Role != conf.DBAnonRole
	if s.pool == nil {
		return nil, apierr.ConnectionError(errors.New("not connected"))
	}
	tx := s.planTx(conf, sc, res, a, p)
	actx, cancel := context.WithTimeout(ctx, time.Duration(s.cfg.DBPoolAcquireTimeout)*time.Second)
	conn, err := s.pool.Acquire(actx)
	cancel()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, apierr.PoolTimeout()
		}
		return nil, s.dbError(err, authenticated)
	}
	defer conn.Release()
	rs, err := maintx.Run(ctx, conn.Conn(), s.stmts, tx)
	if err != nil {
		return nil, s.dbError(err, authenticated)
	}
	return rs, nil
}

// planTx renders the plan's statements and the transaction around them:
// BEGIN's access mode and isolation (the role's, or the function's), the
// checks and how it ends (MainTx.hs mainTx@v16.2).
func (s *Server) planTx(conf *Config, sc *schemacache.Cache, res *auth.Result, a *apirequest.ApiRequest, p *plan.Plan) maintx.Tx {
	roleSettings, isolation := s.roleSettings(sc, res.Role)
	if iso := p.Isolation(); iso != "" {
		isolation = iso
	}
	mq := query.Build(p, query.Request{
		Schema: a.Schema, ExtraSearchPath: conf.DBExtraSearchPath, Role: res.Role, RoleSettings: roleSettings, Claims: res.Claims, ClaimsJSON: res.ClaimsJSON,
		Method: a.Method, Path: a.Path, Headers: a.Headers, Cookies: a.Cookies, Timezone: a.Timezone(),
		AppSettings: appSettings(conf), PreRequest: conf.DBPreRequest, Count: a.Prefs.Count, Return: a.Prefs.Return,
	}, query.Options{MaxRows: conf.DBMaxRows})
	tx := maintx.Tx{ReadOnly: p.ReadOnly, Isolation: isolation, Main: mq, Explain: p.Explain, Prepared: conf.DBPreparedStatements,
		Singular: p.Media.IsSingular() || p.Media.For != nil && p.Media.For.IsSingular(),
		// MainTx.hs optionalRollback: Prefer: tx=rollback, or db-tx-end
		// rollback* unless tx=commit.
		Rollback: a.Prefs.Tx == "rollback" || conf.TxRollbackAll() && a.Prefs.Tx != "commit"}
	if p.Kind == plan.CallRead {
		tx.Kind = maintx.RollbackFirst
	}
	if a.Prefs.MaxAffected != nil && a.Prefs.Handling == "strict" && (p.Kind == plan.CallRead ||
		p.Kind == plan.MutateRead && (p.Mutation == apirequest.MutationUpdate || p.Mutation == apirequest.MutationDelete)) {
		tx.MaxAffected = a.Prefs.MaxAffected
	}
	if p.Kind == plan.MutateRead {
		tx.Put = p.Mutation == apirequest.MutationSingleUpsert
		tx.Singular = tx.Singular && p.Mutation != apirequest.MutationSingleUpsert
	}
	if p.Kind == plan.Inspect || p.Explain {
		tx.Singular = false
	}
	return tx
}

// dbError maps a transaction failure; a lost connection wakes the worker.
func (s *Server) dbError(err error, authenticated bool) *apierr.Error {
	e, lost := apierr.FromDB(err, authenticated)
	if lost {
		s.connectionLost()
	}
	return e
}

// roleSettings are the role's ALTER ROLE … SET settings, sorted, with its
// default_transaction_isolation apart (it selects the BEGIN level).
func (s *Server) roleSettings(sc *schemacache.Cache, role string) ([][2]string, string) {
	return query.RoleSettings(sc.RoleSettings[role])
}

func appSettings(conf *Config) [][2]string { return query.AppSettings(conf.AppSettings) }

// writeResponse sends a response with Server-Timing, Vary unless a
// response header replaced it, and Retry-After on 503 (App.hs
// toWaiResponse, addRetryHint).
func (s *Server) writeResponse(rec *statusRecorder, resp *response.Response, t *serverTiming) {
	h := rec.Header()
	vary := false
	for _, x := range resp.Headers {
		h.Add(x.Name, x.Value)
		vary = vary || strings.EqualFold(x.Name, "Vary")
	}
	if !vary {
		h.Set("Vary", "Accept, Prefer, Range")
	}
	if resp.Status == 503 {
		h.Set("Retry-After", strconv.FormatInt(s.nextDelay.Load(), 10))
	}
	t.addTo(h)
	rec.WriteHeader(resp.Status)
	if len(resp.Body) > 0 {
		_, _ = rec.Write(resp.Body)
	}
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

// testHookServe, when set (tests only), runs at the start of every request;
// it is how tests inject a panic.
var testHookServe atomic.Pointer[func(*http.Request)]

// recoverPanic turns a panic while serving into a 500 for that request only
// (logged with its stack); net/http's own recovery would only drop the
// connection. After the response has started, the connection is aborted
// instead so that the client cannot take a truncated body for a whole one.
func (s *Server) recoverPanic(rec *statusRecorder, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	s.logf(lvlCrit, "Internal error (panic) serving %s %s: %v\n%s", r.Method, redactedURI(r.URL), v, debug.Stack())
	if rec.wrote {
		s.accessLog(r, rec, "")
		panic(http.ErrAbortHandler)
	}
	s.writeError(rec, r, apierr.Panic())
	s.accessLog(r, rec, "")
}

// legacyWarning adds the Warning header of an embed named by its relation
// although aliased, and logs it (App.hs warningHeaders,
// LegacyTargetNameWarningObs).
func (s *Server) legacyWarning(resp *response.Response, p *plan.Plan, r *http.Request) {
	const msg = "Embedded resource was referenced by relation name even though it has an alias. This is deprecated and will stop working in a future release."
	hints := make([]string, len(p.LegacyNames))
	for i, n := range p.LegacyNames {
		hints[i] = "`" + n[0] + "` to `" + n[1] + "`"
	}
	hint := strings.Join(hints, ", ")
	s.logf(lvlWarn, "%s %s %s: %s Update %s in query string filters, orders or limits.", r.Method, r.URL.EscapedPath(), r.URL.RawQuery, msg, hint)
	resp.Headers = append(resp.Headers, response.Header{Name: "Warning",
		Value: `299 PostgRESTv16.2 "` + msg + " Update " + hint + ` in query string filters, orders or limits."`})
}
