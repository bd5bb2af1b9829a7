package postgrest

import "testing"

// Relationship detection and disambiguation, as PostgREST v16.2's
// EmbedDisambiguationSpec exercises them, on our own film database
// (embedfixture_test.go): every kind of relationship of SchemaCache.hs and
// the hints of Plan.hs findRel, with PostgREST's PGRST200/PGRST201 bodies.
func TestSpecEmbedDisambiguation(t *testing.T) {
	t.Parallel()
	e := embedEngine(t, nil)
	ambiguousOrders := `{"code":"PGRST201","details":[
	  {"cardinality":"many-to-one","embedding":"orders with addresses","relationship":"billing using orders(billing_address_id) and addresses(id)"},
	  {"cardinality":"many-to-one","embedding":"orders with addresses","relationship":"shipping using orders(shipping_address_id) and addresses(id)"}],
	  "hint":"Try changing 'addresses' to one of the following: 'addresses!billing', 'addresses!shipping'. Find the desired relationship in the 'details' key.",
	  "message":"Could not embed because more than one relationship was found for 'orders' and 'addresses'"}`
	runCases(t, e, []tc{
		{name: "two foreign keys to one table are ambiguous, candidates in PostgREST's order",
			cite: "T:Query/EmbedDisambiguationSpec.hs:123@v16.2", method: "GET", path: "/orders?select=*,addresses(*)",
			status: 300, wantBody: ambiguousOrders,
			wantHdr: map[string]string{"Content-Type": "application/json; charset=utf-8"}},
		{name: "a referenced column common to both keys is still ambiguous",
			cite: "Plan.hs findRel matchFKRefSingleCol@v16.2", method: "GET", path: "/orders?select=name,addresses!id(city)",
			status: 300, wantBody: ambiguousOrders},
		{name: "foreign key names and columns disambiguate, aliases keep both",
			cite: "T:Query/EmbedDisambiguationSpec.hs:231@v16.2, :282", method: "GET",
			path:   "/orders?select=name,billing:addresses!billing(city),shipping:addresses!shipping_address_id(city)&order=id",
			status: 200, wantBody: `[{"name":"books","billing":{"city":"Paris"},"shipping":{"city":"Lyon"}},
			  {"name":"lamp","billing":{"city":"Lyon"},"shipping":{"city":"Lyon"}}]`},
		{name: "the one-to-many side takes the same hint",
			cite: "T:Query/EmbedDisambiguationSpec.hs:244@v16.2", method: "GET", path: "/addresses?select=name,orders!billing(name)&order=id",
			status: 200, wantBody: `[{"name":"Home","orders":[{"name":"books"}]},{"name":"Office","orders":[{"name":"lamp"}]}]`},
		{name: "the constraint name as target (deprecated) embeds under that name",
			cite: "T:Query/EmbedDisambiguationSpec.hs:175@v16.2", method: "GET", path: "/orders?select=name,billing(city)&order=id",
			status: 200, wantBody: `[{"name":"books","billing":{"city":"Paris"}},{"name":"lamp","billing":{"city":"Lyon"}}]`},
		{name: "the foreign key column as target (deprecated)",
			cite: "T:Query/EmbedDisambiguationSpec.hs:255@v16.2", method: "GET", path: "/orders?select=name,billing_address_id(city)&order=id",
			status: 200, wantBody: `[{"name":"books","billing_address_id":{"city":"Paris"}},{"name":"lamp","billing_address_id":{"city":"Lyon"}}]`},
		{name: "a view selecting a key column twice gives one relationship per column",
			cite: "T:Query/EmbedDisambiguationSpec.hs:137@v16.2", method: "GET", path: "/orders_twice?select=*,addresses(*)",
			status: 300, wantBody: `{"code":"PGRST201","details":[
			  {"cardinality":"many-to-one","embedding":"orders_twice with addresses","relationship":"billing using orders_twice(bill_a) and addresses(id)"},
			  {"cardinality":"many-to-one","embedding":"orders_twice with addresses","relationship":"billing using orders_twice(bill_b) and addresses(id)"}],
			  "hint":"Try changing 'addresses' to one of the following: 'addresses!billing', 'addresses!billing'. Find the desired relationship in the 'details' key.",
			  "message":"Could not embed because more than one relationship was found for 'orders_twice' and 'addresses'"}`},
		{name: "self reference: the column target is the many-to-one side",
			cite: "T:Query/EmbedDisambiguationSpec.hs:367@v16.2", method: "GET", path: "/employees?select=last_name,supervisor_id(last_name)&order=id",
			status: 200, wantBody: `[{"last_name":"Boss","supervisor_id":null},{"last_name":"Middle","supervisor_id":{"last_name":"Boss"}},
			  {"last_name":"Junior","supervisor_id":{"last_name":"Middle"}},{"last_name":"Intern","supervisor_id":{"last_name":"Middle"}}]`},
		{name: "self reference: the table target is the one-to-many side, also with the column hint",
			cite: "T:Query/EmbedDisambiguationSpec.hs:375@v16.2", method: "GET",
			path:   "/employees?select=last_name,employees(last_name),team:employees!supervisor_id(id)&employees.order=id&team.order=id&id=lt.3&order=id",
			status: 200, wantBody: `[{"last_name":"Boss","employees":[{"last_name":"Middle"}],"team":[{"id":2}]},
			  {"last_name":"Middle","employees":[{"last_name":"Junior"},{"last_name":"Intern"}],"team":[{"id":3},{"id":4}]}]`},
		{name: "no relationship: PGRST200 with a close name as hint",
			cite: "Error.hs noRelBetweenHint@v16.2", method: "GET", path: "/films?select=title,directorz(*)",
			status: 400, wantBody: errBody("PGRST200", "Could not find a relationship between 'films' and 'directorz' in the schema cache",
				"Searched for a foreign key relationship between 'films' and 'directorz' in the schema 'cinema', but no matches were found.",
				"Perhaps you meant 'directors' instead of 'directorz'.")},
		{name: "a junction outside the exposed schemas gives no many-to-many and no hint",
			cite: "T:Query/EmbedDisambiguationSpec.hs:506@v16.2", method: "GET", path: "/tags?select=name,films(title)",
			status: 400, wantBody: errBody("PGRST200", "Could not find a relationship between 'tags' and 'films' in the schema cache",
				"Searched for a foreign key relationship between 'tags' and 'films' in the schema 'cinema', but no matches were found.", nil)},
		{name: "the same table embedded twice without aliases is PostgreSQL's 42712",
			cite: "QueryBuilder.hs getJoins@v16.2 (aggregate aliases collide)", method: "GET",
			path:   "/orders?select=name,addresses!billing(city),addresses!shipping(city)",
			status: 400, wantBody: errBody("42712", `table name "orders_addresses_1" specified more than once`, nil, nil)},
	})
}

