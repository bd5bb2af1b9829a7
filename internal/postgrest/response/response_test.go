package response

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/maintx"
	"github.com/authstack/authstack/internal/postgrest/plan"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

func cache() *schemacache.Cache {
	return &schemacache.Cache{Schemas: []string{"public"}, Tables: map[string]map[string]*schemacache.Table{"public": {
		"items": schemacache.NewTable("public", "items", schemacache.Column{Name: "id", Type: "integer", BaseType: "integer", PrimaryKey: true},
			schemacache.Column{Name: "name", Type: "text", BaseType: "text"}),
	}}}
}

func build(t *testing.T, method, rawQuery string, hdr http.Header, body string, rs *maintx.ResultSet) (*Response, string) {
	t.Helper()
	if hdr == nil {
		hdr = http.Header{}
	}
	r := &http.Request{Method: method, URL: &url.URL{Path: "/items", RawQuery: rawQuery}, Header: hdr}
	a, e := apirequest.Parse(r, []byte(body), apirequest.Options{Schemas: []string{"public"}})
	if e != nil {
		t.Fatal(e)
	}
	p, e := plan.Build(a, cache(), plan.Options{})
	if e != nil {
		t.Fatal(e)
	}
	resp, e := Build(p, a, rs, Options{})
	if e != nil {
		return nil, e.Code
	}
	return resp, ""
}

func i64(n int64) *int64   { return &n }
func str(s string) *string { return &s }

// RangeQuery.hs rangeStatusHeader: 200 without a count, 206 when the page
// is smaller than the count, 416 past the end (with PostgREST's error as
// the body).
func TestReadStatus(t *testing.T) {
	cases := []struct {
		query        string
		hdr          http.Header
		rows         int64
		total        *int64
		status       int
		contentRange string
	}{
		{"", nil, 3, nil, 200, "0-2/*"},
		{"", nil, 0, nil, 200, "*/*"},
		{"limit=2", http.Header{"Prefer": {"count=exact"}}, 2, i64(5), 206, "0-1/5"},
		{"offset=2", http.Header{"Prefer": {"count=exact"}}, 3, i64(5), 206, "2-4/5"},
		{"offset=9", http.Header{"Prefer": {"count=exact"}}, 0, i64(5), 416, "*/5"},
		{"", http.Header{"Range": {"0-9"}}, 4, nil, 200, "0-3/*"},
	}
	for _, c := range cases {
		r, _ := build(t, "GET", c.query, c.hdr, "", &maintx.ResultSet{QueryTotal: c.rows, TableTotal: c.total, Body: []byte("[]")})
		if r.Status != c.status || r.Get("Content-Range") != c.contentRange {
			t.Errorf("%s %v: %d %s, want %d %s", c.query, c.hdr, r.Status, r.Get("Content-Range"), c.status, c.contentRange)
		}
		if c.status == 416 && string(r.Body) == "[]" {
			t.Errorf("416 without the error body")
		}
	}
}

// Response.hs overrideStatusHeaders: response.status replaces the status,
// a response.headers header replaces PostgREST's of the same name; bad
// values are PGRST111/PGRST112.
func TestOverrides(t *testing.T) {
	rs := &maintx.ResultSet{QueryTotal: 1, Body: []byte("[]"), GucStatus: str("418"),
		GucHeaders: str(`[{"Content-Type":"text/plain"},{"Set-Cookie":"a=1"},{"Set-Cookie":"b=2"}]`)}
	r, _ := build(t, "GET", "", nil, "", rs)
	if r.Status != 418 || r.Get("Content-Type") != "text/plain" {
		t.Errorf("overrides: %d %q", r.Status, r.Get("Content-Type"))
	}
	n := 0
	for _, h := range r.Headers {
		if h.Name == "Content-Type" {
			n++
		}
		if h.Name == "Set-Cookie" {
			n += 10
		}
	}
	if n != 21 {
		t.Errorf("one Content-Type and two Set-Cookie expected: %v", r.Headers)
	}
	if _, code := build(t, "GET", "", nil, "", &maintx.ResultSet{GucHeaders: str(`{"a":"b"}`)}); code != "PGRST111" {
		t.Errorf("bad headers: %s", code)
	}
	if _, code := build(t, "GET", "", nil, "", &maintx.ResultSet{GucStatus: str("abc")}); code != "PGRST112" {
		t.Errorf("bad status: %s", code)
	}
}

// Response.hs: an insert is 201 with Location only for headers-only; a
// merge-duplicates upsert that inserted nothing is 200; Preference-Applied
// lists what applied.
func TestInsert(t *testing.T) {
	rs := &maintx.ResultSet{QueryTotal: 1, Location: [][2]string{{"id", "eq.1 2"}}}
	r, _ := build(t, "POST", "", http.Header{"Prefer": {"return=headers-only"}}, `{"id":1}`, rs)
	if r.Status != 201 || r.Get("Location") != "/items?id=eq.1%202" || r.Get("Preference-Applied") != "return=headers-only" {
		t.Errorf("headers-only: %d %q %q", r.Status, r.Get("Location"), r.Get("Preference-Applied"))
	}
	hdr := http.Header{"Prefer": {"resolution=merge-duplicates"}}
	r, _ = build(t, "POST", "", hdr, `{"id":1}`, &maintx.ResultSet{QueryTotal: 1, Inserted: i64(0)})
	if r.Status != 200 || r.Get("Preference-Applied") != "resolution=merge-duplicates" {
		t.Errorf("merge, nothing inserted: %d %q", r.Status, r.Get("Preference-Applied"))
	}
	r, _ = build(t, "POST", "", hdr, `{"id":1}`, &maintx.ResultSet{QueryTotal: 1, Inserted: i64(1)})
	if r.Status != 201 {
		t.Errorf("merge, inserted: %d", r.Status)
	}
}

func TestParseGucHeaders(t *testing.T) {
	for _, bad := range []string{`{"a":"b"}`, `[1]`, `[{"a":"b","c":"d"}]`, `[{}]`, `[{"a":1}]`, `nope`} {
		if _, err := ParseGucHeaders(bad); err != ErrBadGucHeaders {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
	h, err := ParseGucHeaders(`[]`)
	if err != nil || len(h) != 0 {
		t.Errorf("[] = %v, %v", h, err)
	}
	h, err = ParseGucHeaders(`[{"Set-Cookie":"a=1"},{"Set-Cookie":"b=2"}]`)
	if err != nil || len(h) != 2 || h[1].Value != "b=2" {
		t.Errorf("repeated names = %v, %v", h, err)
	}
	if n, err := ParseGucStatus("418abc"); n != 418 || err != nil {
		t.Errorf("418abc = %d %v", n, err)
	}
	if _, err := ParseGucStatus("abc"); err != ErrBadGucStatus {
		t.Errorf("abc: %v", err)
	}
}
