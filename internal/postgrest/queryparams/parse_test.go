package queryparams

import (
	"errors"
	"reflect"
	"testing"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

// Syntax errors: message and details exactly as PostgREST v16.2 gives them.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		cite, query string
		opts        ParseOptions
		msg, det    string
	}{
		{"QueryParams.hs parse doctest", "a.b=noop.0", ParseOptions{Method: "GET"},
			`"failed to parse filter (noop.0)" (line 1, column 1)`, `unexpected "o" expecting "not" or operator (eq, gt, ...)`},
		{"T:Query/QuerySpec.hs:1271", "id=0", ParseOptions{Method: "GET"},
			`"failed to parse filter (0)" (line 1, column 1)`, `unexpected "0" expecting "not" or operator (eq, gt, ...)`},
		{"QueryParams.hs pRequestFilter doctest", "id=val", ParseOptions{Method: "GET"},
			`"failed to parse filter (val)" (line 1, column 1)`, `unexpected "v" expecting "not" or operator (eq, gt, ...)`},
		{"T:Query/QuerySpec.hs:1175", "order=id.asc.nullslasttt", ParseOptions{Method: "GET"},
			`"failed to parse order (id.asc.nullslasttt)" (line 1, column 17)`, `unexpected 't' expecting "," or end of input`},
		{"QueryParams.hs pOrder doctest", "order=id.ac", ParseOptions{Method: "GET"},
			`"failed to parse order (id.ac)" (line 1, column 4)`, `unexpected "c" expecting "asc", "desc", "nullsfirst" or "nullslast"`},
		{"QueryParams.hs pOrder doctest", "order=id.descc", ParseOptions{Method: "GET"},
			`"failed to parse order (id.descc)" (line 1, column 8)`, `unexpected 'c' expecting delimiter (.), "," or end of input`},
		{"QueryParams.hs pOrder doctest", "order=id.asc.nlsfst", ParseOptions{Method: "GET"},
			`"failed to parse order (id.asc.nlsfst)" (line 1, column 8)`, `unexpected "l" expecting "nullsfirst" or "nullslast"`},
		{"T:Query/AndOrParamsSpec.hs:219", "or=()", ParseOptions{Method: "GET"},
			`"failed to parse logic tree (())" (line 1, column 4)`, `unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)`},
		{"QueryParams.hs pLogicTree doctest", "or=(id.in.1,2,id.eq.3)", ParseOptions{Method: "GET"},
			`"failed to parse logic tree ((id.in.1,2,id.eq.3))" (line 1, column 10)`, `unexpected "1" expecting "("`},
		{"QueryParams.hs pLogicTree doctest", "or=(id.eq.1,not.xor(id.eq.2,id.eq.3))", ParseOptions{Method: "GET"},
			`"failed to parse logic tree ((id.eq.1,not.xor(id.eq.2,id.eq.3)))" (line 1, column 16)`, `unexpected "x" expecting logic operator (and, or)`},
		{"T:Query/InsertSpec.hs:461", "columns=", ParseOptions{Method: "POST"},
			`"failed to parse columns parameter ()" (line 1, column 1)`, `unexpected end of input expecting field name (* or [a..z0..9_$])`},
		{"T:Query/JsonOperatorSpec.hs:61", "id=eq.10&select=data->(!@%23$%25^%26*_d->>!@%23$%25^%26*_e::integer", ParseOptions{Method: "GET"},
			`"failed to parse select parameter (data->(!@#$%^&*_d->>!@#$%^&*_e::integer)" (line 1, column 7)`,
			`unexpected "(" expecting "-", digit or any non reserved character different from: .,>()`},
		{"T:Query/JsonOperatorSpec.hs:311", "select=data->>--34", ParseOptions{Method: "GET"},
			`"failed to parse select parameter (data->>--34)" (line 1, column 9)`, `unexpected "-" expecting digit`},
		{"QueryParams.hs pFieldForest doctest", "select=id,clients(name[])", ParseOptions{Method: "GET"},
			`"failed to parse select parameter (id,clients(name[]))" (line 1, column 16)`,
			`unexpected '[' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input`},
		{"QueryParams.hs pFieldSelect doctest", "select=name::", ParseOptions{Method: "GET"},
			`"failed to parse select parameter (name::)" (line 1, column 7)`, `unexpected end of input expecting letter or digit`},
		{"QueryParams.hs pOpExpr doctest", "id=is().value", ParseOptions{Method: "GET"},
			`"failed to parse filter (is().value)" (line 1, column 3)`, `unexpected "(" expecting operator (eq, gt, ...)`},
		{"other is values are PGRST100", "id=is.maybe", ParseOptions{Method: "GET"},
			`"failed to parse filter (is.maybe)" (line 1, column 4)`, `unexpected "m" expecting isVal: (null, not_null, true, false, unknown)`},
		{"QueryParams.hs pFieldName doctest (after a comma)", "select=id,:", ParseOptions{Method: "GET"},
			`"failed to parse select parameter (id,:)" (line 1, column 4)`, `unexpected ":" expecting "...", field name (* or [a..z0..9_$]), "*" or "count()"`},
		{"RPC GET: a bad operator after not. is still an error (pOpExpr consumed)", "a=not.xyz", ParseOptions{RPC: true, Method: "GET"},
			`"failed to parse filter (not.xyz)" (line 1, column 5)`, `unexpected "x" expecting operator (eq, gt, ...)`},
		{"RPC POST: arguments come from the body, params need an operator", "a=1", ParseOptions{RPC: true, Method: "POST"},
			`"failed to parse filter (1)" (line 1, column 1)`, `unexpected "1" expecting "not" or operator (eq, gt, ...)`},
	}
	for _, c := range cases {
		_, err := Parse(c.query, c.opts)
		var e *apierr.Error
		if !errors.As(err, &e) {
			t.Errorf("%s: %q: want PGRST100, got %v", c.cite, c.query, err)
			continue
		}
		if e.Status != 400 || e.Code != "PGRST100" || e.Message != c.msg || e.Details == nil || details(e) != c.det || e.Hint != nil {
			t.Errorf("%s: %q:\n got %d %s %q / %q\nwant 400 PGRST100 %q / %q", c.cite, c.query, e.Status, e.Code, e.Message, details(e), c.msg, c.det)
		}
	}
}

