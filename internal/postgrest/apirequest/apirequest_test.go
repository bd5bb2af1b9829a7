package apirequest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/postgrest/mediatype"
)

func parse(method, path, rawQuery string, hdr map[string]string, body string) (*ApiRequest, string) {
	h := http.Header{}
	for k, v := range hdr {
		h.Set(k, v)
	}
	r := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery}, Header: h, Host: "example.test"}
	a, e := Parse(r, []byte(body), Options{Schemas: []string{"api", "auth"}})
	if e != nil {
		return nil, e.Code + " " + e.Message
	}
	return a, ""
}

// ApiRequest.hs getResource, getAction: the path and method give the
// action, or PostgREST's error.
func TestActions(t *testing.T) {
	cases := []struct {
		method, path string
		act          Action
		mut          Mutation
		err          string
	}{
		{"GET", "/items", RelationRead, 0, ""},
		{"HEAD", "/items", RelationRead, 0, ""},
		{"POST", "/items", RelationMut, MutationCreate, ""},
		{"PUT", "/items", RelationMut, MutationSingleUpsert, ""},
		{"PATCH", "/items", RelationMut, MutationUpdate, ""},
		{"DELETE", "/items", RelationMut, MutationDelete, ""},
		{"OPTIONS", "/items", RelationInfo, 0, ""},
		{"GET", "/rpc/f", Routine, 0, ""},
		{"POST", "/rpc/f", Routine, 0, ""},
		{"OPTIONS", "/rpc/f", RoutineInfo, 0, ""},
		{"GET", "/", SchemaRead, 0, ""},
		{"OPTIONS", "/", SchemaInfo, 0, ""},
		{"PATCH", "/rpc/f", 0, 0, "PGRST101 "},
		{"TRACE", "/items", 0, 0, "PGRST117 "},
		{"POST", "/", 0, 0, "PGRST117 "},
		{"GET", "/a/b/c", 0, 0, "PGRST125 "},
	}
	for _, c := range cases {
		a, err := parse(c.method, c.path, "", map[string]string{"Content-Type": "application/json"}, "{}")
		switch {
		case c.err != "":
			if !strings.HasPrefix(err, c.err) {
				t.Errorf("%s %s: error %q, want %s…", c.method, c.path, err, c.err)
			}
		case err != "":
			t.Errorf("%s %s: %s", c.method, c.path, err)
		case a.Action != c.act || a.Mutation != c.mut:
			t.Errorf("%s %s: action %d/%d, want %d/%d", c.method, c.path, a.Action, a.Mutation, c.act, c.mut)
		}
	}
}

// ApiRequest.hs getSchema: Accept-Profile for reads, Content-Profile for
// writes; an unknown one is 406 PGRST106; with several schemas the
// default counts as negotiated.
func TestProfiles(t *testing.T) {
	a, _ := parse("GET", "/items", "", map[string]string{"Accept-Profile": "auth", "Content-Profile": "api"}, "")
	if a.Schema != "auth" || !a.NegotiatedByProfile {
		t.Errorf("GET: %q %v", a.Schema, a.NegotiatedByProfile)
	}
	a, _ = parse("POST", "/items", "", map[string]string{"Accept-Profile": "api", "Content-Profile": "auth"}, "{}")
	if a.Schema != "auth" {
		t.Errorf("POST: %q", a.Schema)
	}
	a, _ = parse("GET", "/items", "", nil, "")
	if a.Schema != "api" || !a.NegotiatedByProfile {
		t.Errorf("default of several: %q %v", a.Schema, a.NegotiatedByProfile)
	}
	if _, err := parse("GET", "/items", "", map[string]string{"Accept-Profile": "other"}, ""); !strings.HasPrefix(err, "PGRST106 ") {
		t.Errorf("unknown profile: %q", err)
	}
}

