package postgrest

import "testing"

// Related orders and null filters on embedded resources (anti and semi
// joins), as PostgREST v16.2's RelatedQueriesSpec exercises them (Plan.hs
// addRelatedOrders, addNullEmbedFilters), on our own film database.
func TestSpecRelatedQueries(t *testing.T) {
	t.Parallel()
	e := embedEngine(t, nil)
	runCases(t, e, []tc{
		{name: "orders by a many-to-one column, nulls first when descending",
			cite: "T:Query/RelatedQueriesSpec.hs:14@v16.2", method: "GET",
			path:   "/films?select=title,directors(last_name)&order=directors(last_name).desc,title&limit=3",
			status: 200, wantBody: `[{"title":"Untitled","directors":null},{"title":"Cléo from 5 to 7","directors":{"last_name":"Varda"}},
			  {"title":"Pulp Fiction","directors":{"last_name":"Tarantino"}}]`},
		{name: "orders by a one-to-one column with nullslast",
			cite: "T:Query/RelatedQueriesSpec.hs:46@v16.2", method: "GET",
			path:   "/films?select=title,technical_specs(runtime)&order=technical_specs(runtime).desc.nullslast,id",
			status: 200, wantBody: `[{"title":"Pulp Fiction","technical_specs":{"runtime":"02:34:00"}},
			  {"title":"Lost in Translation","technical_specs":{"runtime":"01:42:00"}},
			  {"title":"Reservoir Dogs","technical_specs":{"runtime":"01:39:00"}},
			  {"title":"Cléo from 5 to 7","technical_specs":null},{"title":"Untitled","technical_specs":null}]`},
		{name: "orders by a spread to-one column",
			cite: "T:Query/RelatedQueriesSpec.hs:66@v16.2", method: "GET", path: "/films?select=title,...directors(last_name)&order=directors(last_name),id&limit=2",
			status: 200, wantBody: `[{"title":"Lost in Translation","last_name":"Coppola"},{"title":"Reservoir Dogs","last_name":"Tarantino"}]`},
		{name: "a to-many relationship cannot order its parent (PGRST118)",
			cite: "T:Query/RelatedQueriesSpec.hs:107@v16.2", method: "GET", path: "/directors?select=last_name,films(title)&order=films(title)",
			status: 400, wantBody: errBody("PGRST118", "A related order on 'films' is not possible",
				"'directors' and 'films' do not form a many-to-one or one-to-one relationship", nil)},
		{name: "a resource that is not embedded cannot order (PGRST108)",
			cite: "T:Query/RelatedQueriesSpec.hs:139@v16.2", method: "GET", path: "/directors?select=last_name&order=films(title)",
			status: 400, wantBody: errBody("PGRST108", "'films' is not an embedded resource in this request", nil,
				"Verify that 'films' is included in the 'select' query parameter.")},
		{name: "is.null on an empty embed is an anti-join",
			cite: "T:Query/RelatedQueriesSpec.hs:174@v16.2", method: "GET", path: "/films?select=title,nominations()&nominations=is.null&order=id",
			status: 200, wantBody: `[{"title":"Reservoir Dogs"},{"title":"Untitled"}]`},
		{name: "not.is.null is a semi-join",
			cite: "T:Query/RelatedQueriesSpec.hs:152@v16.2", method: "GET",
			path:   "/films?select=title,directors()&directors.last_name=eq.Tarantino&directors=not.is.null&order=id",
			status: 200, wantBody: `[{"title":"Reservoir Dogs"},{"title":"Pulp Fiction"}]`},
		{name: "null filters on nested embeds",
			cite: "T:Query/RelatedQueriesSpec.hs:217@v16.2", method: "GET", path: "/directors?select=last_name,films(title,roles())&films.roles=is.null&order=id",
			status: 200, wantBody: `[{"last_name":"Tarantino","films":[]},{"last_name":"Coppola","films":[]},{"last_name":"Varda","films":[]}]`},
		{name: "or across embeds with not.is.null",
			cite: "T:Query/RelatedQueriesSpec.hs:225@v16.2", method: "GET",
			path:   "/films?select=title,directors(last_name),nominations()&or=(nominations.not.is.null,directors.not.is.null)&directors.last_name=eq.Varda&order=id",
			status: 200, wantBody: `[{"title":"Pulp Fiction","directors":null},{"title":"Lost in Translation","directors":null},
			  {"title":"Cléo from 5 to 7","directors":{"last_name":"Varda"}}]`},
		{name: "a null filter with count=exact counts the filtered rows",
			cite: "T:Query/RelatedQueriesSpec.hs:278@v16.2", method: "GET", path: "/films?select=title,nominations()&nominations=is.null&order=id",
			hdr: map[string]string{"Prefer": "count=exact"}, status: 200, wantHdr: map[string]string{"Content-Range": "0-1/2"}},
	})
}
