package schemacache

import (
	"strings"
	"testing"
)

func TestSortOverloads(t *testing.T) {
	fn := func(desc, vol string, set bool, params ...Param) *Function {
		return &Function{Schema: "api", Name: "f", Description: desc, Volatility: vol, ReturnsSet: set, Params: params}
	}
	x := func(typ string) Param { return Param{Name: "x", Type: typ, Required: true} }
	y := Param{Name: "y", Type: "integer"}
	fs := []*Function{
		fn("", "v", false, x("text"), y),
		fn("commented", "v", false, x("integer")),
		fn("", "v", false, x("text")),
		fn("", "s", true, x("integer")),
		fn("", "v", true, x("integer")),
		fn("", "v", false, x("integer")),
		fn("", "v", false),
	}
	sortOverloads(fs)
	var got []string
	for _, f := range fs {
		var ps []string
		for _, p := range f.Params {
			ps = append(ps, p.Name+" "+p.Type)
		}
		got = append(got, f.Description+"|"+f.Volatility+"|"+map[bool]string{true: "setof", false: "single"}[f.ReturnsSet]+"|"+strings.Join(ps, ","))
	}
	// fewer parameters first; then no comment before a comment; then the
	// parameters (type names in text order); then single before setof;
	// then volatile before stable (Routine.hs instance Ord at v16.2)
	want := []string{
		"|v|single|",
		"|v|single|x integer",
		"|v|setof|x integer",
		"|s|setof|x integer",
		"|v|single|x text",
		"commented|v|single|x integer",
		"|v|single|x text,y integer",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("order:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