func TestParseSelect(t *testing.T) {
	cases := []struct {
		cite, sel string
		want      []SelectItem
	}{
		{"default is *", "", []SelectItem{{Field: Field{Name: "*"}}}},
		{"renames and casts", "select=task_id:id,prio:priority::text", []SelectItem{
			{Field: Field{Name: "id"}, Alias: "task_id"},
			{Field: Field{Name: "priority"}, Alias: "prio", Cast: "text"}}},
		{"QueryParams.hs pFieldSelect doctest", "select=alias:name->jsonpath::cast", []SelectItem{
			{Field: Field{Name: "name", JSONPath: []JSONOperand{{Value: "jsonpath"}}}, Alias: "alias", Cast: "cast"}}},
		{"QueryParams.hs pJsonPath doctest", "select=data->>1,data->-2->>a", []SelectItem{
			{Field: Field{Name: "data", JSONPath: []JSONOperand{{Text: true, Index: true, Value: "+1"}}}},
			{Field: Field{Name: "data", JSONPath: []JSONOperand{{Index: true, Value: "-2"}, {Text: true, Value: "a"}}}}}},
		{"T:Query/AndOrParamsSpec.hs allows whitespace", "select= id , name ", []SelectItem{
			{Field: Field{Name: "id"}}, {Field: Field{Name: "name"}}}},
		{"QueryParams.hs pFieldName quoted", `select="a,b":"x y"`, []SelectItem{{Field: Field{Name: "x y"}, Alias: "a,b"}}},
		{"embedding", "select=*,clients(id)", []SelectItem{{Field: Field{Name: "*"}},
			{Kind: SelectRelation, Relation: "clients", Children: []SelectItem{{Field: Field{Name: "id"}}}}}},
		{"spread with hint", "select=...rel!fk!inner(*)", []SelectItem{
			{Kind: SelectSpread, Relation: "rel", Hint: "fk", JoinType: "inner", Children: []SelectItem{{Field: Field{Name: "*"}}}}}},
		{"aggregates", "select=count(),amount.sum()::int", []SelectItem{
			{Field: Field{Name: "*"}, Aggregate: "count"}, {Field: Field{Name: "amount"}, Aggregate: "sum", AggregateCast: "int"}}},
		{"count is not a relation", "select=c:count()", []SelectItem{{Field: Field{Name: "*"}, Aggregate: "count", Alias: "c"}}},
	}
	for _, c := range cases {
		p, err := Parse(c.sel, ParseOptions{Method: "GET"})
		if err != nil {
			t.Errorf("%s: %v", c.cite, err)
			continue
		}
		if !reflect.DeepEqual(p.Select, c.want) {
			t.Errorf("%s: %q\n got %+v\nwant %+v", c.cite, c.sel, p.Select, c.want)
		}
	}
	p, _ := Parse("select=", ParseOptions{Method: "GET"})
	if len(p.Select) != 0 {
		t.Errorf("select= is an empty select list, got %+v", p.Select)
	}
}

