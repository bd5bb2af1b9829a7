package query

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

var update = flag.Bool("update", false, "rewrite the golden SQL files")

// goldenCache has a table, a function returning its rows, a scalar
// function and a void one.
func goldenCache() *schemacache.Cache {
	sc := testCache("task", map[string]string{"id": "integer", "title": "text", "done": "boolean", "data": "jsonb", "tsv": "tsvector"},
		"id", "title", "done", "data", "tsv")
	t := sc.Tables["public"]["task"]
	t.Columns[0].PrimaryKey = true
	t.Columns[2].Default = "false"
	sc.Functions = map[string]map[string][]*schemacache.Function{"public": {
		"tasks_of": {{Schema: "public", Name: "tasks_of", Volatility: "s", ReturnsSet: true, Return: schemacache.ReturnComposite,
			ReturnTypeSchema: "public", ReturnTypeName: "task", Params: []schemacache.Param{{Name: "who", Type: "text", Required: true}}}},
		"add": {{Schema: "public", Name: "add", Volatility: "i", Return: schemacache.ReturnScalar,
			Params: []schemacache.Param{{Name: "a", Type: "integer", Required: true}, {Name: "b", Type: "integer", Required: true}}}},
		"sum_all": {{Schema: "public", Name: "sum_all", Volatility: "v", Return: schemacache.ReturnScalar,
			Params: []schemacache.Param{{Name: "vals", Type: "integer[]", Required: true, Variadic: true}}}},
		"noop": {{Schema: "public", Name: "noop", Volatility: "v", Return: schemacache.ReturnVoid}},
		"echo": {{Schema: "public", Name: "echo", Volatility: "s", Return: schemacache.ReturnScalar,
			Params: []schemacache.Param{{Name: "", Type: "json"}}}},
	}}
	return sc
}

// TestGoldenSQL renders the statements of representative requests without
// a database and compares them with testdata/golden/*.sql (go test -run
// TestGoldenSQL -update rewrites them). Their behaviour is tested against
// PostgreSQL by the engine's own tests; these pin the SQL text.
func TestGoldenSQL(t *testing.T) {
	cases := []struct {
		name, method, path, query, body string
		hdr                             http.Header
	}{
		{"read", "GET", "/task", "select=id,t:title,data->>x&done=is.false&or=(id.eq.1,title.like.a*)&order=id.desc.nullslast&limit=5&offset=10", "", nil},
		{"read_count", "GET", "/task", "select=*&id=gt.1", "", http.Header{"Prefer": {"count=exact"}, "Range": {"0-9"}}},
		{"read_fts_in", "GET", "/task", "tsv=fts(english).cat&title=plfts(simple).dog&id=in.(1,2,\"3,4\")", "", nil},
		{"read_singular_strip", "GET", "/task", "id=eq.1", "", http.Header{"Accept": {"application/vnd.pgrst.object+json;nulls=stripped"}}},
		{"insert", "POST", "/task", "", `[{"id":1,"title":"a"},{"id":2,"title":"b"}]`, http.Header{"Prefer": {"return=representation"}}},
		{"insert_headers_only", "POST", "/task", "", `{"id":1,"title":"a"}`, http.Header{"Prefer": {"return=headers-only"}}},
		{"upsert_defaults", "POST", "/task", "on_conflict=id", `{"id":1,"title":"a","done":true}`,
			http.Header{"Prefer": {"resolution=merge-duplicates,missing=default"}}},
		{"put", "PUT", "/task", "id=eq.1", `{"id":1,"title":"a"}`, nil},
		{"update", "PATCH", "/task", "id=eq.1&select=id,title", `{"title":"x"}`, http.Header{"Prefer": {"return=representation"}}},
		{"delete", "DELETE", "/task", "done=is.true", "", nil},
		{"call_setof_get", "GET", "/rpc/tasks_of", "who=alice&select=id&id=gt.1&limit=1", "", nil},
		{"call_scalar_json", "POST", "/rpc/add", "", `{"a":1,"b":2}`, nil},
		{"call_variadic", "GET", "/rpc/sum_all", "vals=1&vals=2", "", nil},
		{"call_void", "POST", "/rpc/noop", "", "", http.Header{"Prefer": {"count=exact"}}},
		{"call_single_unnamed", "POST", "/rpc/echo", "", `{"x":1}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, p, e := planRequest(goldenCache(), c.method, c.path, c.query, c.hdr, []byte(c.body))
			if e != nil {
				t.Fatalf("plan: %v", e)
			}
			mq := Build(p, Request{Schema: "public", Role: "web", Method: c.method, Path: c.path, Count: a.Prefs.Count,
				Return: a.Prefs.Return, Claims: map[string]any{"sub": "x"}}, Options{MaxRows: 100})
			got := render("txvars", mq.TxVars) + render("main", mq.Main)
			file := filepath.Join("testdata", "golden", c.name+".sql")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n%s", c.name, file, got)
			}
		})
	}
}

func render(label string, s Stmt) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s\n%s\n", label, s.SQL)
	for i, a := range s.Args {
		fmt.Fprintf(&b, "-- $%d = %#v\n", i+1, a)
	}
	return b.String()
}
