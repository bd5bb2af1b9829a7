// Package query implements PostgREST v16.2's query-string language and the
// request headers that go with it, for the PostgREST-compatible engine:
//
//   - Parse(rawQuery, ParseOptions{RPC, Method, RangeHeader}) parses select=,
//     filters (col=[not.]op.value), and=/or= logic trees, order=, limit/offset,
//     columns=, on_conflict= and, for GET/HEAD /rpc calls, function arguments
//     (parameters without an operator). It also computes the top-level range
//     from limit/offset and the Range header (GET only). Errors are *apierr.Error:
//     400 PGRST100 with PostgREST's exact Parsec message/details (the grammar
//     runs on a small Parsec-compatible combinator engine, parsec.go),
//     416 PGRST103, 400 PGRST114.
//   - (*Params).CheckUnsupported(parent, schema) gives the PostgREST error for
//     what this engine does not implement: embedding/spread (400 PGRST200),
//     embed paths not in select (400 PGRST108), aggregates (400 PGRST123).
//   - ParsePrefer / Preferences.AppliedHeader / Preferences.StrictError for
//     the Prefer and Preference-Applied headers (PGRST122).
//   - RangeStatus / ContentRange / apierr.OffsetOutOfBounds for Content-Range and
//     the 200/206/416 rule.
//   - SQL rendering (sql.go): (*Params).SelectSQL, WhereSQL, OrderSQL,
//     LimitOffsetSQL with a Builder that collects bind arguments. Values are
//     bound as text parameters that PostgreSQL types from context, like
//     PostgREST's "unknown"-typed parameters.
package queryparams
