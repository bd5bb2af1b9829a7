// Package maintx runs SQL the way PostgREST v16 does for one request
// (as PostgREST v16.2 runs a request, Query.hs and SqlFragment.hs; docs/postgrest.md):
//
//  1. BEGIN ISOLATION LEVEL <lvl> READ ONLY|READ WRITE
//  2. one `select set_config($1,$2,true), …` with, in order: search_path,
//     the impersonated role's own settings, role, request.jwt.claims,
//     request.method, request.path, request.headers, request.cookies,
//     timezone (only when Request.Timezone is set), app.settings.*
//  3. the optional pre-request function: `select <fn>()`
//  4. the caller's main statement
//  5. read response.headers and response.status (an empty value is unset)
//  6. COMMIT; any error rolls back, which also drops response.*.
//
// Begin does 1–3 and hands back the transaction; ResponseGUCs does 5;
// Call does all of it for `select <fn>(<named args>)`.
package maintx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Beginner is what Begin needs: *pgx.Conn, *pgxpool.Conn and *pgxpool.Pool
// all satisfy it.
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Request describes one PostgREST request as far as the database sees it.
type Request struct {
	// Schema is the selected schema (from Accept-Profile/Content-Profile),
	// e.g. "auth". Required.
	Schema string
	// ExtraSearchPath follows Schema in search_path (db-extra-search-path).
	// nil means ["public"]; use an empty non-nil slice for none.
	ExtraSearchPath []string
	// Role is the effective role (the JWT's role claim, or the anon role). Required.
	Role string
	// Claims are the verified JWT claims (nil for anonymous). The role claim
	// is always overwritten with Role, as PostgREST v16 does.
	Claims map[string]any
	// Method and Path are request.method and request.path (path without query).
	Method, Path string
	// Headers become request.headers: names lower-cased, Cookie excluded,
	// the last duplicate wins.
	Headers http.Header
	// Cookies become request.cookies. nil means: parse the first Cookie
	// header of Headers ({} when there is none).
	Cookies map[string]string
	// Timezone, when not empty, sets the timezone GUC (Prefer: timezone=…).
	Timezone string
	// AppSettings become app.settings.<NAME> (the name keeps its case).
	AppSettings map[string]string
	// RoleSettings are the impersonated role's own settings (ALTER ROLE … SET),
	// applied before the role switch; default_transaction_isolation is used
	// for BEGIN instead (when Isolation is "").
	RoleSettings map[string]string
	// PreRequest is the db-pre-request function name, e.g. "public.check";
	// "" for none. It is called as `select <PreRequest>()` unquoted, as
	// PostgREST does.
	PreRequest string
	// ReadOnly selects READ ONLY (GET/HEAD, STABLE/IMMUTABLE functions).
	ReadOnly bool
	// Isolation is the isolation level, e.g. "serializable" (a function's
	// SET default_transaction_isolation); "" = the role's setting, else
	// read committed.
	Isolation string
}

// Setting is one name/value pair of the set_config statement.
type Setting struct{ Name, Value string }

// Settings returns the set_config pairs of r in PostgREST's order.
func (r Request) Settings() ([]Setting, error) {
	if r.Schema == "" {
		return nil, errors.New("maintx: Request.Schema is empty")
	}
	if r.Role == "" {
		return nil, errors.New("maintx: Request.Role is empty")
	}
	extra := r.ExtraSearchPath
	if extra == nil {
		extra = []string{"public"}
	}
	path := make([]string, 0, 1+len(extra))
	for _, s := range append([]string{r.Schema}, extra...) {
		path = append(path, quoteIdent(s))
	}
	out := []Setting{{"search_path", strings.Join(path, ", ")}}
	for _, k := range sortedKeys(r.RoleSettings) {
		if strings.EqualFold(k, "default_transaction_isolation") {
			continue // used for BEGIN instead (BeginQuery)
		}
		out = append(out, Setting{k, r.RoleSettings[k]})
	}
	out = append(out, Setting{"role", r.Role})

	claims := make(map[string]any, len(r.Claims)+1)
	for k, v := range r.Claims {
		claims[k] = v
	}
	claims["role"] = r.Role
	cj, err := json.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("maintx: claims: %w", err)
	}
	out = append(out, Setting{"request.jwt.claims", string(cj)})
	out = append(out, Setting{"request.method", r.Method}, Setting{"request.path", r.Path})

	hdrs := map[string]string{}
	for name, vals := range r.Headers {
		ln := strings.ToLower(name)
		if ln == "cookie" || len(vals) == 0 {
			continue
		}
		hdrs[ln] = vals[len(vals)-1]
	}
	hj, _ := json.Marshal(hdrs)
	out = append(out, Setting{"request.headers", string(hj)})

	cookies := r.Cookies
	if cookies == nil {
		cookies = ParseCookies(r.Headers)
	}
	ckj, _ := json.Marshal(cookies)
	out = append(out, Setting{"request.cookies", string(ckj)})
	if r.Timezone != "" {
		out = append(out, Setting{"timezone", r.Timezone})
	}
	for _, k := range sortedKeys(r.AppSettings) {
		out = append(out, Setting{"app.settings." + k, r.AppSettings[k]})
	}
	return out, nil
}