// Every kind of relationship SchemaCache.hs@v16.2 detects, embedded from
// both sides: composite keys, one-to-one, many-to-many, partitioned
// tables, views (renamed keys, views over views, view to view) and
// materialized views.
func TestSpecEmbedRelationshipKinds(t *testing.T) {
	t.Parallel()
	e := embedEngine(t, nil)
	runCases(t, e, []tc{
		{name: "a composite foreign key joins on every column",
			cite: "T:Query/QuerySpec.hs:709@v16.2", method: "GET", path: "/screenings?select=id,screens(seats)&order=id",
			status: 200, wantBody: `[{"id":1,"screens":{"seats":40}},{"id":2,"screens":{"seats":250}},{"id":3,"screens":{"seats":100}}]`},
		{name: "one-to-one (primary key or unique foreign key) embeds an object both ways",
			cite: "T:Query/QuerySpec.hs:720@v16.2", method: "GET",
			path:   "/films?select=title,technical_specs(camera),posters(url)&id=lt.3&order=id",
			status: 200, wantBody: `[{"title":"Reservoir Dogs","technical_specs":{"camera":"Arri"},"posters":{"url":"rd.png"}},
			  {"title":"Pulp Fiction","technical_specs":{"camera":"Panavision"},"posters":null}]`},
		{name: "one-to-one from the referencing side",
			cite: "T:Query/QuerySpec.hs:720@v16.2", method: "GET", path: "/technical_specs?select=camera,films(title)&film_id=eq.1",
			status: 200, wantBody: `[{"camera":"Arri","films":{"title":"Reservoir Dogs"}}]`},
		{name: "many-to-many through a junction whose key holds both foreign keys",
			cite: "T:Query/QuerySpec.hs:679@v16.2", method: "GET", path: "/films?select=title,competitions(name)&id=eq.3",
			status: 200, wantBody: `[{"title":"Lost in Translation","competitions":[{"name":"Academy Awards"}]}]`},
		{name: "the junction table as hint picks a many-to-many",
			cite: "T:Query/EmbedDisambiguationSpec.hs:307@v16.2", method: "GET",
			path:   "/films?select=title,actors!roles(last_name)&actors.order=id&id=eq.1",
			status: 200, wantBody: `[{"title":"Reservoir Dogs","actors":[{"last_name":"Keitel"},{"last_name":"Roth"}]}]`},
		{name: "a hint that matches nothing is PGRST200 naming the hint",
			cite: "T:Query/EmbedDisambiguationSpec.hs:216@v16.2", method: "GET", path: "/films?select=title,actors!nominations(last_name)",
			status: 400, wantBody: errBody("PGRST200", "Could not find a relationship between 'films' and 'actors' in the schema cache",
				"Searched for a foreign key relationship between 'films' and 'actors' using the hint 'nominations' in the schema 'cinema', but no matches were found.", nil)},
		{name: "a partitioned table embeds both ways",
			cite: "T:Query/QuerySpec.hs:797@v16.2", method: "GET",
			path:   "/films?select=title,box_office(gross)&box_office.order=bo_date&id=eq.3",
			status: 200, wantBody: `[{"title":"Lost in Translation","box_office":[{"gross":1000},{"gross":250}]}]`},
		{name: "a view gets the relationships of its base table's renamed key column",
			cite: "T:Query/QuerySpec.hs:895@v16.2", method: "GET", path: "/film_listing?select=title,directors(last_name)&id=eq.3",
			status: 200, wantBody: `[{"title":"Lost in Translation","directors":{"last_name":"Coppola"}}]`},
		{name: "a table embeds a view of its referencing table",
			cite: "T:Query/QuerySpec.hs:905@v16.2", method: "GET", path: "/directors?select=last_name,film_listing(title)&id=eq.2",
			status: 200, wantBody: `[{"last_name":"Coppola","film_listing":[{"title":"Lost in Translation"}]}]`},
		{name: "view to view, through a view over a view",
			cite: "T:Query/QuerySpec.hs:924@v16.2", method: "GET", path: "/recent_listing?select=title,directors_v(last_name)&order=id",
			status: 200, wantBody: `[{"title":"Lost in Translation","directors_v":{"last_name":"Coppola"}},{"title":"Untitled","directors_v":null}]`},
		{name: "a materialized view exposing a referenced key is embeddable both ways",
			cite: "T:Query/QuerySpec.hs:887@v16.2, :994", method: "GET",
			path:   "/film_stats?select=cast_size,roles(character)&film_id=eq.1",
			status: 200, wantBody: `[{"cast_size":2,"roles":[{"character":"Mr. White"},{"character":"Mr. Orange"}]}]`},
	})
}