func TestParseFilters(t *testing.T) {
	cases := []struct {
		cite, query string
		want        Filter
	}{
		{"eq", "id=eq.1", Filter{Field: Field{Name: "id"}, Operation: Operation{Op: "eq", Value: "1"}}},
		{"not. negates", "id=not.eq.1", Filter{Field: Field{Name: "id"}, Operation: Operation{Op: "eq", Value: "1", Negated: true}}},
		{"neq", "a=neq.x.y", Filter{Field: Field{Name: "a"}, Operation: Operation{Op: "neq", Value: "x.y"}}},
		{"gte before gt", "a=gte.2", Filter{Field: Field{Name: "a"}, Operation: Operation{Op: "gte", Value: "2"}}},
		{"like keeps * (rendered as %)", "a=like.*o*", Filter{Field: Field{Name: "a"}, Operation: Operation{Op: "like", Value: "*o*"}}},
		{"ilike", "a=ilike.A%2A", Filter{Field: Field{Name: "a"}, Operation: Operation{Op: "ilike", Value: "A*"}}},
		{"in with quoted commas (T:Query/QuerySpec.hs in)", `a=in.("a,b",c,"d\"e")`, Filter{Field: Field{Name: "a"}, Operation: Operation{Op: "in", List: []string{"a,b", "c", `d"e`}}}},
		{"in allows whitespace", "a=in.( 1, 2 )", Filter{Field: Field{Name: "a"}, Operation: Operation{Op: "in", List: []string{"1", " 2 "}}}},
		{"empty in", "a=in.()", Filter{Field: Field{Name: "a"}, Operation: Operation{Op: "in", List: []string{""}}}},
		{"is is case-insensitive", "a=is.NULL", Filter{Field: Field{Name: "a"}, Operation: Operation{Op: "is", Value: "null"}}},
		{"is not_null (v13+)", "a=is.not_null", Filter{Field: Field{Name: "a"}, Operation: Operation{Op: "is", Value: "not_null"}}},
		{"is unknown", "a=not.is.Unknown", Filter{Field: Field{Name: "a"}, Operation: Operation{Op: "is", Value: "unknown", Negated: true}}},
		{"isdistinct", "a=isdistinct.5", Filter{Field: Field{Name: "a"}, Operation: Operation{Op: "isdistinct", Value: "5"}}},
		{"fts with language", "a=fts(english).cat", Filter{Field: Field{Name: "a"}, Operation: Operation{Op: "fts", Lang: "english", Value: "cat"}}},
		{"quantifier", "a=like(any).{a*,b*}", Filter{Field: Field{Name: "a"}, Operation: Operation{Op: "like", Quantifier: "any", Value: "{a*,b*}"}}},
		{"json path filter", "data->>a=eq.1", Filter{Field: Field{Name: "data", JSONPath: []JSONOperand{{Text: true, Value: "a"}}}, Operation: Operation{Op: "eq", Value: "1"}}},
		{"embed path", "clients.id=eq.1", Filter{Path: []string{"clients"}, Field: Field{Name: "id"}, Operation: Operation{Op: "eq", Value: "1"}}},
		{"+ is a space", "name=eq.a+b", Filter{Field: Field{Name: "name"}, Operation: Operation{Op: "eq", Value: "a b"}}},
	}
	for _, c := range cases {
		p, err := Parse(c.query, ParseOptions{Method: "GET"})
		if err != nil {
			t.Errorf("%s: %v", c.cite, err)
			continue
		}
		if len(p.Filters) != 1 || !reflect.DeepEqual(p.Filters[0], c.want) {
			t.Errorf("%s: %q\n got %+v\nwant %+v", c.cite, c.query, p.Filters, c.want)
		}
	}
}

