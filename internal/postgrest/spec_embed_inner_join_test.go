package postgrest

import "testing"

// !inner and !left joins of embedded resources, as PostgREST v16.2's
// EmbedInnerJoinSpec exercises them (QueryBuilder.hs getJoin), on our own
// film database.
func TestSpecEmbedInnerJoin(t *testing.T) {
	t.Parallel()
	e := embedEngine(t, nil)
	runCases(t, e, []tc{
		{name: "many-to-one: rows without a parent are dropped",
			cite: "T:Query/EmbedInnerJoinSpec.hs:16@v16.2", method: "GET", path: "/films?select=title,directors!inner(last_name)&order=id",
			status: 200, wantBody: `[{"title":"Reservoir Dogs","directors":{"last_name":"Tarantino"}},
			  {"title":"Pulp Fiction","directors":{"last_name":"Tarantino"}},
			  {"title":"Lost in Translation","directors":{"last_name":"Coppola"}},
			  {"title":"Cléo from 5 to 7","directors":{"last_name":"Varda"}}]`},
		{name: "a filter two levels below filters the source through inner joins",
			cite: "T:Query/EmbedInnerJoinSpec.hs:56@v16.2", method: "GET",
			path:   "/films?select=title,directors!inner(last_name,films!inner(title))&directors.films.year=gt.2000&order=id",
			status: 200, wantBody: `[{"title":"Lost in Translation","directors":{"last_name":"Coppola","films":[{"title":"Lost in Translation"}]}}]`},
		{name: "one-to-many: parents without matching children are dropped",
			cite: "T:Query/EmbedInnerJoinSpec.hs:129@v16.2", method: "GET",
			path:   "/directors?select=last_name,films!inner(title)&films.year=lt.1993&order=id",
			status: 200, wantBody: `[{"last_name":"Tarantino","films":[{"title":"Reservoir Dogs"}]},{"last_name":"Varda","films":[{"title":"Cléo from 5 to 7"}]}]`},
		{name: "!left (the default) keeps them with an empty array",
			cite: "T:Query/EmbedInnerJoinSpec.hs:109@v16.2", method: "GET",
			path:   "/directors?select=last_name,films!left(title)&films.year=lt.1993&order=id",
			status: 200, wantBody: `[{"last_name":"Tarantino","films":[{"title":"Reservoir Dogs"}]},{"last_name":"Coppola","films":[]},
			  {"last_name":"Varda","films":[{"title":"Cléo from 5 to 7"}]}]`},
		{name: "many-to-many",
			cite: "T:Query/EmbedInnerJoinSpec.hs:231@v16.2", method: "GET", path: "/actors?select=last_name,films!inner(title)&films.language=eq.fr&order=id",
			status: 200, wantBody: `[{"last_name":"Marchand","films":[{"title":"Cléo from 5 to 7"}]}]`},
		{name: "views", cite: "T:Query/EmbedInnerJoinSpec.hs:97@v16.2", method: "GET",
			path:   "/film_listing?select=title,directors!inner(last_name)&directors.last_name=eq.Coppola",
			status: 200, wantBody: `[{"title":"Lost in Translation","directors":{"last_name":"Coppola"}}]`},
		{name: "function results, counted",
			cite: "T:Query/EmbedInnerJoinSpec.hs:306@v16.2", method: "GET", path: "/rpc/films_of?y=1994&select=id,directors!inner(id)&directors.id=eq.1",
			hdr: map[string]string{"Prefer": "count=exact"}, status: 200, wantHdr: map[string]string{"Content-Range": "0-0/1"},
			wantBody: `[{"id":2,"directors":{"id":1}}]`},
		{name: "function results: no match drops the row",
			cite: "T:Query/EmbedInnerJoinSpec.hs:306@v16.2", method: "GET", path: "/rpc/films_of?y=1994&select=id,directors!inner(id)&directors.id=eq.2",
			status: 200, wantBody: `[]`},
		{name: "count=exact, Range and an inner join count the filtered parents",
			cite: "T:Query/EmbedInnerJoinSpec.hs:16@v16.2 (QueryBuilder.hs readPlanToCountQuery)", method: "GET",
			path: "/films?select=title,directors!inner(last_name)&directors.last_name=eq.Tarantino&order=id",
			hdr:  map[string]string{"Prefer": "count=exact", "Range": "1-1"}, status: 206,
			wantHdr:  map[string]string{"Content-Range": "1-1/2"},
			wantBody: `[{"title":"Pulp Fiction","directors":{"last_name":"Tarantino"}}]`},
	})
}
