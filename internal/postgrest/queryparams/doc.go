// Package queryparams implements PostgREST v16.2's query-string language
// and the request headers that go with it (ApiRequest/QueryParams.hs,
// ApiRequest/Preferences.hs, RangeQuery.hs), for the engine's first stage:
//
//   - Parse(rawQuery, ParseOptions{RPC, Method, RangeHeader}) parses select=,
//     filters (col=[not.]op.value), and=/or= logic trees, order=, limit/offset,
//     columns=, on_conflict= and, for GET/HEAD /rpc calls, function arguments
//     (parameters without an operator). It also computes the top-level range
//     from limit/offset and the Range header (GET only). Errors are
//     *apierr.Error: 400 PGRST100 with PostgREST's exact Parsec message and
//     details (the grammar runs on a small Parsec-compatible combinator
//     engine, parsec.go), 416 PGRST103, 400 PGRST114.
//   - ParsePrefer / Preferences.AppliedHeader / Preferences.StrictError for
//     the Prefer and Preference-Applied headers (PGRST122).
//   - RangeStatus / ContentRange for Content-Range and the 200/206/416 rule.
//
// It renders no SQL: the plan resolves what it parsed and package query
// renders it.
package queryparams
