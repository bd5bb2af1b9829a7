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
	// MaxEmbeds bounds the resources a select embeds or spreads, at every
	// level together. PostgreSQL pulls to-one embeds up into one join whose
	// planning grows about with the cube of their number: 800 of them in a
	// 16 KiB query string made one backend allocate 24 GB until the OOM
	// killer ended it, and with it every connection of the cluster; at 64
	// the worst shape measured plans in about 60 ms and 120 MB
	// (docs/postgrest.md, "Limits").
	MaxEmbeds = 64
	// MaxEmbedDepth bounds how deep embedded resources nest. A cycle of
	// relationships (films → director → films …) multiplies the rows by
	// the fan-out at every to-many step: on the film fixture, 5 films and
	// 3 directors, embedding them 48 deep grew one backend to 10 GB before
	// a 30 s statement timeout; 16 deep takes 90 MB and 0.1 s
	// (docs/postgrest.md, "Limits").
	MaxEmbedDepth = 16
	// MaxParams bounds the number of query parameters.
	MaxParams = 1000
	// MaxQueryLength bounds the raw query string in bytes (the HTTP server
	// already refuses longer URIs with 414).
	MaxQueryLength = 16 << 10
)

func errTooManyParams() *apierr.Error {
	return apierr.QueryParse(fmt.Sprintf("more than %d query parameters", MaxParams), "Send fewer filters or arguments.")
}

func errTooManyEmbeds() *apierr.Error {
	return apierr.QueryParse(fmt.Sprintf("more than %d embedded resources in select", MaxEmbeds),
		"Embed fewer resources in one request, or read them with separate requests.")
}

func errEmbedsTooDeep() *apierr.Error {
	return apierr.QueryParse(fmt.Sprintf("embedding deeper than %d levels in select", MaxEmbedDepth),
		"Embed less deeply in one request, or read the deeper resources with separate requests.")
}

// embedDepth is how deep the embedded and spread resources of a select
// nest (0 without any).
func embedDepth(items []SelectItem) int {
	d := 0
	for _, it := range items {
		if it.Kind == SelectRelation || it.Kind == SelectSpread {
			d = max(d, 1+embedDepth(it.Children))
		}
	}
	return d
}

// countEmbeds counts the embedded and spread resources of a select, at
// every level.
func countEmbeds(items []SelectItem) int {
	n := 0
	for _, it := range items {
		if it.Kind == SelectRelation || it.Kind == SelectSpread {
			n += 1 + countEmbeds(it.Children)
		}
	}
	return n
}

func errQueryTooLong() *apierr.Error {
	return apierr.QueryParse(fmt.Sprintf("query string longer than %d bytes", MaxQueryLength), "")
}
