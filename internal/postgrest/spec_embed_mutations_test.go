package postgrest

import "testing"

// Embedding in the representation of writes (Prefer:
// return=representation), as PostgREST v16.2's InsertSpec, UpdateSpec,
// DeleteSpec and UpsertSpec exercise it: the mutation returns the columns
// the embeds join on (Plan.hs inferColsEmbedNeeds) and the read plan embeds
// from the pgrst_source CTE. Our own film database; each case writes its
// own rows.
func TestSpecEmbedMutations(t *testing.T) {
	t.Parallel()
	e := embedEngine(t, nil)
	repr := map[string]string{"Prefer": "return=representation", "Content-Type": "application/json"}
	runCases(t, e, []tc{
		{name: "insert embeds a parent and (empty) children",
			cite: "T:Query/InsertSpec.hs:93@v16.2", method: "POST", path: "/films?select=title,directors(last_name),roles(character)",
			hdr: repr, body: `{"id":20,"director_id":2,"title":"Somewhere","year":2010}`,
			status: 201, wantHdr: map[string]string{"Content-Range": "*/*"},
			wantBody: `[{"title":"Somewhere","directors":{"last_name":"Coppola"},"roles":[]}]`},
		{name: "insert into a self-referencing table embeds the parent by column",
			cite: "T:Query/InsertSpec.hs:697@v16.2", method: "POST", path: "/employees?select=last_name,supervisor_id(last_name)",
			hdr: repr, body: `{"id":9,"last_name":"New","supervisor_id":3}`,
			status: 201, wantBody: `[{"last_name":"New","supervisor_id":{"last_name":"Junior"}}]`},
		{name: "insert with a singular response",
			cite: "T:Query/SingularSpec.hs:116@v16.2", method: "POST", path: "/films?select=title,...directors(last_name)",
			hdr: merge(repr, map[string]string{"Accept": "application/vnd.pgrst.object+json"}), body: `{"id":21,"director_id":3,"title":"Vagabond","year":1985}`,
			status: 201, wantHdr: map[string]string{"Content-Type": "application/vnd.pgrst.object+json; charset=utf-8"},
			wantBody: `{"title":"Vagabond","last_name":"Varda"}`},
		{name: "update embeds children of the updated rows",
			cite: "T:Query/UpdateSpec.hs:457@v16.2", method: "PATCH", path: "/employees?id=eq.2&select=last_name,employees(last_name)&employees.order=id",
			hdr: repr, body: `{"last_name":"Manager"}`,
			status: 200, wantBody: `[{"last_name":"Manager","employees":[{"last_name":"Junior"},{"last_name":"Intern"}]}]`},
		{name: "update embeds many-to-many and nested parents",
			cite: "T:Query/UpdateSpec.hs:538@v16.2", method: "PATCH", path: "/actors?id=eq.4&select=last_name,films(title,directors(last_name))",
			hdr: repr, body: `{"first_name":"William"}`,
			status: 200, wantBody: `[{"last_name":"Murray","films":[{"title":"Lost in Translation","directors":{"last_name":"Coppola"}}]}]`},
		{name: "update with a one-to-one embed and a singular response",
			cite: "T:Query/UpdateSpec.hs:578@v16.2, T:Query/SingularSpec.hs:48", method: "PATCH", path: "/films?id=eq.1&select=title,technical_specs(camera),posters(url)",
			hdr: merge(repr, map[string]string{"Accept": "application/vnd.pgrst.object+json"}), body: `{"rating":8.4}`,
			status: 200, wantBody: `{"title":"Reservoir Dogs","technical_specs":{"camera":"Arri"},"posters":{"url":"rd.png"}}`},
		{name: "delete embeds the parent of the deleted row",
			cite: "T:Query/DeleteSpec.hs:71@v16.2, :78", method: "DELETE", path: "/technical_specs?film_id=eq.2&select=camera,films(title)",
			hdr: repr, status: 200, wantBody: `[{"camera":"Panavision","films":{"title":"Pulp Fiction"}}]`},
		{name: "PUT embeds, spreads included",
			cite: "T:Query/UpsertSpec.hs:557@v16.2", method: "PUT", path: "/technical_specs?film_id=eq.3&select=camera,films(title,...directors(last_name))",
			hdr: repr, body: `{"film_id":3,"camera":"Aaton"}`,
			status: 200, wantBody: `[{"camera":"Aaton","films":{"title":"Lost in Translation","last_name":"Coppola"}}]`},
		{name: "upsert of several rows embeds for each, ordered",
			cite: "T:Query/UpsertSpec.hs:569@v16.2", method: "POST", path: "/posters?select=id,url,films(title)&on_conflict=id&order=id",
			hdr:    merge(repr, map[string]string{"Prefer": "return=representation,resolution=merge-duplicates"}),
			body:   `[{"id":2,"film_id":3,"url":"lit2.png"},{"id":3,"film_id":5,"url":"untitled.png"}]`,
			status: 201, wantBody: `[{"id":2,"url":"lit2.png","films":{"title":"Lost in Translation"}},{"id":3,"url":"untitled.png","films":{"title":"Untitled"}}]`},
	})
}
