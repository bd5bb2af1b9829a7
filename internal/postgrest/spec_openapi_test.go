package postgrest

import (
	"encoding/json"
	"testing"
)

// The foreign key notes of the OpenAPI document come from the
// relationships of the schema cache, as in PostgREST v16.2 (OpenAPI.hs
// makeProperty: the first single-column many-to-one or one-to-one
// relationship of the table in its own schema, tables before views), so
// they follow views, computed overrides and schema boundaries like
// embedding does. Our own film database.
func TestSpecOpenAPIForeignKeyNotes(t *testing.T) {
	e := embedEngine(t, nil)
	r := e.do("GET", "/", nil, "")
	var doc struct {
		Definitions map[string]struct {
			Properties map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatalf("openapi: %v: %s", err, r.body)
	}
	fk := func(tbl, col string) string {
		return "Note:\nThis is a Foreign Key to `" + tbl + "." + col + "`.<fk table='" + tbl + "' column='" + col + "'/>"
	}
	for _, c := range []struct {
		cite, def, col string
		want           any
	}{
		{"T:OpenApi/OpenApiSpec.hs:144@v16.2", "films", "director_id", fk("directors", "id")},
		{"T:OpenApi/OpenApiSpec.hs:179@v16.2 (a view's renamed key column)", "film_listing", "dir_id", fk("directors", "id")},
		{"T:OpenApi/OpenApiSpec.hs:179@v16.2 (a view over a view)", "recent_listing", "dir_id", fk("directors", "id")},
		{"T:OpenApi/OpenApiSpec.hs:225@v16.2 (one-to-one)", "technical_specs", "film_id", "Note:\nThis is a Primary Key.<pk/>\nThis is a Foreign Key to `films.id`.<fk table='films' column='id'/>"},
		{"OpenAPI.hs makeProperty@v16.2 (self reference)", "employees", "supervisor_id", fk("employees", "id")},
		{"OpenAPI.hs makeProperty@v16.2 (composite keys give none)", "screenings", "cinema_id", nil},
		// the computed films(posters) replaces posters -> films; the view
		// exposing films.id is the next candidate
		{"OpenAPI.hs makeProperty@v16.2 (computed override, views after tables)", "posters", "film_id", fk("film_listing", "id")},
	} {
		if got := doc.Definitions[c.def].Properties[c.col]["description"]; got != c.want {
			t.Errorf("[%s] %s.%s description %q, want %q", c.cite, c.def, c.col, got, c.want)
		}
	}
}
