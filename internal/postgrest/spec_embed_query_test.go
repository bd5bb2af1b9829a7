package postgrest

import "testing"

// Shaping, filtering and paging embedded resources in reads, as PostgREST
// v16.2's QuerySpec exercises them (Plan.hs addFilters/addOrders/addRanges
// on embed paths, QueryBuilder.hs lateral joins), on our own film database.
func TestSpecEmbedQuery(t *testing.T) {
	t.Parallel()
	e := embedEngine(t, nil)
	runCases(t, e, []tc{
		{name: "nested three levels with aliases, per-level order and limit",
			cite: "T:Query/QuerySpec.hs:674@v16.2, :1164", method: "GET",
			path:   "/directors?select=d:last_name,films(title,roles(character,actors(last_name)))&films.order=id&films.roles.order=actor_id&films.roles.limit=1&id=eq.1",
			status: 200, wantBody: `[{"d":"Tarantino","films":[
			  {"title":"Reservoir Dogs","roles":[{"character":"Mr. White","actors":{"last_name":"Keitel"}}]},
			  {"title":"Pulp Fiction","roles":[{"character":"Winston Wolfe","actors":{"last_name":"Keitel"}}]}]}]`},
		{name: "casts and JSON paths inside an embed",
			cite: "T:Query/QuerySpec.hs:599@v16.2, :609", method: "GET",
			path:   "/directors?select=last_name,films(t:title,y:year::text,tags:meta->tags,usd:meta->budget->>usd)&films.order=id&id=eq.1",
			status: 200, wantBody: `[{"last_name":"Tarantino","films":[
			  {"t":"Reservoir Dogs","y":"1992","tags":["crime","heist"],"usd":"1200000"},
			  {"t":"Pulp Fiction","y":"1994","tags":["crime"],"usd":"8000000"}]}]`},
		{name: "an alias names the embed in orders, limits and offsets",
			cite: "T:Query/QuerySpec.hs:1159@v16.2", method: "GET",
			path:   "/directors?select=last_name,movies:films(title)&movies.order=year.desc&movies.limit=1&movies.offset=1&id=eq.1",
			status: 200, wantBody: `[{"last_name":"Tarantino","movies":[{"title":"Reservoir Dogs"}]}]`,
			wantHdr: map[string]string{"Warning": ""}},
		{name: "the relation name of an aliased embed still works, with PostgREST's Warning",
			cite: "T:Query/QuerySpec.hs:1183@v16.2", method: "GET",
			path:   "/directors?select=last_name,movies:films(title)&films.order=year.desc&films.limit=1&id=eq.1",
			status: 200, wantBody: `[{"last_name":"Tarantino","movies":[{"title":"Pulp Fiction"}]}]`,
			wantHdr: map[string]string{"Warning": "299 PostgRESTv16.2 \"Embedded resource was referenced by relation name even though it has an alias. " +
				"This is deprecated and will stop working in a future release. Update `films` to `movies` in query string filters, orders or limits.\""}},
		{name: "an or filter on an embed filters the embed only",
			cite: "T:Query/QuerySpec.hs:1064@v16.2", method: "GET",
			path:   "/films?select=title,roles(character)&roles.or=(character.eq.Pumpkin,character.eq.Mr.%20White)&id=lt.3&order=id",
			status: 200, wantBody: `[{"title":"Reservoir Dogs","roles":[{"character":"Mr. White"}]},{"title":"Pulp Fiction","roles":[{"character":"Pumpkin"}]}]`},
		{name: "a filtered-out parent is null, the row stays",
			cite: "T:Query/QuerySpec.hs:661@v16.2, :665", method: "GET", path: "/films?select=title,directors(last_name)&id=eq.1&directors.last_name=eq.Nobody",
			status: 200, wantBody: `[{"title":"Reservoir Dogs","directors":null}]`},
		{name: "stars on both levels",
			cite: "T:Query/QuerySpec.hs:628@v16.2", method: "GET", path: "/directors?select=*,films(*)&id=eq.3",
			status: 200, wantBody: `[{"id":3,"first_name":"Agnès","last_name":"Varda","films":[
			  {"id":4,"director_id":3,"title":"Cléo from 5 to 7","year":1962,"rating":7.8,"language":"fr","meta":null}]}]`},
		{name: "empty embeds only filter",
			cite: "T:Query/QuerySpec.hs:1441@v16.2", method: "GET", path: "/directors?select=last_name,films!inner()&films.year=gt.2000&order=id",
			status: 200, wantBody: `[{"last_name":"Coppola"}]`},
		{name: "count=exact and Range count the parents only",
			cite: "T:Query/RangeSpec.hs:202@v16.2", method: "GET", path: "/directors?select=last_name,films(title)&films.order=id&order=id",
			hdr: map[string]string{"Prefer": "count=exact", "Range": "0-1"}, status: 206,
			wantHdr: map[string]string{"Content-Range": "0-1/3"},
			wantBody: `[{"last_name":"Tarantino","films":[{"title":"Reservoir Dogs"},{"title":"Pulp Fiction"}]},
			  {"last_name":"Coppola","films":[{"title":"Lost in Translation"}]}]`},
		{name: "a singular response with embeds",
			cite: "T:Query/SingularSpec.hs:23@v16.2", method: "GET", path: "/films?select=title,directors(last_name),posters(url)&id=eq.1",
			hdr: map[string]string{"Accept": "application/vnd.pgrst.object+json"}, status: 200,
			wantHdr:  map[string]string{"Content-Type": "application/vnd.pgrst.object+json; charset=utf-8"},
			wantBody: `{"title":"Reservoir Dogs","directors":{"last_name":"Tarantino"},"posters":{"url":"rd.png"}}`},
	})
	t.Run("without legacy target names", func(t *testing.T) {
		e := embedEngine(t, func(env map[string]string) { env["PGRST_URL_USE_LEGACY_TARGET_NAMES"] = "false" })
		runCases(t, e, []tc{
			{name: "the relation name of an aliased embed is PGRST108",
				cite: "T:Query/QuerySpec.hs:1709@v16.2", method: "GET",
				path:   "/directors?select=last_name,movies:films(title)&films.order=year.desc&id=eq.1",
				status: 400, wantBody: errBody("PGRST108", "'films' is not an embedded resource in this request",
					"Target names are not allowed in filters if they have an alias", "Change 'films' to 'movies' in filters, orders or limits.")},
			{name: "the same table twice under different names",
				cite: "T:Query/QuerySpec.hs:1699@v16.2", method: "GET",
				path:   "/directors?select=last_name,films(title),old:films(title)&films.year=gt.1993&old.year=lt.1993&id=eq.1",
				status: 200, wantBody: `[{"last_name":"Tarantino","films":[{"title":"Pulp Fiction"}],"old":[{"title":"Reservoir Dogs"}]}]`},
		})
	})
}
