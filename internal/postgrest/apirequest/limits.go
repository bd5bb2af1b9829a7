package apirequest

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

// Limits of the request (authstack's own: PostgREST v16.2 has none and
// relies on Warp; docs/postgrest.md "Limits"). Each is answered before any
// parsing or database work, with PostgREST's error body shape.
const (
	// DefaultMaxBodySize is PGRST_SERVER_MAX_BODY_SIZE's default (1 MiB).
	DefaultMaxBodySize = 1 << 20
	// MaxURIBytes bounds the request target (path and query string): 414.
	MaxURIBytes = 16 << 10
	// MaxHeaderBytes bounds the request line plus all headers: 431.
	MaxHeaderBytes = 32 << 10
	// MaxBodyDepth bounds the nesting of JSON bodies (encoding/json alone
	// allows 10000 levels; PostgreSQL's JSON functions recurse on them).
	MaxBodyDepth = 64
)

// CheckSize applies the URI, header and declared body limits.
func CheckSize(r *http.Request, maxBody int) *apierr.Error {
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	if len(uri) > MaxURIBytes {
		return apierr.URITooLong(MaxURIBytes)
	}
	size := len(r.Method) + len(uri) + len(r.Proto) + len(r.Host) + 4
	for k, vs := range r.Header {
		for _, v := range vs {
			size += len(k) + len(v) + 4 // ": " and CRLF
		}
	}
	if size > MaxHeaderBytes {
		return apierr.HeadersTooLarge(MaxHeaderBytes)
	}
	if r.ContentLength > int64(maxBody) {
		return apierr.BodyTooLarge(maxBody)
	}
	return nil
}

// ReadBody reads the whole body, never buffering more than limit bytes
// (the server also wraps it in http.MaxBytesReader).
func ReadBody(r *http.Request, limit int) ([]byte, *apierr.Error) {
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= int64(limit) {
		buf.Grow(int(n) + 1) // +1: ReadFrom needs room to see EOF without growing
	}
	_, err := buf.ReadFrom(io.LimitReader(r.Body, int64(limit)+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || buf.Len() > limit:
		return nil, apierr.BodyTooLarge(limit)
	case err != nil:
		return nil, apierr.InvalidBody(errInvalidJSON)
	}
	return buf.Bytes(), nil
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