func TestParseLogicOrderColumns(t *testing.T) {
	p, err := Parse("not.or=(a.eq.1,and(b.gt.2,c.is.null),d.in.(1,2))&order=a.desc.nullslast,b&columns=x,y&on_conflict=x",
		ParseOptions{Method: "POST"})
	if err != nil {
		t.Fatal(err)
	}
	want := Logic{Tree: LogicTree{Negated: true, Op: "or", Children: []LogicTree{
		{Filter: &Filter{Field: Field{Name: "a"}, Operation: Operation{Op: "eq", Value: "1"}}},
		{Op: "and", Children: []LogicTree{
			{Filter: &Filter{Field: Field{Name: "b"}, Operation: Operation{Op: "gt", Value: "2"}}},
			{Filter: &Filter{Field: Field{Name: "c"}, Operation: Operation{Op: "is", Value: "null"}}}}},
		{Filter: &Filter{Field: Field{Name: "d"}, Operation: Operation{Op: "in", List: []string{"1", "2"}}}},
	}}}
	if len(p.Logic) != 1 || !reflect.DeepEqual(p.Logic[0], want) {
		t.Errorf("logic: got %+v", p.Logic)
	}
	wantOrder := []Order{{Terms: []OrderTerm{{Field: Field{Name: "a"}, Direction: "desc", Nulls: "nullslast"}, {Field: Field{Name: "b"}}}}}
	if !reflect.DeepEqual(p.Order, wantOrder) {
		t.Errorf("order: got %+v", p.Order)
	}
	if !reflect.DeepEqual(p.Columns, []string{"x", "y"}) || !reflect.DeepEqual(p.OnConflict, []string{"x"}) {
		t.Errorf("columns/on_conflict: %v %v", p.Columns, p.OnConflict)
	}
	if len(p.Filters) != 0 {
		t.Errorf("reserved names are not filters: %+v", p.Filters)
	}
	// Logic values: quoted values and PostgreSQL arrays keep their commas.
	p, err = Parse(`or=(a.eq."x,y",b.cs.{1,2})`, ParseOptions{Method: "GET"})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Logic[0].Tree.Children; got[0].Filter.Operation.Value != "x,y" || got[1].Filter.Operation.Value != "{1,2}" {
		t.Errorf("logic values: %+v", got)
	}
}

