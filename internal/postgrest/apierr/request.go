package apierr

import (
	"fmt"
	"strconv"
	"strings"
)

// Errors of the request parser and planner (ApiRequest.hs, Plan.hs,
// RangeQuery.hs, Error.hs@v16.2).

// QueryParse is 400 PGRST100: the query string does not parse.
func QueryParse(message, details string) *Error {
	return New(400, "PGRST100", message, details, "")
}

// NegativeLimit is 416 PGRST103 for limit=-n.
func NegativeLimit() *Error {
	return New(416, "PGRST103", "Requested range not satisfiable", "Limit should be greater than or equal to zero.", "")
}

// LowerGTUpper is 416 PGRST103 for a Range header whose bounds cross.
func LowerGTUpper() *Error {
	return New(416, "PGRST103", "Requested range not satisfiable",
		"The lower boundary must be lower than or equal to the upper boundary in the Range header.", "")
}

// OffsetOutOfBounds is the 416 PGRST103 given when an exact count shows
// the offset is past the end (RangeQuery.hs rangeStatus). It carries
// Content-Range */total and no Proxy-Status, as PostgREST's response layer
// builds it (Response.hs@v16.2).
func OffsetOutOfBounds(offset, total int64) *Error {
	e := New(416, "PGRST103", "Requested range not satisfiable",
		fmt.Sprintf("An offset of %d was requested, but there are only %d rows.", offset, total), "")
	e.NoProxyStatus = true
	return e.WithHeader("Content-Range", fmt.Sprintf("*/%d", total))
}

// PutLimit is 400 PGRST114 for limit/offset on PUT.
func PutLimit() *Error {
	return New(400, "PGRST114", "limit/offset querystring parameters are not allowed for PUT", "", "")
}

// PutMatchingPK is 405 PGRST105: PUT filters must be the primary key.
func PutMatchingPK() *Error {
	return New(405, "PGRST105", "Filters must include all and only primary key columns with 'eq' operators", "", "")
}

// PutPKMismatch is 400 PGRST115 (MainTx.hs failPut).
func PutPKMismatch() *Error {
	return New(400, "PGRST115", "Payload values do not match URL in primary key column(s)", "", "")
}

// NoRelationship is 400 PGRST200; embedHint is the !hint of the embed,
// suggestion the "Perhaps you meant …" hint ("" = null).
func NoRelationship(parent, child, embedHint, schema, suggestion string) *Error {
	d := "Searched for a foreign key relationship between '" + parent + "' and '" + child
	if embedHint != "" {
		d += "' using the hint '" + embedHint
	}
	d += "' in the schema '" + schema + "', but no matches were found."
	return New(400, "PGRST200", "Could not find a relationship between '"+parent+"' and '"+child+"' in the schema cache", d, suggestion)
}

// RelCandidate is one relationship listed by PGRST201 (Error.hs
// compressedRel).
type RelCandidate struct {
	Cardinality  string `json:"cardinality"`
	Embedding    string `json:"embedding"`
	Relationship string `json:"relationship"`
}

// AmbiguousRelationship is 300 PGRST201: several relationships match;
// hints are the embeds that would pick each ("target!fk").
func AmbiguousRelationship(parent, child string, rels []RelCandidate, hints []string) *Error {
	e := New(300, "PGRST201", "Could not embed because more than one relationship was found for '"+parent+"' and '"+child+"'", "",
		"Try changing '"+child+"' to one of the following: "+strings.Join(hints, ", ")+". Find the desired relationship in the 'details' key.")
	e.Details = marshal(rels)
	return e
}

// NotEmbedded is 400 PGRST108 for filters/order/limits on an embed path
// that is not in select.
func NotEmbedded(resource string) *Error {
	return New(400, "PGRST108", "'"+resource+"' is not an embedded resource in this request", "",
		"Verify that '"+resource+"' is included in the 'select' query parameter.")
}

// NotEmbeddedLegacy is PGRST108 for an aliased embed referenced by its
// relation name (without url-use-legacy-target-names).
func NotEmbeddedLegacy(resource, name, alias string) *Error {
	return New(400, "PGRST108", "'"+resource+"' is not an embedded resource in this request",
		"Target names are not allowed in filters if they have an alias",
		"Change '"+name+"' to '"+alias+"' in filters, orders or limits.")
}

