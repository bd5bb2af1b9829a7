package fuzzy

import "testing"

// The examples of noRpcHint / noRelBetweenHint in Error.hs@v16.2 (doctests).
func TestPostgRESTDoctests(t *testing.T) {
	procs := New([]string{"test", "another"}) // functions of schema "api"
	params := New([]string{"(name, param, val)", "(attr, id)"})
	cases := []struct {
		set   *Set
		query string
		min   float64
		want  string // "" = no suggestion
	}{
		{procs, "testt", 0.75, "test"},
		{procs, "noclosealternative", 0.75, ""},
		{New([]string{"test", "another"}), "other", 0.75, ""},
		{params, "(nam, pqaram, vall)", 0.33, "(name, param, val)"},
		{params, "(param, val)", 0.33, "(name, param, val)"},
		{params, "(attrs, id)", 0.33, "(attr, id)"},
		{params, "(id)", 0.33, "(attr, id)"},
		{params, "(noclosealternative)", 0.33, ""},
		{New([]string{"films", "directors", "roles", "actors"}), "film", 0.33, "films"},
		{New([]string{"directors", "roles", "actors"}), "role", 0.33, "roles"},
	}
	for _, c := range cases {
		got, ok := c.set.Best(c.query, c.min)
		if !ok {
			got = ""
		}
		if got != c.want {
			t.Errorf("Best(%q, %.2f) = %q, want %q", c.query, c.min, got, c.want)
		}
	}
}
