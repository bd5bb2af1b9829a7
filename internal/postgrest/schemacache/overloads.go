package schemacache

import (
	"cmp"
	"slices"
)

// sortOverloads orders a function's overloads as PostgREST's schema cache
// does (SchemaCache.hs decodeFuncs `map sort`, Routine.hs `instance Ord
// Routine` at v16.2): fewer parameters first, then by description, the
// parameters, the return type and the volatility. The order shows in
// PGRST203's candidate list.
func sortOverloads(fs []*Function) {
	slices.SortStableFunc(fs, compareOverloads)
}

func compareOverloads(a, b *Function) int {
	if c := cmp.Compare(len(a.Params), len(b.Params)); c != 0 {
		return c
	}
	// Maybe Text: Nothing (no comment) before any text.
	if c := cmp.Compare(a.Description, b.Description); c != 0 {
		return c
	}
	for i := range a.Params {
		if c := compareParams(a.Params[i], b.Params[i]); c != 0 {
			return c
		}
	}
	// RetType: Single before SetOf; PgType: Scalar before Composite, then
	// the type's schema and name.
	if c := compareBool(a.ReturnsSet, b.ReturnsSet); c != 0 {
		return c
	}
	if c := compareBool(a.Return == ReturnComposite, b.Return == ReturnComposite); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ReturnTypeSchema, b.ReturnTypeSchema); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ReturnTypeName, b.ReturnTypeName); c != 0 {
		return c
	}
	return cmp.Compare(volatilityRank(a.Volatility), volatilityRank(b.Volatility))
}

// compareParams: RoutineParam's derived Ord (name, type, the type without
// its length, required, variadic).
func compareParams(a, b Param) int {
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Type, b.Type); c != 0 {
		return c
	}
	if c := cmp.Compare(a.TypeMaxLength(), b.TypeMaxLength()); c != 0 {
		return c
	}
	if c := compareBool(a.Required, b.Required); c != 0 {
		return c
	}
	return compareBool(a.Variadic, b.Variadic)
}

// volatilityRank: FuncVolatility's constructor order.
func volatilityRank(v string) int {
	switch v {
	case "v":
		return 0
	case "s":
		return 1
	}
	return 2
}
