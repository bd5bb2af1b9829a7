package queryparams

import (
	"fmt"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

// ToError turns a syntax error into 400 PGRST100.
func (e *QPError) ToError() *apierr.Error { return apierr.QueryParse(e.Message, e.Details) }

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

func errTooManyParams() *apierr.Error {
	return apierr.QueryParse(fmt.Sprintf("more than %d query parameters", MaxParams), "Send fewer filters or arguments.")
}

func errQueryTooLong() *apierr.Error {
	return apierr.QueryParse(fmt.Sprintf("query string longer than %d bytes", MaxQueryLength), "")
}
