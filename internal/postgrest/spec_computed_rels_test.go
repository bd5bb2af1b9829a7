package postgrest

import "testing"

// Computed relationships (functions taking a row type and returning rows
// of a relation, SchemaCache.hs allComputedRels@v16.2) as PostgREST's
// ComputedRelsSpec exercises them, on our own film database.
func TestSpecComputedRels(t *testing.T) {
	t.Parallel()
	e := embedEngine(t, nil)
	runCases(t, e, []tc{
		{name: "SETOF with ROWS 1 is many-to-one, SETOF is one-to-many",
			cite: "T:Query/ComputedRelsSpec.hs:13@v16.2, :33", method: "GET",
			path:   "/employees?select=last_name,boss:supervisor(last_name),team:supervisees(last_name)&order=id",
			status: 200, wantBody: `[{"last_name":"Boss","boss":null,"team":[{"last_name":"Middle"}]},
			  {"last_name":"Middle","boss":{"last_name":"Boss"},"team":[{"last_name":"Junior"},{"last_name":"Intern"}]},
			  {"last_name":"Junior","boss":{"last_name":"Middle"},"team":[]},
			  {"last_name":"Intern","boss":{"last_name":"Middle"},"team":[]}]`},
		{name: "a function returning one row (no SETOF) is to-one, and embeds further",
			cite: "T:Query/ComputedRelsSpec.hs:23@v16.2", method: "GET",
			path:   "/films?select=title,lead_role(character,actors(last_name))&id=eq.2",
			status: 200, wantBody: `[{"title":"Pulp Fiction","lead_role":{"character":"Winston Wolfe","actors":{"last_name":"Keitel"}}}]`},
		{name: "!inner filters the parents",
			cite: "T:Query/ComputedRelsSpec.hs:41@v16.2", method: "GET",
			path:   "/employees?select=last_name,supervisor!inner(last_name)&supervisor.last_name=eq.Middle&order=id",
			hdr:    map[string]string{"Prefer": "count=exact"},
			status: 200, wantHdr: map[string]string{"Content-Range": "0-1/2"},
			wantBody: `[{"last_name":"Junior","supervisor":{"last_name":"Middle"}},{"last_name":"Intern","supervisor":{"last_name":"Middle"}}]`},
		{name: "a function named like a table replaces the detected relationship",
			cite: "T:Query/ComputedRelsSpec.hs:162@v16.2", method: "GET", path: "/posters?select=url,films(title)&order=id",
			status: 200, wantBody: `[{"url":"rd.png","films":null},{"url":"lit.png","films":{"title":"Lost in Translation"}}]`},
		{name: "orders by a computed to-one column and spreads it",
			cite: "T:Query/ComputedRelsSpec.hs:171@v16.2", method: "GET",
			path:   "/employees?select=id,...supervisor(last_name)&order=supervisor(last_name).desc,id&id=gt.1",
			status: 200, wantBody: `[{"id":3,"last_name":"Middle"},{"id":4,"last_name":"Middle"},{"id":2,"last_name":"Boss"}]`},
		{name: "PGRST200's hint names foreign tables, not functions",
			cite: "Error.hs noRelBetweenHint@v16.2 (relForeignTable of every relationship)", method: "GET",
			path:   "/employees?select=supervisorz(*)",
			status: 400, wantBody: errBody("PGRST200", "Could not find a relationship between 'employees' and 'supervisorz' in the schema cache",
				"Searched for a foreign key relationship between 'employees' and 'supervisorz' in the schema 'cinema', but no matches were found.", nil)},
	})
}
