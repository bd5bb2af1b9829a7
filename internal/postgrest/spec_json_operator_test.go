package postgrest

import "testing"

// TestSpecJsonOperator replays PostgREST v16.2's JsonOperatorSpec
// (test/spec/Feature/Query/JsonOperatorSpec.hs) on the project's fixture:
// -> and ->> in select on json columns and on other types.
func TestSpecJsonOperator(t *testing.T) {
	t.Parallel()
	runBothModesReadOnly(t, func(t *testing.T, e *engine) []tc {
		return []tc{
			{name: "->> on a json column keeps json's own text", cite: "T:Query/JsonOperatorSpec.hs:113@v16.2",
				method: "GET", path: "/docs?select=data->0->>a&order=id", status: 200,
				wantBody: `[{"a":"A"},{"a":"[1,2,3]"}]`},
			{name: "-> on a json column keeps json's own text", cite: "T:Query/JsonOperatorSpec.hs:290@v16.2",
				method: "GET", path: "/docs?select=data->-2->>a&id=eq.2", status: 200,
				wantBody: `[{"a":"[1,2,3]"}]`},
			{name: "json path on a non-json column goes through to_jsonb", cite: "Plan.hs resolveTypeOrUnknown@v16.2",
				method: "GET", path: "/docs?select=id->>x&id=eq.1", status: 200,
				wantBody: `[{"x":null}]`},
		}
	})
}
