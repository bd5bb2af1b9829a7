package query

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/apirequest"

	"github.com/authstack/authstack/internal/postgrest/plan"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

var bodyQI = plan.QI{Name: "pgrst_body"}

// jsonBody is the body as rows (fromJsonBodyF): json_to_record(set) with
// the given columns and types, optionally laid over the columns' defaults
// (Prefer: missing=default), optionally only the first row (a call).
type jsonBody struct {
	body          []byte
	isObject      bool
	fields        []plan.CoercibleField
	includeSelect bool
	limitOne      bool
	defaults      bool
}

func (j jsonBody) snippet() Snippet {
	var s Snippet
	if j.includeSelect {
		cols := make([]string, len(j.fields))
		for i, f := range j.fields {
			cols[i] = FromQI(bodyQI) + "." + Ident(f.Name)
		}
		s.S("SELECT ", strings.Join(cols, ", "), " ")
	}
	typ, body, elems, recordset := "json", "pgrst_payload.json_data", "json_array_elements", "json_to_recordset"
	if j.defaults {
		typ, body, elems, recordset = "jsonb", "pgrst_json_defs.val", "jsonb_array_elements", "jsonb_to_recordset"
	}
	if j.isObject {
		recordset = strings.TrimSuffix(recordset, "set")
	}
	var val any
	if j.body != nil {
		val = string(j.body)
	}
	s.S("FROM (SELECT ").P(val).S("::", typ, " AS json_data) pgrst_payload, ")
	if j.defaults {
		defs := j.defaultsObject()
		if j.isObject {
			s.S("LATERAL (SELECT ", defs, " || pgrst_payload.json_data AS val) pgrst_json_defs, ")
		} else {
			s.S("LATERAL (SELECT jsonb_agg(", defs, " || elem) AS val from jsonb_array_elements(pgrst_payload.json_data) elem) pgrst_json_defs, ")
		}
	}
	names := make([]string, len(j.fields))
	typed := make([]string, len(j.fields))
	for i, f := range j.fields {
		names[i] = Ident(f.Name) // pgFmtCoerceNamed: through the json → domain representation
		if f.Transform != "" {
			names[i] = f.Transform + "(" + Ident(f.Name) + ") AS " + Ident(f.Name)
		}
		typed[i] = Ident(f.Name) + " " + f.IRType
	}
	s.S("LATERAL (SELECT ", strings.Join(names, ", "), " FROM ")
	switch {
	case len(j.fields) > 0:
		s.S(recordset, "(", body, ") AS _(", strings.Join(typed, ", "), ") ")
		if j.limitOne {
			s.S("LIMIT 1")
		}
	case j.isObject:
		s.S("(values(1)) _ ")
	default:
		s.S(elems, "(", body, ") _ ")
	}
	return *s.S(") pgrst_body ")
}

func (j jsonBody) defaultsObject() string {
	var parts []string
	for _, f := range j.fields {
		if f.Default != "" {
			parts = append(parts, Literal(f.Name)+", "+f.Default)
		}
	}
	return "jsonb_build_object(" + strings.Join(parts, ",") + ")"
}

// MutatePlanToQuery renders the INSERT, UPDATE or DELETE
// (mutatePlanToQuery).
func MutatePlanToQuery(m *plan.MutatePlan) Snippet {
	switch {
	case m.IsInsert():
		return insertQuery(m)
	case m.Mutation == apirequest.MutationUpdate:
		return updateQuery(m)
	}
	var s Snippet
	s.S("DELETE FROM ", FromQI(m.Table), " ").A(whereLogic(m.Table, m.Where)).S(" ", returning(m.Table, m.Returning))
	return s
}

func whereLogic(qi plan.QI, where []plan.LogicTree) Snippet {
	var s Snippet
	if len(where) == 0 {
		return s
	}
	conds := make([]Snippet, len(where))
	for i, w := range where {
		conds[i] = logicTree(qi, w)
	}
	return *s.S(" WHERE ").Join(" AND ", conds)
}

func insertQuery(m *plan.MutatePlan) Snippet {
	var s Snippet
	s.S("INSERT INTO ", FromQI(m.Table))
	cols := make([]string, len(m.Cols))
	for i, c := range m.Cols {
		cols[i] = Ident(c.Name)
	}
	if len(cols) == 0 {
		s.S(" ")
	} else {
		s.S("(", strings.Join(cols, ", "), ") ")
	}
	s.A(jsonBody{body: m.Body, isObject: m.BodyIsObject, fields: m.Cols, includeSelect: true, defaults: m.ApplyDefaults}.snippet())
	merge := m.OnConflict && m.Resolution == "merge-duplicates"
	if len(m.Where) > 0 {
		conds := make([]Snippet, len(m.Where))
		for i, w := range m.Where {
			conds[i] = logicTree(bodyQI, w)
		}
		s.S("WHERE ", addConfigPgrstInserted(true), " AND ").Join(" AND ", conds)
	} else if merge {
		s.S("WHERE ", addConfigPgrstInserted(true))
	}
	if m.OnConflict && len(m.ConflictCols) > 0 {
		cc := make([]string, len(m.ConflictCols))
		for i, c := range m.ConflictCols {
			cc[i] = Ident(c)
		}
		s.S(" ON CONFLICT(", strings.Join(cc, ", "), ") ")
		switch {
		case !merge || len(m.Cols) == 0:
			s.S("DO NOTHING")
		default:
			sets := make([]string, len(m.Cols))
			for i, c := range m.Cols {
				sets[i] = Ident(c.Name) + " = EXCLUDED." + Ident(c.Name)
			}
			s.S("DO UPDATE SET ", strings.Join(sets, ", "))
			if len(m.Where) > 0 || merge {
				s.S(" WHERE ", addConfigPgrstInserted(false))
			}
		}
	}
	return *s.S(" ", returning(m.Table, m.Returning))
}