// Payload.hs getPayload: the keys of JSON and form bodies, the errors, and
// which content types functions and relations take.
func TestPayloads(t *testing.T) {
	cases := []struct {
		method, path, query, ct, body string
		kind                          PayloadKind
		cols, raw, err                string
	}{
		{"POST", "/items", "", "application/json", `{"b":1,"a":2}`, ProcessedJSON, "a,b", `{"b":1,"a":2}`, ""},
		{"POST", "/items", "", "application/json", `[{"a":1,"b":2},{"b":3,"a":4}]`, ProcessedJSON, "a,b", "", ""},
		{"POST", "/items", "", "application/json", `[{"a":1},{"b":3}]`, 0, "", "", "PGRST102 All object keys must match"},
		{"POST", "/items", "", "application/json", `[1,2]`, 0, "", "", "PGRST102 All object keys must match"},
		{"POST", "/items", "", "application/json", `"scalar"`, ProcessedJSON, "", "[]", ""},
		{"POST", "/items", "", "application/json", ``, 0, "", "", "PGRST102 Empty or invalid json"},
		{"POST", "/items", "", "application/json", `{"a":1} x`, 0, "", "", "PGRST102 Empty or invalid json"},
		{"POST", "/rpc/f", "", "application/json", ``, ProcessedJSON, "", "", ""},
		{"POST", "/items", "columns=b,a,b", "application/json", `[{"x":1}]`, RawJSON, "a,b", "", ""},
		{"POST", "/items", "", "application/x-www-form-urlencoded", `a=1&b=x+y&a=2`, ProcessedJSON, "a,b", `{"a":"2","b":"x y"}`, ""},
		{"POST", "/rpc/f", "", "application/x-www-form-urlencoded", `v=1&v=2`, ProcessedURLEncoded, "v", "", ""},
		{"POST", "/rpc/f", "", "text/plain", `hello`, RawPay, "", "hello", ""},
		{"POST", "/items", "", "text/plain", `hello`, 0, "", "", "PGRST102 Content-Type not acceptable: text/plain"},
		{"POST", "/items", "", "application/xml; charset=utf-8", `<a/>`, 0, "", "", "PGRST102 Content-Type not acceptable: application/xml; charset=utf-8"},
		{"DELETE", "/items", "", "text/plain", `ignored`, 0, "", "", ""},
	}
	for _, c := range cases {
		a, err := parse(c.method, c.path, c.query, map[string]string{"Content-Type": c.ct}, c.body)
		name := c.method + " " + c.path + " " + c.body
		switch {
		case c.err != "":
			if err != c.err {
				t.Errorf("%s: error %q, want %q", name, err, c.err)
			}
		case err != "":
			t.Errorf("%s: %s", name, err)
		case c.method == "DELETE":
			if a.Payload != nil {
				t.Errorf("%s: DELETE reads no body", name)
			}
		case a.Payload.Kind != c.kind || strings.Join(a.Columns, ",") != c.cols || c.raw != "" && string(a.Payload.Raw) != c.raw:
			t.Errorf("%s: kind %d cols %v raw %s", name, a.Payload.Kind, a.Columns, a.Payload.Raw)
		}
	}
}

// ApiRequest.hs iAcceptMediaType: no Accept is */*; an empty one lists
// nothing (so nothing is acceptable); no Content-Type is JSON.
func TestMediaTypes(t *testing.T) {
	a, _ := parse("GET", "/items", "", nil, "")
	if len(a.Accept) != 1 || a.Accept[0].Kind != mediatype.Any || a.ContentType.Kind != mediatype.JSON {
		t.Errorf("defaults: %+v %+v", a.Accept, a.ContentType)
	}
	a, _ = parse("GET", "/items", "", map[string]string{"Accept": ""}, "")
	if len(a.Accept) != 0 {
		t.Errorf("empty Accept: %+v", a.Accept)
	}
}

// request.headers: names lower-cased, Cookie left out, Host put back;
// request.cookies from the Cookie header.
func TestHeadersAndCookies(t *testing.T) {
	a, _ := parse("GET", "/items", "", map[string]string{"X-Thing": "1", "Cookie": "a=1; b=2"}, "")
	if a.Headers["x-thing"] != "1" || a.Headers["host"] != "example.test" || a.Headers["cookie"] != "" {
		t.Errorf("headers: %v", a.Headers)
	}
	if a.Cookies["a"] != "1" || a.Cookies["b"] != "2" {
		t.Errorf("cookies: %v", a.Cookies)
	}
}