// RelatedOrderNotToOne is 400 PGRST118: order=rel(col) needs a to-one
// embed.
func RelatedOrderNotToOne(origin, target string) *Error {
	return New(400, "PGRST118", "A related order on '"+target+"' is not possible",
		"'"+origin+"' and '"+target+"' do not form a many-to-one or one-to-one relationship", "")
}

// NotImplemented is 400 PGRST127.
func NotImplemented(details string) *Error {
	return New(400, "PGRST127", "Feature not implemented", details, "")
}

// AggregatesNotAllowed is 400 PGRST123 (db-aggregates-enabled is false).
func AggregatesNotAllowed() *Error {
	return New(400, "PGRST123", "Use of aggregate functions is not allowed", "", "")
}

// InvalidPreferences is 400 PGRST122 (Prefer: handling=strict with
// unrecognised preferences).
func InvalidPreferences(invalid string) *Error {
	return New(400, "PGRST122", "Invalid preferences given with handling=strict", "Invalid preferences: "+invalid, "")
}

// NotSingular is 406 PGRST116 (application/vnd.pgrst.object+json with a
// row count other than one).
func NotSingular(rows int64) *Error {
	return New(406, "PGRST116", "Cannot coerce the result to a single JSON object", fmt.Sprintf("The result contains %d rows", rows), "")
}

// MaxAffectedExceeded is 400 PGRST124 (MainTx.hs failExceedsMaxAffectedPref).
func MaxAffectedExceeded(rows int64) *Error {
	return New(400, "PGRST124", "Query result exceeds max-affected preference constraint", fmt.Sprintf("The query affects %d rows", rows), "")
}

// MaxAffectedNotSetof is 400 PGRST128.
func MaxAffectedNotSetof() *Error {
	return New(400, "PGRST128", "Function must return SETOF or TABLE when max-affected preference is used with handling=strict", "", "")
}

// ColumnNotFound is 400 PGRST204.
func ColumnNotFound(column, table string) *Error {
	return New(400, "PGRST204", "Could not find the '"+column+"' column of '"+table+"' in the schema cache", "", "")
}

// TableNotFound is 404 PGRST205; hint names the closest table ("" = none).
func TableNotFound(schema, name, hint string) *Error {
	return New(404, "PGRST205", "Could not find the table '"+schema+"."+name+"' in the schema cache", "", hint)
}

// AmbiguousFunction is 300 PGRST203.
func AmbiguousFunction(candidates string) *Error {
	return New(300, "PGRST203", "Could not choose the best candidate function between: "+candidates, "",
		"Try renaming the parameters or the function itself in the database so function overloading can be resolved")
}

// NoFunction is 404 PGRST202.
func NoFunction(message, details, hint string) *Error {
	return New(404, "PGRST202", message, details, hint)
}

// RootDisabled is 404 PGRST126 (openapi-mode=disabled).
func RootDisabled() *Error { return New(404, "PGRST126", "Root endpoint metadata is disabled", "", "") }

// Limits of this engine (authstack's own, docs/postgrest.md "Limits";
// PostgREST v16.2 has none of its own): the X in the codes marks them as
// not PostgREST's.

// BodyTooLarge is 413 PGRSTX01.
func BodyTooLarge(limit int) *Error {
	return New(413, "PGRSTX01", "Request body is larger than the limit of "+strconv.Itoa(limit)+" bytes", "",
		"Send a smaller body; the limit is the engine setting PGRST_SERVER_MAX_BODY_SIZE.")
}

// URITooLong is 414 PGRSTX02.
func URITooLong(limit int) *Error {
	return New(414, "PGRSTX02", "Request URI is longer than the limit of "+strconv.Itoa(limit)+" bytes", "", "")
}

// HeadersTooLarge is 431 PGRSTX03.
func HeadersTooLarge(limit int) *Error {
	return New(431, "PGRSTX03", "Request headers are larger than the limit of "+strconv.Itoa(limit)+" bytes", "", "")
}

// BodyTooDeep is 400 PGRST102 for JSON nested deeper than limit.
func BodyTooDeep(limit int) *Error {
	return InvalidBody("JSON body nesting deeper than " + strconv.Itoa(limit) + " levels")
}

// Panic is the 500 PGRSTX00 of a request whose handler panicked.
func Panic() *Error { return New(500, "PGRSTX00", "Internal server error", "", "") }
