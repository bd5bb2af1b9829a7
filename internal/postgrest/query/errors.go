package query

import "fmt"

// Error is a PostgREST error produced by this package: the HTTP status and
// the four-key body (Details and Hint are nil for JSON null).
type Error struct {
	Status  int     `json:"-"`
	Code    string  `json:"code"`
	Details *string `json:"details"`
	Hint    *string `json:"hint"`
	Message string  `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func strp(s string) *string { return &s }

// ParseError turns a syntax error into 400 PGRST100.
func (e *QPError) ToError() *Error {
	return &Error{Status: 400, Code: "PGRST100", Message: e.Message, Details: strp(e.Details)}
}

// Range errors (416 PGRST103), with PostgREST's details texts.
func errNegativeLimit() *Error {
	return &Error{Status: 416, Code: "PGRST103", Message: "Requested range not satisfiable",
		Details: strp("Limit should be greater than or equal to zero.")}
}

func errLowerGTUpper() *Error {
	return &Error{Status: 416, Code: "PGRST103", Message: "Requested range not satisfiable",
		Details: strp("The lower boundary must be lower than or equal to the upper boundary in the Range header.")}
}

// ErrOffsetOutOfBounds is the 416 given when an exact count shows the offset
// is past the end: "An offset of <o> was requested, but there are only <n> rows."
func ErrOffsetOutOfBounds(offset, total int64) *Error {
	return &Error{Status: 416, Code: "PGRST103", Message: "Requested range not satisfiable",
		Details: strp(fmt.Sprintf("An offset of %d was requested, but there are only %d rows.", offset, total))}
}

// ErrPutLimit is PGRST114 for limit/offset on PUT.
func ErrPutLimit() *Error {
	return &Error{Status: 400, Code: "PGRST114", Message: "limit/offset querystring parameters are not allowed for PUT"}
}

// ErrNoRelationship is 400 PGRST200: embedding is not supported, so every
// embed is answered like an embed without a relationship.
func ErrNoRelationship(parent, child, hint, schema string) *Error {
	d := "Searched for a foreign key relationship between '" + parent + "' and '" + child
	if hint != "" {
		d += "' using the hint '" + hint
	}
	d += "' in the schema '" + schema + "', but no matches were found."
	return &Error{Status: 400, Code: "PGRST200",
		Message: "Could not find a relationship between '" + parent + "' and '" + child + "' in the schema cache",
		Details: strp(d)}
}

// ErrNotEmbedded is 400 PGRST108 for filters/order/limits on an embed path
// that is not in select.
func ErrNotEmbedded(resource string) *Error {
	return &Error{Status: 400, Code: "PGRST108",
		Message: "'" + resource + "' is not an embedded resource in this request",
		Hint:    strp("Verify that '" + resource + "' is included in the 'select' query parameter.")}
}

// ErrAggregatesNotAllowed is 400 PGRST123 (db-aggregates-enabled is false).
func ErrAggregatesNotAllowed() *Error {
	return &Error{Status: 400, Code: "PGRST123", Message: "Use of aggregate functions is not allowed"}
}

// Limits of the query-string grammar (authstack's own: PostgREST v16.2 has
// none, its Parsec parsers recurse as deep as the input nests). Exceeding
// one is 400 PGRST100 with a message naming the limit.
const (
	// MaxDepth bounds the nesting of and/or/not trees and of select lists.
	MaxDepth = 64
	// MaxJSONPath bounds the -> / ->> operators of one field.
	MaxJSONPath = 64
	// MaxParams bounds the number of query parameters.
	MaxParams = 1000
	// MaxQueryLength bounds the raw query string in bytes (the HTTP server
	// already refuses longer URIs with 414).
	MaxQueryLength = 16 << 10
)

func errTooManyParams() *Error {
	return &Error{Status: 400, Code: "PGRST100", Message: fmt.Sprintf("more than %d query parameters", MaxParams),
		Details: strp("Send fewer filters or arguments.")}
}

func errQueryTooLong() *Error {
	return &Error{Status: 400, Code: "PGRST100", Message: fmt.Sprintf("query string longer than %d bytes", MaxQueryLength)}
}