// ParseCookies parses the first Cookie header of h into a map (later
// duplicates of a name win); it never returns nil.
func ParseCookies(h http.Header) map[string]string {
	out := map[string]string{}
	var first string
	for name, vals := range h {
		if strings.EqualFold(name, "cookie") && len(vals) > 0 {
			first = vals[0]
			break
		}
	}
	if first == "" {
		return out
	}
	req := http.Request{Header: http.Header{"Cookie": {first}}}
	for _, c := range req.Cookies() {
		out[c.Name] = c.Value
	}
	return out
}

// isolation is Isolation, else the role's default_transaction_isolation.
func (r Request) isolation() string {
	if r.Isolation != "" {
		return r.Isolation
	}
	for k, v := range r.RoleSettings {
		if strings.EqualFold(k, "default_transaction_isolation") {
			return v
		}
	}
	return ""
}

// BeginQuery is the BEGIN statement PostgREST (hasql-transaction) sends.
func (r Request) BeginQuery() string {
	iso := strings.ToUpper(strings.TrimSpace(r.isolation()))
	if iso == "" {
		iso = "READ COMMITTED"
	}
	mode := "READ WRITE"
	if r.ReadOnly {
		mode = "READ ONLY"
	}
	return "BEGIN ISOLATION LEVEL " + iso + " " + mode
}

var validIso = map[string]bool{"READ COMMITTED": true, "REPEATABLE READ": true, "SERIALIZABLE": true, "READ UNCOMMITTED": true}

// Begin opens the request transaction on conn, applies the settings and runs
// the pre-request function. The caller runs its main statement on the
// returned transaction, then ResponseGUCs, then Commit (or Rollback).
func Begin(ctx context.Context, conn Beginner, r Request) (pgx.Tx, error) {
	settings, err := r.Settings()
	if err != nil {
		return nil, err
	}
	if iso := strings.ToUpper(strings.TrimSpace(r.isolation())); iso != "" && !validIso[iso] {
		return nil, fmt.Errorf("maintx: unknown isolation level %q", r.isolation())
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{BeginQuery: r.BeginQuery()})
	if err != nil {
		return nil, err
	}
	var sb strings.Builder
	sb.WriteString("select ")
	args := make([]any, 0, 2*len(settings))
	for i, s := range settings {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "set_config($%d, $%d, true)", 2*i+1, 2*i+2)
		args = append(args, s.Name, s.Value)
	}
	if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
		_ = tx.Rollback(ctx)
		return nil, err
	}
	if r.PreRequest != "" {
		if _, err := tx.Exec(ctx, "select "+r.PreRequest+"()"); err != nil {
			_ = tx.Rollback(ctx)
			return nil, err
		}
	}
	return tx, nil
}

// ResponseGUCs reads response.headers and response.status in tx ("" when unset).
func ResponseGUCs(ctx context.Context, tx pgx.Tx) (headers, status string, err error) {
	var h, s *string
	err = tx.QueryRow(ctx, "select nullif(current_setting('response.headers', true), ''), nullif(current_setting('response.status', true), '')").Scan(&h, &s)
	if h != nil {
		headers = *h
	}
	if s != nil {
		status = *s
	}
	return headers, status, err
}

// Header is one response header line.
type Header struct{ Name, Value string }

// ErrBadResponseHeaders is PostgREST's PGRST111 condition.
var ErrBadResponseHeaders = errors.New("response.headers guc must be a JSON array composed of objects with a single key and a string value")

// ErrBadResponseStatus is PostgREST's PGRST112 condition.
var ErrBadResponseStatus = errors.New("response.status guc must be a valid status code")

// ParseResponseHeaders parses a response.headers value: a JSON array of
// single-key objects with string values, kept in order (repeated names
// such as Set-Cookie are all kept). "" gives no headers.
func ParseResponseHeaders(s string) ([]Header, error) {
	if s == "" {
		return nil, nil
	}
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(s), &arr); err != nil {
		return nil, ErrBadResponseHeaders
	}
	out := make([]Header, 0, len(arr))
	for _, raw := range arr {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || len(obj) != 1 {
			return nil, ErrBadResponseHeaders
		}
		for k, v := range obj {
			var str string
			if err := json.Unmarshal(v, &str); err != nil {
				return nil, ErrBadResponseHeaders
			}
			out = append(out, Header{k, str})
		}
	}
	return out, nil
}