func updateQuery(m *plan.MutatePlan) Snippet {
	var s Snippet
	if len(m.Cols) == 0 {
		// UPDATE … SET without columns is invalid: an empty result with
		// the returned columns' names instead.
		cols := "NULL"
		if len(m.Returning) > 0 {
			parts := make([]string, len(m.Returning))
			for i, c := range m.Returning {
				parts[i] = column(plan.QI{Name: m.Table.Name}, c)
			}
			cols = strings.Join(parts, ", ")
		}
		return *s.S("SELECT ", cols, " FROM ", FromQI(m.Table), " WHERE false")
	}
	sets := make([]string, len(m.Cols))
	for i, c := range m.Cols {
		sets[i] = Ident(c.Name) + " = " + FromQI(bodyQI) + "." + Ident(c.Name)
	}
	s.S("UPDATE ", FromQI(m.Table), " SET ", strings.Join(sets, ", "), " ")
	s.A(jsonBody{body: m.Body, isObject: m.BodyIsObject, fields: m.Cols, defaults: m.ApplyDefaults}.snippet())
	return *s.A(whereLogic(m.Table, m.Where)).S(" ", returning(m.Table, m.Returning))
}

// CallPlanToQuery renders the function call the result is read from
// (callPlanToQuery).
func CallPlanToQuery(c *plan.CallPlan) Snippet {
	var s Snippet
	scalar := c.Scalar || c.SetOfScalar
	if scalar {
		s.S("SELECT pgrst_call.pgrst_scalar ")
	} else {
		s.S("SELECT ", returnedColumns(c), " ")
	}
	callIt := func(args Snippet) Snippet {
		var x Snippet
		if scalar {
			return *x.S("(SELECT ", FromQI(c.Func), "(").A(args).S(") pgrst_scalar) pgrst_call")
		}
		return *x.S(FromQI(c.Func), "(").A(args).S(") pgrst_call")
	}
	switch {
	case c.OnePos != nil:
		return *s.S("FROM ").A(callIt(singleParameter(c, c.OnePos.Type)))
	case len(c.Params) == 0:
		return *s.S("FROM ").A(callIt(Snippet{}))
	case c.DirectArgs:
		return *s.S("FROM ").A(callIt(directArgs(c)))
	}
	fields := make([]plan.CoercibleField, len(c.Params))
	named := make([]string, len(c.Params))
	for i, p := range c.Params {
		fields[i] = plan.CoercibleField{Name: p.Name, IRType: p.TypeMaxLength()}
		named[i] = variadic(p) + Ident(p.Name) + " := pgrst_body." + Ident(p.Name)
	}
	s.A(jsonBody{body: c.JSONArgs, isObject: c.JSONIsObject, fields: fields, limitOne: true}.snippet())
	return *s.S(", LATERAL ").A(callIt(SQL(strings.Join(named, ", "))))
}

func variadic(p schemacache.Param) string {
	if p.Variadic {
		return "VARIADIC "
	}
	return ""
}

// returnedColumns are the function's columns the read plan needs and
// filters on (callPlanToQuery returnedColumns).
func returnedColumns(c *plan.CallPlan) string {
	call := plan.QI{Name: "pgrst_call"}
	switch {
	case len(c.Returning) == 0:
		return "*"
	case len(c.Returning) == 1 && c.Returning[0] == "*":
		return column(call, "*")
	}
	set := map[string]bool{}
	for _, r := range append(append([]string(nil), c.Returning...), c.FilterFields...) {
		set[r] = true
	}
	var parts []string
	for _, k := range sortedKeys(set) {
		parts = append(parts, column(call, k))
	}
	return strings.Join(parts, ", ")
}

func directArgs(c *plan.CallPlan) Snippet {
	var s Snippet
	for i, p := range c.Params {
		if i > 0 {
			s.S(", ")
		}
		s.S(variadic(p), Ident(p.Name), " := ")
		v, ok := c.Direct[p.Name]
		switch {
		case !ok:
			s.S("NULL")
		case v.Variadic:
			s.P(v.Values).S("::text[]")
		default:
			s.P(Text(v.Values[0]))
		}
		s.S("::", p.TypeMaxLength())
	}
	return s
}

// singleParameter binds the whole body to the single unnamed parameter:
// bytea as is, other types from their text (singleParameter).
func singleParameter(c *plan.CallPlan, typ string) Snippet {
	var body []byte
	switch {
	case c.DirectArgs:
		body = directArgsJSON(c)
	default:
		body = c.JSONArgs
	}
	var s Snippet
	if typ == "bytea" {
		var v any
		if body != nil {
			v = body
		}
		return *s.P(v)
	}
	var v any
	if body != nil {
		v = string(body)
	}
	return *s.P(v).S("::", typ)
}

// directArgsJSON is the arguments as one JSON object, for a single
// unnamed parameter called with GET or a form (CallPlan.hs RpcParamValue
// ToJSON).
func directArgsJSON(c *plan.CallPlan) []byte {
	obj := make(map[string]any, len(c.Direct))
	for k, v := range c.Direct {
		if v.Variadic {
			obj[k] = v.Values
		} else {
			obj[k] = v.Values[0]
		}
	}
	b, _ := json.Marshal(obj)
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
