// Package apierr is the error envelope of the PostgREST-compatible engine:
// the four-key JSON body, the status codes PostgREST v16.2 uses for its own
// PGRSTxxx errors and the SQLSTATE → HTTP mapping for database errors
// (Error.hs@v16.2).
package apierr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Error is one error response. Details and Hint are raw JSON values (nil
// renders as null) because the RAISE SQLSTATE 'PGRST' form may carry any
// JSON there.
type Error struct {
	Status  int
	Code    string
	Message string
	Details json.RawMessage
	Hint    json.RawMessage
	// Header holds extra response headers (WWW-Authenticate, PGRST raise
	// headers). Name order is kept as added.
	Header http.Header
	// NoProxyStatus suppresses Proxy-Status (the 416 built by the response
	// layer).
	NoProxyStatus bool
	// Reason is a custom reason phrase (PTxyz message, PGRST status_text).
	// net/http always writes the standard phrase, so it is informational.
	Reason string
	// Minimal drops details and hint from the body.
	Minimal bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// marshal encodes like aeson: no HTML escaping of <, > and &.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Str renders s as a JSON string value.
func Str(s string) json.RawMessage { return marshal(s) }

// OptStr is Str for a non-empty s and null otherwise.
func OptStr(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return Str(s)
}

// New returns a PostgREST error with string details and hint ("" = null).
func New(status int, code, message, details, hint string) *Error {
	return &Error{Status: status, Code: code, Message: message, Details: OptStr(details), Hint: OptStr(hint)}
}

type body struct {
	Code    string          `json:"code"`
	Details json.RawMessage `json:"details"`
	Hint    json.RawMessage `json:"hint"`
	Message string          `json:"message"`
}

func nullIfEmpty(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return json.RawMessage("null")
	}
	return r
}

type minimalBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Body is the JSON body: {"code","details","hint","message"}, or only
// {"code","message"} when Minimal (client-error-verbosity=minimal,
// Error.hs errorPayload).
func (e *Error) Body() []byte {
	if e.Minimal {
		return marshal(minimalBody{Code: e.Code, Message: e.Message})
	}
	return marshal(body{Code: e.Code, Details: nullIfEmpty(e.Details), Hint: nullIfEmpty(e.Hint), Message: e.Message})
}

// Write sends the error: Content-Type, Content-Length, Proxy-Status, the
// extra headers, then the body.
func (e *Error) Write(w http.ResponseWriter) {
	b := e.PrepareHeader(w.Header())
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}

// PrepareHeader adds the error's headers to h (its extra headers,
// Content-Type unless already set, Content-Length, Proxy-Status) and
// returns the body they describe.
func (e *Error) PrepareHeader(h http.Header) []byte {
	for k, vs := range e.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	b := e.Body()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if !e.NoProxyStatus {
		h.Set("Proxy-Status", "PostgREST; error="+e.Code)
	}
	return b
}

// WithHeader adds a header and returns e.
func (e *Error) WithHeader(name, value string) *Error {
	if e.Header == nil {
		e.Header = http.Header{}
	}
	e.Header.Add(name, value)
	return e
}

// ---- PostgREST's own errors used by the engine ----

// InvalidPath is 404 PGRST125.
func InvalidPath() *Error {
	return New(404, "PGRST125", "Invalid path specified in request URL", "", "")
}

// InvalidSchema is 406 PGRST106.
func InvalidSchema(requested string, exposed []string) *Error {
	return New(406, "PGRST106", "Invalid schema: "+requested, "", "Only the following schemas are exposed: "+strings.Join(exposed, ", "))
}

// RPCMethod is 405 PGRST101.
func RPCMethod(method string) *Error {
	return New(405, "PGRST101", "Cannot use the "+method+" method on RPC", "", "")
}

// UnsupportedMethod is 405 PGRST117.
func UnsupportedMethod(method string) *Error {
	return New(405, "PGRST117", "Unsupported HTTP method: "+method, "", "")
}

// InvalidBody is 400 PGRST102.
func InvalidBody(msg string) *Error { return New(400, "PGRST102", msg, "", "") }

// NotAcceptable is 406 PGRST107.
func NotAcceptable(accept string) *Error {
	return New(406, "PGRST107", "None of these media types are available: "+accept, "", "")
}

// SchemaCacheNotReady is 503 PGRST002 with Retry-After.
func SchemaCacheNotReady(retryAfter int) *Error {
	e := New(503, "PGRST002", "Could not query the database for the schema cache. Retrying.", "", "")
	return e.WithHeader("Retry-After", strconv.Itoa(retryAfter))
}

// ConnectFailure is 503 PGRST000: PostgreSQL could not be reached or
// refused the connection (hasql's ConnectionUsageError, Error.hs@v16.2);
// details are the driver's message.
func ConnectFailure(err error) *Error {
	return New(503, "PGRST000", "Database connection error. Retrying the connection.", errText(err), "")
}

// ConnectionError is 503 PGRST001 (database connection lost / refused).
func ConnectionError(err error) *Error {
	msg := "Database client error. Retrying the connection."
	return New(503, "PGRST001", msg, errText(err), "")
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// PoolTimeout is 504 PGRST003.
func PoolTimeout() *Error {
	return New(504, "PGRST003", "Timed out acquiring connection from connection pool.", "", "")
}

// GUCHeaders is 500 PGRST111.
func GUCHeaders() *Error {
	return New(500, "PGRST111", "response.headers guc must be a JSON array composed of objects with a single key and a string value", "", "")
}

// GUCStatus is 500 PGRST112.
func GUCStatus() *Error {
	return New(500, "PGRST112", "response.status guc must be a valid status code", "", "")
}

// Internal is a 500 for an engine failure that is not a database error.
func Internal(err error) *Error {
	return New(500, "PGRSTX00", "Internal server error", errText(err), "")
}

// ---- database errors ----

// FromPg maps a PostgreSQL error to the response PostgREST v16.2 sends.
// authenticated is true when the effective role differs from the anon role
// (or no anon role is configured).
func FromPg(pe *pgconn.PgError, authenticated bool) *Error {
	if pe.Code == "PGRST" {
		return fromRaisePGRST(pe)
	}
	e := &Error{Code: pe.Code, Message: pe.Message, Details: OptStr(pe.Detail), Hint: OptStr(pe.Hint)}
	e.Status = Status(pe.Code, pe.Message, authenticated)
	if strings.HasPrefix(pe.Code, "PT") {
		e.Reason = pe.Message
	}
	if e.Status == 401 {
		e.WithHeader("WWW-Authenticate", "Bearer")
	}
	return e
}

// Status is the HTTP status for a SQLSTATE (Error.hs:545-597@v16.2).
func Status(code, message string, authenticated bool) int {
	p2 := code
	if len(code) >= 2 {
		p2 = code[:2]
	}
	switch {
	case p2 == "08":
		return 503
	case p2 == "09":
		return 500
	case p2 == "0L", p2 == "0P":
		return 403
	case code == "23503", code == "23505":
		return 409
	case code == "25006":
		return 405
	case code == "21000":
		if strings.HasSuffix(message, "requires a WHERE clause") {
			return 400
		}
		return 500
	case code == "22023":
		if strings.HasPrefix(message, "role") && strings.HasSuffix(message, "does not exist") {
			return 401
		}
		return 400
	case p2 == "25":
		return 500
	case p2 == "28":
		return 403
	case p2 == "2D", p2 == "38", p2 == "39", p2 == "3B", p2 == "40":
		return 500
	case code == "53400":
		return 500
	case p2 == "53":
		return 503
	case p2 == "54", p2 == "55":
		return 500
	case code == "57P01":
		return 503
	case p2 == "57", p2 == "58", p2 == "F0", p2 == "HV":
		return 500
	case code == "P0001":
		return 400
	case p2 == "P0", p2 == "XX":
		return 500
	case code == "42883":
		if strings.HasPrefix(message, "function xmlagg(") {
			return 406
		}
		return 404
	case code == "42P01":
		return 404
	case code == "42P17":
		return 500
	case code == "42501":
		if authenticated {
			return 403
		}
		return 401
	case p2 == "PT":
		if len(code) == 5 {
			if n, err := strconv.Atoi(code[2:]); err == nil && code[2] >= '0' && code[2] <= '9' && code[3] >= '0' && code[3] <= '9' && code[4] >= '0' && code[4] <= '9' {
				return n
			}
		}
		return 500
	}
	return 400
}

const pgrstHint = `MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.`
const pgrstDetailHint = `DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'.`

// fromRaisePGRST handles RAISE SQLSTATE 'PGRST' (Error.hs PgError@v16.2;
// PostgREST docs "Raise errors with HTTP Status Codes").
func fromRaisePGRST(pe *pgconn.PgError) *Error {
	var msg struct {
		Code    *string         `json:"code"`
		Message *string         `json:"message"`
		Details json.RawMessage `json:"details"`
		Hint    json.RawMessage `json:"hint"`
	}
	bad := func(details, hint string) *Error {
		return New(500, "PGRST121", `Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error`, details, hint)
	}
	if err := json.Unmarshal([]byte(pe.Message), &msg); err != nil || msg.Code == nil || msg.Message == nil {
		return bad(fmt.Sprintf("Invalid JSON value for MESSAGE: '%s'", pe.Message), pgrstHint)
	}
	if pe.Detail == "" {
		return bad("DETAIL is missing in the RAISE statement", pgrstDetailHint)
	}
	var det struct {
		Status     *int              `json:"status"`
		StatusText *string           `json:"status_text"`
		Headers    map[string]string `json:"headers"`
	}
	if err := json.Unmarshal([]byte(pe.Detail), &det); err != nil || det.Status == nil || det.Headers == nil {
		return bad(fmt.Sprintf("Invalid JSON value for DETAIL: '%s'", pe.Detail), pgrstDetailHint)
	}
	e := &Error{Status: *det.Status, Code: *msg.Code, Message: *msg.Message, Details: msg.Details, Hint: msg.Hint}
	if string(e.Details) == "null" {
		e.Details = nil
	}
	if string(e.Hint) == "null" {
		e.Hint = nil
	}
	if det.StatusText != nil {
		e.Reason = *det.StatusText
	}
	for k, v := range det.Headers {
		e.WithHeader(k, v)
	}
	return e
}
