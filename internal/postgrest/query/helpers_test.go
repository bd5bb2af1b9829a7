package query

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/plan"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testCache is a schema cache with one table of the public schema; types
// maps its columns to their types (json/jsonb and tsvector decide how
// JSON paths and full-text filters render), order lists them.
func testCache(table string, types map[string]string, order ...string) *schemacache.Cache {
	if len(order) == 0 {
		for k := range types {
			order = append(order, k)
		}
	}
	var cols []schemacache.Column
	for _, name := range order {
		cols = append(cols, schemacache.Column{Name: name, Type: types[name], BaseType: types[name]})
	}
	return &schemacache.Cache{Schemas: []string{"public"},
		Tables: map[string]map[string]*schemacache.Table{"public": {table: schemacache.NewTable("public", table, cols...)}}}
}

// planRequest runs a request through the API request and plan stages.
func planRequest(sc *schemacache.Cache, method, path, rawQuery string, hdr http.Header, body []byte) (*apirequest.ApiRequest, *plan.Plan, *apierr.Error) {
	if hdr == nil {
		hdr = http.Header{}
	}
	r := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery}, Header: hdr, Host: "localhost"}
	a, e := apirequest.Parse(r, body, apirequest.Options{Schemas: []string{"public"}})
	if e != nil {
		return nil, nil, e
	}
	p, e := plan.Build(a, sc, plan.Options{})
	return a, p, e
}

// readSQL renders GET /<table>?<rawQuery> as its read query, wrapped to
// return the rows as one JSON array built by agg (default json_agg(_t)).
func readSQL(sc *schemacache.Cache, table, rawQuery, agg string) (string, []any, error) {
	_, p, e := planRequest(sc, "GET", "/"+table, rawQuery, nil, nil)
	if e != nil {
		return "", nil, e
	}
	sql, args := ReadPlanToQuery(p.Read).Render()
	if agg == "" {
		agg = "json_agg(_t)"
	}
	return "SELECT coalesce(" + agg + ", '[]')::text FROM (" + sql + ") _t", args, nil
}
