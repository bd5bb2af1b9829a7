// Package response is the engine's last stage, PostgREST's
// Response.hs@v16.2: from the plan, the request and what the transaction
// returned it builds the status, headers and body — Content-Range,
// Content-Location, Location, Preference-Applied, the response.status and
// response.headers overrides. It writes nothing: the server does.
package response

import (
	"strconv"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/maintx"
	"github.com/authstack/authstack/internal/postgrest/mediatype"
	"github.com/authstack/authstack/internal/postgrest/plan"
	"github.com/authstack/authstack/internal/postgrest/queryparams"
)

// Header is one response header.
type Header struct{ Name, Value string }

// Response is what the server sends.
type Response struct {
	Status  int
	Headers []Header
	Body    []byte
}

// Get returns the first value of a header ("" when absent).
func (r *Response) Get(name string) string {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Options are the configuration values and services the stage needs.
type Options struct {
	MinimalErrors bool // client-error-verbosity=minimal
	MaxRows       int  // db-max-rows (count=estimated)
	// OpenAPI builds the root document from the privileges the
	// transaction read.
	OpenAPI func(p *plan.Plan, privileges []byte) ([]byte, error)
}

// Build answers a plan (Response.hs actionResponse); rs is nil for the
// plans that need no database.
func Build(p *plan.Plan, a *apirequest.ApiRequest, rs *maintx.ResultSet, o Options) (*Response, *apierr.Error) {
	switch p.Kind {
	case plan.RelInfo, plan.RoutineInfo, plan.SchemaInfo:
		return &Response{Status: 200, Headers: []Header{{"Content-Length", "0"}, {"Access-Control-Allow-Origin", "*"},
			{"Allow", p.Allow}}}, nil
	case plan.Inspect:
		return inspect(p, a, rs, o)
	}
	if p.Explain {
		return &Response{Status: 200, Headers: append([]Header{contentLength(rs.Body)}, contentType(p.Media, a)...), Body: rs.Body}, nil
	}
	var r *Response
	switch p.Kind {
	case plan.WrappedRead:
		r = read(p, a, rs, o)
	case plan.CallRead:
		r = call(p, a, rs, o)
	default:
		r = mutate(p, a, rs)
	}
	return override(r, rs)
}

func read(p *plan.Plan, a *apirequest.ApiRequest, rs *maintx.ResultSet, o Options) *Response {
	total := tableTotal(a, rs, o.MaxRows)
	status, cr := queryparams.RangeStatus(a.TopLevelRange, rs.QueryTotal, total)
	loc := "/" + p.QI.Name
	if c := a.Query.Canonical; c != "" {
		loc += "?" + c
	}
	body := rs.Body
	switch {
	case status == 416:
		body = outOfBounds(a, total, o)
	case p.HeadersOnly:
		body = nil
	}
	h := []Header{{"Content-Range", cr}, {"Content-Location", loc}}
	if !p.HeadersOnly {
		h = append(h, contentLength(body))
	}
	h = append(h, contentType(p.Media, a)...)
	h = append(h, preferenceApplied(p, a)...)
	return &Response{Status: status, Headers: h, Body: body}
}

// tableTotal applies count=planned and count=estimated (MainTx.hs
// actionResult): the planner's estimate, or for estimated the exact count
// up to db-max-rows and the larger of both above it.
func tableTotal(a *apirequest.ApiRequest, rs *maintx.ResultSet, maxRows int) *int64 {
	switch a.Prefs.Count {
	case "planned":
		return rs.ExplainTotal
	case "estimated":
		// Haskell compares Maybe values: any total is above no max-rows.
		if rs.TableTotal != nil && (maxRows == 0 || *rs.TableTotal > int64(maxRows)) {
			if rs.ExplainTotal == nil {
				return nil
			}
			n := max(*rs.TableTotal, *rs.ExplainTotal)
			return &n
		}
	}
	return rs.TableTotal
}

func outOfBounds(a *apirequest.ApiRequest, total *int64, o Options) []byte {
	t := int64(0)
	if total != nil {
		t = *total
	}
	e := apierr.OffsetOutOfBounds(a.TopLevelRange.Offset(), t)
	e.Minimal = o.MinimalErrors
	return e.Body()
}

func call(p *plan.Plan, a *apirequest.ApiRequest, rs *maintx.ResultSet, o Options) *Response {
	total := rs.TableTotal
	status, cr := queryparams.RangeStatus(a.TopLevelRange, rs.QueryTotal, total)
	body := rs.Body
	if status == 416 {
		body = outOfBounds(a, total, o)
	}
	h := append([]Header{{"Content-Range", cr}}, preferenceApplied(p, a)...)
	if p.Proc.ReturnsVoid() {
		return &Response{Status: 204, Headers: h}
	}
	if p.HeadersOnly {
		body = nil
	} else {
		h = append(h, contentLength(body))
	}
	h = append(h, contentType(p.Media, a)...)
	return &Response{Status: status, Headers: h, Body: body}
}

func mutate(p *plan.Plan, a *apirequest.ApiRequest, rs *maintx.ResultSet) *Response {
	var total *int64
	if a.Prefs.Count == "exact" || a.Prefs.Count == "estimated" {
		total = &rs.QueryTotal
	}
	full := a.Prefs.Return == "representation"
	prefs := preferenceApplied(p, a)
	var r Response
	switch p.Mutation {
	case apirequest.MutationCreate:
		var h []Header
		if len(rs.Location) > 0 {
			h = append(h, Header{"Location", "/" + p.QI.Name + "?" + renderSimpleQuery(rs.Location)})
		}
		h = append(append(h, Header{"Content-Range", queryparams.ContentRange(1, 0, total)}), prefs...)
		r.Status = insertStatus(p, a, rs)
		if full {
			r.Body = rs.Body
			h = append(h, contentType(p.Media, a)...)
		}
		r.Headers = append([]Header{contentLength(r.Body)}, h...)
	case apirequest.MutationSingleUpsert:
		r.Status, r.Headers = 204, prefs
		if full {
			r.Status = 200
			if rs.Inserted != nil && *rs.Inserted > 0 {
				r.Status = 201
			}
			r.Body = rs.Body
			r.Headers = append(append([]Header{contentLength(r.Body)}, contentType(p.Media, a)...), prefs...)
		}
	default:
		lower, upper := int64(1), int64(0)
		if p.Mutation == apirequest.MutationUpdate {
			lower, upper = 0, rs.QueryTotal-1
		}
		r.Status, r.Headers = 204, append([]Header{{"Content-Range", queryparams.ContentRange(lower, upper, total)}}, prefs...)
		if full {
			r.Status, r.Body = 200, rs.Body
			r.Headers = append(append(r.Headers, contentLength(r.Body)), contentType(p.Media, a)...)
		}
	}
	return &r
}

// insertStatus is 201, or 200 for merge-duplicates when no row was counted
// as inserted (Response.hs isInsertIfGTZero). A plain insert reads its
// count as 0, as PostgREST decodes the ” it selects.
func insertStatus(p *plan.Plan, a *apirequest.ApiRequest, rs *maintx.ResultSet) int {
	m := p.Mutate
	ins := rs.Inserted
	if !(m.IsPut() || m.Resolution == "merge-duplicates") {
		zero := int64(0)
		ins = &zero
	}
	if ins == nil || *ins <= 0 && a.Prefs.Resolution == "merge-duplicates" {
		return 200
	}
	return 201
}

func inspect(p *plan.Plan, a *apirequest.ApiRequest, rs *maintx.ResultSet, o Options) (*Response, *apierr.Error) {
	var body []byte
	if !p.HeadersOnly {
		doc, err := o.OpenAPI(p, rs.Body)
		if err != nil {
			return nil, apierr.Internal(err)
		}
		body = doc
	}
	h := []Header{{"Content-Type", mediatype.MTOpenAPI.ContentType()}}
	if !p.HeadersOnly {
		h = append(h, contentLength(body))
	}
	if a.NegotiatedByProfile {
		h = append(h, Header{"Content-Profile", a.Schema})
	}
	return override(&Response{Status: 200, Headers: h, Body: body}, rs)
}

func contentLength(b []byte) Header { return Header{"Content-Length", strconv.Itoa(len(b))} }

// contentType is Content-Type and, when the schema was negotiated,
// Content-Profile (Response.hs contentTypeHeaders).
func contentType(m mediatype.MediaType, a *apirequest.ApiRequest) []Header {
	h := []Header{{"Content-Type", m.ContentType()}}
	if a.NegotiatedByProfile {
		h = append(h, Header{"Content-Profile", a.Schema})
	}
	return h
}

// preferenceApplied lists the preferences honoured for this plan
// (Response.hs responsePreferences, prefAppliedHeader).
func preferenceApplied(p *plan.Plan, a *apirequest.ApiRequest) []Header {
	pr := a.Prefs
	out := queryparams.Preferences{Count: pr.Count, Tx: pr.Tx, Handling: pr.Handling, Timezone: pr.Timezone, HasTimezone: pr.HasTimezone}
	if p.Kind == plan.MutateRead {
		out.Return = pr.Return
		switch p.Mutation {
		case apirequest.MutationCreate:
			if len(p.Mutate.PKCols) > 0 || a.Query.OnConflict != nil {
				out.Resolution = pr.Resolution
			}
			out.Missing = pr.Missing
		case apirequest.MutationUpdate:
			out.Missing, out.MaxAffected = pr.Missing, pr.MaxAffected
		case apirequest.MutationDelete:
			out.MaxAffected = pr.MaxAffected
		}
	}
	if p.Kind == plan.CallRead {
		out.MaxAffected = pr.MaxAffected
	}
	if v := out.AppliedHeader(); v != "" {
		return []Header{{"Preference-Applied", v}}
	}
	return nil
}

// override applies response.status and response.headers: a header the
// function set replaces PostgREST's of the same name (Response.hs
// overrideStatusHeaders).
func override(r *Response, rs *maintx.ResultSet) (*Response, *apierr.Error) {
	if rs == nil {
		return r, nil
	}
	if rs.GucStatus != nil {
		n, err := ParseGucStatus(*rs.GucStatus)
		if err != nil {
			return nil, apierr.GUCStatus()
		}
		r.Status = n
	}
	if rs.GucHeaders == nil {
		return r, nil
	}
	guc, err := ParseGucHeaders(*rs.GucHeaders)
	if err != nil {
		return nil, apierr.GUCHeaders()
	}
	set := map[string]bool{}
	for _, h := range guc {
		set[strings.ToLower(h.Name)] = true
	}
	kept := r.Headers[:0:0]
	for _, h := range r.Headers {
		if !set[strings.ToLower(h.Name)] {
			kept = append(kept, h)
		}
	}
	for _, h := range guc {
		kept = append(kept, h)
	}
	r.Headers = kept
	return r, nil
}

// renderSimpleQuery is http-types' renderSimpleQuery True without the
// leading "?": keys and values percent-encoded except unreserved
// characters.
func renderSimpleQuery(kvs [][2]string) string {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = urlEncode(kv[0]) + "=" + urlEncode(kv[1])
	}
	return strings.Join(parts, "&")
}

func urlEncode(s string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}
