package plan

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

func taskCache() *schemacache.Cache {
	return &schemacache.Cache{Schemas: []string{"public"}, Tables: map[string]map[string]*schemacache.Table{"public": {
		"task": schemacache.NewTable("public", "task", schemacache.Column{Name: "id", Type: "integer", BaseType: "integer", PrimaryKey: true},
			schemacache.Column{Name: "title", Type: "text", BaseType: "text"}),
	}}}
}

func build(t *testing.T, sc *schemacache.Cache, method, path, rawQuery string, o Options) (*Plan, *apierr.Error) {
	t.Helper()
	r := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery}, Header: http.Header{}}
	a, e := apirequest.Parse(r, nil, apirequest.Options{Schemas: []string{"public"}})
	if e != nil {
		t.Fatalf("%s?%s: %v", path, rawQuery, e)
	}
	return Build(a, sc, o)
}

// The planner's errors come in Plan.hs readPlan's order: embed paths not
// in select (PGRST108), relationships (PGRST200), aggregates (PGRST123).
func TestReadPlanErrors(t *testing.T) {
	cases := []struct {
		cite, query, code, msg string
	}{
		{"plain read is fine", "select=id&id=eq.1&order=id", "", ""},
		{"embedding without a relationship → PGRST200", "select=*,clients(*)", "PGRST200", "Could not find a relationship between 'task' and 'clients' in the schema cache"},
		{"spread → PGRST200", "select=...clients(name)", "PGRST200", "Could not find a relationship between 'task' and 'clients' in the schema cache"},
		{"filter on a non-embedded resource → PGRST108", "clients.id=eq.1", "PGRST108", "'clients' is not an embedded resource in this request"},
		{"limit on a non-embedded resource → PGRST108", "clients.limit=1", "PGRST108", "'clients' is not an embedded resource in this request"},
		{"filter on an embedded resource → PGRST200", "select=*,clients(*)&clients.id=eq.1", "PGRST200", "Could not find a relationship between 'task' and 'clients' in the schema cache"},
		{"aggregate → PGRST123", "select=count()", "PGRST123", "Use of aggregate functions is not allowed"},
		{"aggregate on a column → PGRST123", "select=id.sum()", "PGRST123", "Use of aggregate functions is not allowed"},
	}
	for _, c := range cases {
		_, e := build(t, taskCache(), "GET", "/task", c.query, Options{})
		if c.code == "" {
			if e != nil {
				t.Errorf("%s: unexpected %v", c.cite, e)
			}
			continue
		}
		if e == nil || e.Status != 400 || e.Code != c.code || e.Message != c.msg {
			t.Errorf("%s: got %+v", c.cite, e)
		}
	}
	if _, e := build(t, taskCache(), "GET", "/task", "select=id.sum()", Options{AggregatesEnabled: true}); e != nil {
		t.Errorf("aggregates enabled: %v", e)
	}
}
