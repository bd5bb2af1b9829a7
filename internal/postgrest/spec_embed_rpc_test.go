package postgrest

import "testing"

// Embedding in the results of functions returning rows of a table, as
// PostgREST v16.2's RpcSpec exercises it ("foreign entities embedding"):
// the call is read back from the pgrst_source CTE under the table's name,
// so every relationship of the table applies. Our own film database.
func TestSpecEmbedRpc(t *testing.T) {
	t.Parallel()
	e := embedEngine(t, nil)
	runCases(t, e, []tc{
		{name: "a set of rows embeds many-to-one, many-to-many and one-to-one",
			cite: "T:Query/RpcSpec.hs:324@v16.2, :347, :374", method: "GET",
			path:   "/rpc/films_of?y=1994&select=title,directors(last_name),actors(last_name),technical_specs(camera)&actors.order=id",
			status: 200, wantBody: `[{"title":"Pulp Fiction","directors":{"last_name":"Tarantino"},
			  "actors":[{"last_name":"Keitel"},{"last_name":"Roth"},{"last_name":"Thurman"}],"technical_specs":{"camera":"Panavision"}}]`},
		{name: "POST arguments, count=exact and an embedded count",
			cite: "T:Query/RpcSpec.hs:87@v16.2", method: "POST", path: "/rpc/films_of?select=title,roles(count)",
			hdr: map[string]string{"Prefer": "count=exact", "Content-Type": "application/json"}, body: `{"y":1992}`,
			status: 200, wantHdr: map[string]string{"Content-Range": "0-0/1"},
			wantBody: `[{"title":"Reservoir Dogs","roles":[{"count":2}]}]`},
		{name: "a single row is an object, spreads and many-to-many included",
			cite: "T:Query/RpcSpec.hs:388@v16.2", method: "GET", path: "/rpc/film?fid=3&select=title,...directors(last_name),competitions(name)",
			status: 200, wantBody: `{"title":"Lost in Translation","last_name":"Coppola","competitions":[{"name":"Academy Awards"}]}`},
		{name: "no relationship is PGRST200 for the function's table",
			cite: "T:Query/RpcSpec.hs:332@v16.2", method: "GET", path: "/rpc/films_of?y=1994&select=title,directorz(*)",
			status: 400, wantBody: errBody("PGRST200", "Could not find a relationship between 'films' and 'directorz' in the schema cache",
				"Searched for a foreign key relationship between 'films' and 'directorz' in the schema 'cinema', but no matches were found.",
				"Perhaps you meant 'directors' instead of 'directorz'.")},
	})
}