// On GET/HEAD /rpc, parameters without an operator are arguments (ApiRequest/QueryParams.hs@v16.2).
func TestParseRPCArgs(t *testing.T) {
	p, err := Parse("user_=bob&pass=x.y&id=eq.3&select=a&limit=2&order=a&a=1&a=2", ParseOptions{RPC: true, Method: "GET"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Arg{{"user_", "bob"}, {"pass", "x.y"}, {"a", "1"}, {"a", "2"}}
	if !reflect.DeepEqual(p.Args, want) {
		t.Errorf("args: got %+v", p.Args)
	}
	if len(p.Filters) != 1 || p.Filters[0].Field.Name != "id" {
		t.Errorf("filters: %+v", p.Filters)
	}
	p, err = Parse("x=1", ParseOptions{RPC: true, Method: "HEAD"})
	if err != nil || len(p.Args) != 1 {
		t.Errorf("HEAD is a read: %v %+v", err, p)
	}
}

func TestCanonical(t *testing.T) {
	// QueryParams.hs parse doctest: sorted, missing value rendered empty.
	p, err := Parse("a=1&c=3&b=2&d", ParseOptions{RPC: true, Method: "GET"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Canonical != "a=1&b=2&c=3&d=" {
		t.Errorf("canonical: %q", p.Canonical)
	}
	p, _ = Parse("select=id,name&id=eq.1&id=neq.2", ParseOptions{Method: "GET"})
	if p.Canonical != "id=eq.1,neq.2&select=id%2Cname" {
		t.Errorf("canonical: %q", p.Canonical)
	}
	// Network.HTTP.Base.urlEncode keeps only ASCII alphanumerics and -_.~
	p, _ = Parse("select=*&id=in.(1,2)&name=eq.a%20b~", ParseOptions{Method: "GET"})
	if p.Canonical != "id=in.%281%2C2%29&name=eq.a%20b~&select=%2A" {
		t.Errorf("canonical: %q", p.Canonical)
	}
}

func TestRanges(t *testing.T) {
	i := func(n int64) *int64 { return &n }
	cases := []struct {
		cite, query, method, header string
		wantErr                     string // details, "" if none
		limit                       *int64
		offset                      int64
	}{
		{"no range", "", "GET", "", "", nil, 0},
		{"T:Query/RangeSpec.hs limit", "limit=2", "GET", "", "", i(2), 0},
		{"limit and offset", "limit=2&offset=3", "GET", "", "", i(2), 3},
		{"offset alone", "offset=3", "GET", "", "", nil, 3},
		{"limit=0", "limit=0", "GET", "", "", i(0), 0},
		{"negative offset ignored", "offset=-1", "GET", "", "", nil, 0},
		{"negative limit", "limit=-1", "GET", "", "Limit should be greater than or equal to zero.", nil, 0},
		{"unparsable limit is ignored", "limit=abc", "GET", "", "", nil, 0},
		{"Range header", "", "GET", "0-1", "", i(2), 0},
		{"open Range header", "", "GET", "5-", "", nil, 5},
		{"Range intersected with limit", "limit=3", "GET", "1-5", "", i(2), 1},
		{"ApiRequest.hs getRanges: limit counts from 0, so an empty intersection is 416", "limit=1", "GET", "2-5", "Limit should be greater than or equal to zero.", nil, 0},
		{"Plan/RangeQuery: limit=0 with offset is empty, not limit zero", "limit=0&offset=2", "GET", "", "Limit should be greater than or equal to zero.", nil, 0},
		{"Range with a unit is ignored", "", "GET", "items=0-1", "", nil, 0},
		{"Range ignored on POST", "", "POST", "0-1", "", nil, 0},
		{"lower > upper", "", "GET", "3-1", "The lower boundary must be lower than or equal to the upper boundary in the Range header.", nil, 0},
		{"limit=0 bypasses Range", "limit=0", "GET", "1-2", "", i(0), 0},
	}
	for _, c := range cases {
		p, err := Parse(c.query, ParseOptions{Method: c.method, RangeHeader: c.header})
		if c.wantErr != "" {
			var e *apierr.Error
			if !errors.As(err, &e) || e.Status != 416 || e.Code != "PGRST103" || e.Message != "Requested range not satisfiable" || details(e) != c.wantErr {
				t.Errorf("%s: want 416 %q, got %v", c.cite, c.wantErr, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.cite, err)
			continue
		}
		l, ok := p.TopLevel.Limit()
		if (c.limit == nil) == ok || (ok && l != *c.limit) || p.TopLevel.Offset() != c.offset {
			t.Errorf("%s: got limit %d/%v offset %d", c.cite, l, ok, p.TopLevel.Offset())
		}
	}
	if _, err := Parse("limit=1", ParseOptions{Method: "PUT"}); err == nil {
		t.Error("PUT with limit must fail (PGRST114)")
	}
}

func TestContentRange(t *testing.T) {
	i := func(n int64) *int64 { return &n }
	cases := []struct {
		cite       string
		top        Range
		rows       int64
		total      *int64
		wantStatus int
		want       string
	}{
		{"0-2/*", AllRange(), 3, nil, 200, "0-2/*"},
		{"*/* empty", AllRange(), 0, nil, 200, "*/*"},
		{"*/0", AllRange(), 0, i(0), 200, "*/0"},
		{"0-1/3 is 206", rangeLeqAll(0, 1), 2, i(3), 206, "0-1/3"},
		{"full count is 200", AllRange(), 3, i(3), 200, "0-2/3"},
		{"offset past the end is 416", rangeGeq(5), 0, i(3), 416, "*/3"},
	}
	for _, c := range cases {
		st, cr := RangeStatus(c.top, c.rows, c.total)
		if st != c.wantStatus || cr != c.want {
			t.Errorf("%s: got %d %q want %d %q", c.cite, st, cr, c.wantStatus, c.want)
		}
	}
}

func rangeLeqAll(lo, hi int64) Range { return Range{low: lo, high: hi} }

func TestPrefer(t *testing.T) {
	// Preferences.hs doctests: first wins, also across headers; spaces allowed.
	p := ParsePrefer([]string{"return=minimal, count=exact,  tx=rollback", "return=representation, handling=strict, timezone=UTC, invalid, max-affected=5"}, true)
	if p.Return != "minimal" || p.Count != "exact" || p.Tx != "rollback" || p.Handling != "strict" || p.Timezone != "UTC" ||
		p.MaxAffected == nil || *p.MaxAffected != 5 {
		t.Errorf("parsed: %+v", p)
	}
	if !reflect.DeepEqual(p.InvalidPrefs, []string{"invalid"}) {
		t.Errorf("invalid: %v", p.InvalidPrefs)
	}
	if got := p.AppliedHeader(); got != "return=minimal, count=exact, tx=rollback, handling=strict, timezone=UTC, max-affected=5" {
		t.Errorf("applied: %q", got)
	}
	e := p.StrictError()
	if e == nil || e.Status != 400 || e.Code != "PGRST122" || e.Message != "Invalid preferences given with handling=strict" || details(e) != "Invalid preferences: invalid" {
		t.Errorf("strict: %+v", e)
	}
	// tx is not parsed unless db-tx-end allows the override, and is not invalid either.
	p = ParsePrefer([]string{"tx=commit,resolution=merge-duplicates,missing=default"}, false)
	if p.Tx != "" || len(p.InvalidPrefs) != 0 || p.StrictError() != nil {
		t.Errorf("tx: %+v", p)
	}
	if got := p.AppliedHeader(); got != "resolution=merge-duplicates, missing=default" {
		t.Errorf("applied order: %q", got)
	}
	if ParsePrefer(nil, true).AppliedHeader() != "" {
		t.Error("no prefs: no header")
	}
}

// The fast paths give exactly what the grammar gives for the inputs they
// accept, and decline the others.
func TestFastPathsMatchParser(t *testing.T) {
	g := theGrammar()
	selects := []string{"*", "id", "id,name", "a,*,b_2", "count", "sum", "1a", "", "id,", ",id", "id ,name", "a-b", "a:b", "a::text", "é", "*,*"}
	for _, s := range selects {
		fast, ok := fastSelect(s)
		v, err := runParser(g.forest, "select parameter", s, s)
		if !ok {
			continue
		}
		if err != nil || !reflect.DeepEqual(fast, toSelectItems(v)) {
			t.Errorf("select %q: fast %+v, grammar %+v %v", s, fast, v, err)
		}
	}
	filters := []string{"eq.1", "neq.x.y", "gt.", "gte.2", "lt.-1", "lte.3", "like.*a*", "ilike.A", "eq", "eqx.1", "not.eq.1", "eq(any).{1}", "in.(1)", "is.null", "match.x", "cs.{1}", "gte", "ilike..", "like.a.b"}
	for _, f := range filters {
		fast, ok := fastFilter(f)
		v, err := runParser(g.filter, "filter", f, f)
		if !ok {
			continue
		}
		if err != nil || !reflect.DeepEqual(fast, v.(Operation)) {
			t.Errorf("filter %q: fast %+v, grammar %+v %v", f, fast, v, err)
		}
	}
	orders := []string{"id", "id.asc", "id.desc.nullslast", "a.nullsfirst,b.desc", "id.ac", "id.asc.asc", "id.nullsfirst.asc", "a,", "", "a.desc,b.asc.nullsfirst", "data->x", "a b"}
	for _, o := range orders {
		fast, ok := fastOrder(o)
		v, err := runParser(g.order, "order", o, o)
		if !ok {
			continue
		}
		if err != nil || !reflect.DeepEqual(fast, v.([]OrderTerm)) {
			t.Errorf("order %q: fast %+v, grammar %+v %v", o, fast, v, err)
		}
	}
	for _, k := range []string{"id", "a_b", "A1"} {
		v, err := runParser(g.treePath, "tree path", k, k)
		if err != nil || !reflect.DeepEqual(v.(treePathResult), treePathResult{field: Field{Name: k}}) {
			t.Errorf("tree path %q: %+v %v", k, v, err)
		}
	}
}
