package postgrest

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/maintx"
	"github.com/authstack/authstack/internal/postgrest/plan"
	"github.com/authstack/authstack/internal/postgrest/query"
	"github.com/authstack/authstack/internal/postgrest/response"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// BenchmarkStages is the engine's own CPU for BenchmarkTaskRead's request
// without the network and the database: authentication (cached), the API
// request, the plan, the SQL and the response of a 10-row result.
func BenchmarkStages(b *testing.B) {
	sc := &schemacache.Cache{Schemas: []string{"public"}, Tables: map[string]map[string]*schemacache.Table{"public": {
		"task": schemacache.NewTable("public", "task",
			schemacache.Column{Name: "id", Type: "integer", BaseType: "integer", PrimaryKey: true},
			schemacache.Column{Name: "title", Type: "text", BaseType: "text"},
			schemacache.Column{Name: "done", Type: "boolean", BaseType: "boolean"},
			schemacache.Column{Name: "owner", Type: "text", BaseType: "text"}),
	}}}
	cfg, err := LoadConfig(func(k string) (string, bool) {
		v, ok := map[string]string{"PGRST_JWT_SECRET": testSecret, "PGRST_DB_ANON_ROLE": "anon"}[k]
		return v, ok
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	s := New(cfg, nil)
	tok := tok(b, map[string]any{"role": "basic_subscriber", "sub": "alice", "exp": time.Now().Unix() + 3600})
	body := []byte(`[{"id":1,"title":"a","done":false,"owner":"alice"}]`)
	rs := &maintx.ResultSet{QueryTotal: 10, Body: body}
	r := &http.Request{Method: "GET", URL: &url.URL{Path: "/task", RawQuery: "select=*&limit=10"}, Host: "127.0.0.1",
		Header: http.Header{"Authorization": {"Bearer " + tok}, "Accept": {"*/*"}, "User-Agent": {"Go-http-client/1.1"},
			"Accept-Encoding": {"gzip"}}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, e := s.authn().Authenticate(r.Header)
		if e != nil {
			b.Fatal(e)
		}
		a, e := apirequest.Parse(r, nil, cfg.apiRequestOptions())
		if e != nil {
			b.Fatal(e)
		}
		p, e := plan.Build(a, sc, cfg.planOptions())
		if e != nil {
			b.Fatal(e)
		}
		mq := query.Build(p, query.Request{Schema: a.Schema, ExtraSearchPath: cfg.DBExtraSearchPath, Role: res.Role, Claims: res.Claims,
			Method: a.Method, Path: a.Path, Headers: a.Headers, Cookies: a.Cookies}, query.Options{})
		if mq.Main.SQL == "" {
			b.Fatal("no SQL")
		}
		if _, e := response.Build(p, a, rs, response.Options{}); e != nil {
			b.Fatal(e)
		}
	}
}
