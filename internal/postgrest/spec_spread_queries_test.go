package postgrest

import "testing"

// Spread embeds (...rel(cols)): to-one columns lifted into the parent,
// to-many columns as correlated arrays, as PostgREST v16.2's
// SpreadQueriesSpec exercises them (Plan.hs addToManyOrderSelects,
// QueryBuilder.hs getJoin), on our own film database.
func TestSpecSpreadQueries(t *testing.T) {
	t.Parallel()
	e := embedEngine(t, nil)
	runCases(t, e, []tc{
		{name: "many-to-one and one-to-one columns are lifted, aliases kept",
			cite: "T:Query/SpreadQueriesSpec.hs:13@v16.2, :54", method: "GET",
			path:   "/films?select=title,...directors(director:last_name),...technical_specs(camera)&id=lt.3&order=id",
			status: 200, wantBody: `[{"title":"Reservoir Dogs","director":"Tarantino","camera":"Arri"},
			  {"title":"Pulp Fiction","director":"Tarantino","camera":"Panavision"}]`},
		{name: "a missing to-one row gives nulls",
			cite: "T:Query/SpreadQueriesSpec.hs:13@v16.2", method: "GET", path: "/films?select=title,...posters(url)&id=lt.3&order=id",
			status: 200, wantBody: `[{"title":"Reservoir Dogs","url":"rd.png"},{"title":"Pulp Fiction","url":null}]`},
		{name: "one-to-many columns become correlated arrays in the spread's order",
			cite: "T:Query/SpreadQueriesSpec.hs:114@v16.2, :291", method: "GET",
			path:   "/directors?select=last_name,...films(title,year)&films.order=year.desc&order=id",
			status: 200, wantBody: `[{"last_name":"Tarantino","title":["Pulp Fiction","Reservoir Dogs"],"year":[1994,1992]},
			  {"last_name":"Coppola","title":["Lost in Translation"],"year":[2003]},
			  {"last_name":"Varda","title":["Cléo from 5 to 7"],"year":[1962]}]`},
		{name: "ordered by columns that are not selected",
			cite: "T:Query/SpreadQueriesSpec.hs:312@v16.2", method: "GET",
			path:   "/directors?select=last_name,...films(title)&films.order=year.desc,id&id=eq.1",
			status: 200, wantBody: `[{"last_name":"Tarantino","title":["Pulp Fiction","Reservoir Dogs"]}]`},
		{name: "no rows give empty arrays",
			cite: "T:Query/SpreadQueriesSpec.hs:135@v16.2", method: "GET", path: "/films?select=title,...roles(character)&id=eq.5",
			status: 200, wantBody: `[{"title":"Untitled","character":[]}]`},
		{name: "a nested to-one spread inside a to-many spread keeps nulls in the arrays",
			cite: "T:Query/SpreadQueriesSpec.hs:162@v16.2, :143", method: "GET",
			path:   "/directors?select=last_name,...films(...technical_specs(camera))&films.order=id&order=id",
			status: 200, wantBody: `[{"last_name":"Tarantino","camera":["Arri","Panavision"]},{"last_name":"Coppola","camera":["Arri"]},
			  {"last_name":"Varda","camera":[null]}]`},
		{name: "spreading the junction of a many-to-many",
			cite: "T:Query/SpreadQueriesSpec.hs:64@v16.2", method: "GET",
			path:   "/actors?select=first_name,...roles(character,...films(title))&roles.order=film_id&id=lt.3&order=id",
			status: 200, wantBody: `[{"first_name":"Harvey","character":["Mr. White","Winston Wolfe"],"title":["Reservoir Dogs","Pulp Fiction"]},
			  {"first_name":"Tim","character":["Mr. Orange","Pumpkin"],"title":["Reservoir Dogs","Pulp Fiction"]}]`},
		{name: "a non-spread to-one embed inside a to-many spread becomes an array of objects",
			cite: "T:Query/SpreadQueriesSpec.hs:217@v16.2", method: "GET", path: "/directors?select=last_name,...films(title,directors(last_name))&id=eq.2",
			status: 200, wantBody: `[{"last_name":"Coppola","title":["Lost in Translation"],"directors":[{"last_name":"Coppola"}]}]`},
		{name: "inner joins filter the parents",
			cite: "T:Query/SpreadQueriesSpec.hs:272@v16.2", method: "GET", path: "/directors?select=last_name,...films!inner(title)&films.year=gt.2000&order=id",
			status: 200, wantBody: `[{"last_name":"Coppola","title":["Lost in Translation"]}]`},
		{name: "a star spreads every column",
			cite: "T:Query/SpreadQueriesSpec.hs:151@v16.2", method: "GET", path: "/films?select=title,...roles(*)&id=eq.4",
			status: 200, wantBody: `[{"title":"Cléo from 5 to 7","film_id":[4],"actor_id":[6],"character":["Cléo"]}]`},
		{name: "an empty spread adds nothing",
			cite: "T:Query/SpreadQueriesSpec.hs:603@v16.2", method: "GET", path: "/directors?select=last_name,...films()&id=eq.1",
			status: 200, wantBody: `[{"last_name":"Tarantino"}]`},
	})
}
