package postgrest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

// Request size limits (authstack extensions: PostgREST v16.2 has none and
// relies on Warp). Each is answered before any parsing or database work,
// with PostgREST's error body shape and an engine-specific PGRSTX code.
const (
	// DefaultMaxBodySize is PGRST_SERVER_MAX_BODY_SIZE's default (1 MiB).
	DefaultMaxBodySize = 1 << 20
	// MaxURIBytes bounds the request target (path and query string): 414.
	MaxURIBytes = 16 << 10
	// MaxHeaderBytes bounds the request line plus all headers: 431.
	MaxHeaderBytes = 32 << 10
	// httpMaxHeaderBytes is net/http's own cap, above ours so that the
	// handler answers first with a JSON body; beyond it net/http sends its
	// plain-text 431 without reading further.
	httpMaxHeaderBytes = 2 * MaxHeaderBytes
	// MaxBodyDepth bounds the nesting of JSON bodies (encoding/json alone
	// allows 10000 levels; PostgreSQL's JSON functions recurse on them).
	MaxBodyDepth = 64
)

func errBodyTooDeep() *apierr.Error {
	return apierr.InvalidBody("JSON body nesting deeper than " + strconv.Itoa(MaxBodyDepth) + " levels")
}

// jsonDeeperThan reports, in one pass, whether b nests arrays/objects more
// than max levels deep (strings are skipped; b need not be valid JSON).
func jsonDeeperThan(b []byte, max int) bool {
	depth, inStr, esc := 0, false, false
	for _, c := range b {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '[' || c == '{':
			if depth++; depth > max {
				return true
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return false
}

func errBodyTooLarge(limit int) *apierr.Error {
	return apierr.New(413, "PGRSTX01", "Request body is larger than the limit of "+strconv.Itoa(limit)+" bytes", "",
		"Send a smaller body; the limit is the engine setting PGRST_SERVER_MAX_BODY_SIZE.")
}

func errURITooLong() *apierr.Error {
	return apierr.New(414, "PGRSTX02", "Request URI is longer than the limit of "+strconv.Itoa(MaxURIBytes)+" bytes", "", "")
}

func errHeadersTooLarge() *apierr.Error {
	return apierr.New(431, "PGRSTX03", "Request headers are larger than the limit of "+strconv.Itoa(MaxHeaderBytes)+" bytes", "", "")
}

// checkRequestSize applies the URI, header and declared body limits.
func checkRequestSize(r *http.Request, maxBody int) *apierr.Error {
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	if len(uri) > MaxURIBytes {
		return errURITooLong()
	}
	size := len(r.Method) + len(uri) + len(r.Proto) + len(r.Host) + 4
	for k, vs := range r.Header {
		for _, v := range vs {
			size += len(k) + len(v) + 4 // ": " and CRLF
		}
	}
	if size > MaxHeaderBytes {
		return errHeadersTooLarge()
	}
	if r.ContentLength > int64(maxBody) {
		return errBodyTooLarge(maxBody)
	}
	return nil
}

// readLimited reads the whole body, never buffering more than limit bytes
// (the body is wrapped in http.MaxBytesReader by ServeHTTP as well).
func readLimited(r *http.Request, limit int) ([]byte, *apierr.Error) {
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= int64(limit) {
		buf.Grow(int(n) + 1) // +1: ReadFrom needs room to see EOF without growing
	}
	_, err := buf.ReadFrom(io.LimitReader(r.Body, int64(limit)+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || buf.Len() > limit:
		return nil, errBodyTooLarge(limit)
	case err != nil:
		return nil, apierr.InvalidBody("Empty or invalid json")
	}
	return buf.Bytes(), nil
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
	s.writeError(rec, r, apierr.New(500, "PGRSTX00", "Internal server error", "", ""))
	s.accessLog(r, rec, "")
}