// ParseResponseStatus reads the leading decimal digits of a response.status
// value (0 when s is "").
func ParseResponseStatus(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, ErrBadResponseStatus
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil {
		return 0, ErrBadResponseStatus
	}
	return n, nil
}

// Result is the outcome of Call.
type Result struct {
	// Void is true when the function returns void (PostgREST answers 204).
	Void bool
	// Value is the decoded result (nil for void or SQL NULL).
	Value any
	// JSON is Value encoded as JSON ("null" for void/NULL).
	JSON []byte
	// Headers are the parsed response.headers, in order.
	Headers []Header
	// RawHeaders and RawStatus are the GUC values as read ("" when unset).
	RawHeaders, RawStatus string
	// Status is the parsed response.status, 0 when unset.
	Status int
}

// Values returns every value of header name (case-insensitive), in order.
func (r *Result) Values(name string) []string {
	var out []string
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			out = append(out, h.Value)
		}
	}
	return out
}

const voidOID = 2278

// Call runs `select <fn>(<name> := $n, …)` as PostgREST would for POST
// /rpc/<fn> and commits. fn is "schema.name" (each part is quoted); args
// are bound as parameters in name order. On a database error the
// transaction is rolled back and the returned error wraps the
// *pgconn.PgError (use errors.As, or AsPgError).
func Call(ctx context.Context, conn Beginner, r Request, fn string, args map[string]any) (*Result, error) {
	q, vals, err := CallSQL(fn, args)
	if err != nil {
		return nil, err
	}
	tx, err := Begin(ctx, conn, r)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after Commit

	rows, err := tx.Query(ctx, q, vals...)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	if fd := rows.FieldDescriptions(); len(fd) == 1 && fd[0].DataTypeOID == voidOID {
		res.Void = true
	}
	for rows.Next() {
		if res.Void {
			continue
		}
		v, err := rows.Values()
		if err != nil {
			rows.Close()
			return nil, err
		}
		res.Value = v[0]
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if res.JSON, err = json.Marshal(res.Value); err != nil {
		return nil, fmt.Errorf("maintx: encode result: %w", err)
	}
	if res.RawHeaders, res.RawStatus, err = ResponseGUCs(ctx, tx); err != nil {
		return nil, err
	}
	if res.Headers, err = ParseResponseHeaders(res.RawHeaders); err != nil {
		return nil, err
	}
	if res.Status, err = ParseResponseStatus(res.RawStatus); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

// CallSQL builds the statement Call runs and its arguments.
func CallSQL(fn string, args map[string]any) (string, []any, error) {
	parts := strings.Split(fn, ".")
	if len(parts) > 2 || fn == "" {
		return "", nil, fmt.Errorf("maintx: bad function name %q", fn)
	}
	for i, p := range parts {
		if p == "" {
			return "", nil, fmt.Errorf("maintx: bad function name %q", fn)
		}
		parts[i] = quoteIdent(p)
	}
	var sb strings.Builder
	sb.WriteString("select " + strings.Join(parts, ".") + "(")
	vals := make([]any, 0, len(args))
	for i, k := range sortedKeys(args) {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%s := $%d", quoteIdent(k), i+1)
		vals = append(vals, args[k])
	}
	sb.WriteString(")")
	return sb.String(), vals, nil
}

// AsPgError returns the *pgconn.PgError in err's chain, or nil.
func AsPgError(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// RaisedResponse is a `RAISE SQLSTATE 'PGRST'` error decoded (spec §6.3):
// MESSAGE is the JSON body, DETAIL the status and headers.
type RaisedResponse struct {
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	Details    any               `json:"details"`
	Hint       any               `json:"hint"`
	Status     int               `json:"-"`
	StatusText string            `json:"-"`
	Headers    map[string]string `json:"-"`
}

// AsRaisedResponse decodes a SQLSTATE PGRST error; ok is false when err is
// not one (or its MESSAGE/DETAIL is not the expected JSON, PGRST121).
func AsRaisedResponse(err error) (*RaisedResponse, bool) {
	pe := AsPgError(err)
	if pe == nil || pe.Code != "PGRST" {
		return nil, false
	}
	var rr RaisedResponse
	if json.Unmarshal([]byte(pe.Message), &rr) != nil {
		return nil, false
	}
	var d struct {
		Status     int               `json:"status"`
		StatusText string            `json:"status_text"`
		Headers    map[string]string `json:"headers"`
	}
	if pe.Detail == "" || json.Unmarshal([]byte(pe.Detail), &d) != nil {
		return nil, false
	}
	rr.Status, rr.StatusText, rr.Headers = d.Status, d.StatusText, d.Headers
	return &rr, true
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
