// Package dbcall calls a database function in a transaction set up as
// the engine sets up a request's, without HTTP, for tests of the SQL that
// runs behind it (internal/authdb). The statements come from the engine's
// own stages (query.TxVars, query.PreRequest, maintx.BeginSQL), so what a
// function sees here is what it sees behind the engine (MainTx.hs mainTx
// at v16.2; docs/postgrest.md "How a request is served"):
//
//  1. BEGIN ISOLATION LEVEL <lvl> READ ONLY|READ WRITE
//  2. the settings: search_path, the role's own settings, role,
//     request.jwt.claims, request.method, request.path, request.headers,
//     request.cookies, timezone, app.settings.*
//  3. the optional pre-request function
//  4. the main statement
//  5. response.headers and response.status read back
//  6. COMMIT; any error rolls back, which also drops response.*.
//
// Unlike the engine, the statements go one by one (Begin hands the open
// transaction to the caller), which lets a test hold a transaction open
// to race another one.
package dbcall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/maintx"
	"github.com/authstack/authstack/internal/postgrest/query"
	"github.com/authstack/authstack/internal/postgrest/response"
)

// Beginner is what Begin needs: *pgx.Conn, *pgxpool.Conn and *pgxpool.Pool
// all satisfy it.
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Request describes one request as far as the database sees it.
type Request struct {
	// Schema is the selected schema (Accept-Profile/Content-Profile). Required.
	Schema string
	// ExtraSearchPath follows Schema in search_path (db-extra-search-path).
	// nil means ["public"], the engine's default; an empty non-nil slice none.
	ExtraSearchPath []string
	// Role is the effective role (the JWT's role claim, or the anon role). Required.
	Role string
	// Claims are the verified JWT claims (nil for anonymous); the role
	// claim is always Role, as in PostgREST v16.
	Claims map[string]any
	// Method and Path are request.method and request.path.
	Method, Path string
	// Headers become request.headers and, unless Cookies is set, request.cookies.
	Headers http.Header
	// Cookies, when not nil, are request.cookies instead of Headers' Cookie.
	Cookies map[string]string
	// Timezone, when not empty, sets the timezone (Prefer: timezone=…).
	Timezone string
	// AppSettings become app.settings.<name>.
	AppSettings map[string]string
	// RoleSettings are the role's own settings (ALTER ROLE … SET); its
	// default_transaction_isolation selects the BEGIN level instead.
	RoleSettings map[string]string
	// PreRequest is db-pre-request, e.g. "auth.check_session"; "" for none.
	PreRequest string
	// ReadOnly selects READ ONLY (GET/HEAD, STABLE/IMMUTABLE functions).
	ReadOnly bool
	// Isolation is a function's SET default_transaction_isolation; ""
	// means the role's setting, else read committed.
	Isolation string
}

// statements renders BEGIN, the settings and the pre-request call.
func (r Request) statements() (begin string, vars query.Stmt, pre *query.Stmt, err error) {
	if r.Schema == "" || r.Role == "" {
		return "", vars, nil, errors.New("dbcall: Request needs a Schema and a Role")
	}
	roleSettings, iso := query.RoleSettings(r.RoleSettings)
	if r.Isolation != "" {
		iso = r.Isolation
	}
	if up := strings.ToUpper(strings.TrimSpace(iso)); up != "" && !maintx.BeginIsolations[up] {
		return "", vars, nil, fmt.Errorf("dbcall: unknown isolation level %q", iso)
	}
	extra := r.ExtraSearchPath
	if extra == nil {
		extra = []string{"public"}
	}
	cookies := r.Cookies
	if cookies == nil {
		cookies = apirequest.CookieSettings(r.Headers)
	}
	vars = query.TxVars(query.Request{
		Schema: r.Schema, ExtraSearchPath: extra, Role: r.Role, RoleSettings: roleSettings, Claims: r.Claims,
		Method: r.Method, Path: r.Path, Headers: apirequest.HeaderSettings(&http.Request{Header: r.Headers}),
		Cookies: cookies, Timezone: r.Timezone, AppSettings: query.AppSettings(r.AppSettings),
	}, nil).Stmt()
	if r.PreRequest != "" {
		st := query.PreRequest(r.PreRequest)
		pre = &st
	}
	return maintx.BeginSQL(r.ReadOnly, iso), vars, pre, nil
}

// Begin opens the request's transaction on conn, applies the settings and
// runs the pre-request function. The caller runs its statement on the
// returned transaction, then ResponseGUCs, then Commit (or Rollback).
func Begin(ctx context.Context, conn Beginner, r Request) (pgx.Tx, error) {
	begin, vars, pre, err := r.statements()
	if err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{BeginQuery: begin})
	if err != nil {
		return nil, err
	}
	for _, st := range []*query.Stmt{&vars, pre} {
		if st == nil {
			continue
		}
		if _, err := tx.Exec(ctx, st.SQL, st.Args...); err != nil {
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

// AsPgError returns the *pgconn.PgError in err's chain, or nil.
func AsPgError(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// RaisedResponse is a `RAISE SQLSTATE 'PGRST'` error decoded (PostgREST's
// "Raise errors with HTTP Status Codes"): MESSAGE is the JSON body, DETAIL
// the status and headers.
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

// parseGUCs fills the result's headers and status from the raw values.
func (res *Result) parseGUCs() error {
	var err error
	if res.Headers, err = response.ParseGucHeaders(res.RawHeaders); err != nil {
		return err
	}
	res.Status, err = response.ParseGucStatus(res.RawStatus)
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
