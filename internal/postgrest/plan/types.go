package plan

import (
	"github.com/authstack/authstack/internal/postgrest/queryparams"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// QI is a schema-qualified identifier; an empty Schema is unqualified (a
// CTE or an alias).
type QI = schemacache.QI

// CoercibleField is a field with what the SQL stage needs to render it in
// one context (Plan/Types.hs CoercibleField@v16.2): its JSON path, whether
// the path applies to to_jsonb(field), full-text conversion, its type.
type CoercibleField struct {
	Name     string
	JSONPath []queryparams.JSONOperand
	ToJSON   bool // the JSON path applies to to_jsonb(field)
	// ToTsVector applies to_tsvector([Lang,] field) (full-text filters on
	// a column that is not a tsvector).
	ToTsVector bool
	TsLang     string
	IRType     string // the column's type ("" when unknown)
	BaseType   string // the base type of a domain, else the type
	Default    string // the column default ("" for none)
	FullRow    bool   // the whole row (count() in a spread)
}

// SelectField is one element of a node's select list
// (CoercibleSelectField).
type SelectField struct {
	Field         CoercibleField
	Aggregate     string // sum, avg, max, min, count ("" for none)
	AggregateCast string
	Cast          string
	Alias         string // "" for none
}

// Filter is a filter on a field, or a null filter on an embedded resource
// (CoercibleFilter, CoercibleFilterNullEmbed).
type Filter struct {
	Field     CoercibleField
	Operation queryparams.Operation
	// NullEmbed: "rel=is.null"/"rel=not.is.null" on an embedded resource,
	// rendered on its aggregate alias (Field.Name); Negated means not.
	NullEmbed bool
}

// LogicTree is a filter or an and/or over subtrees (CoercibleLogicTree).
type LogicTree struct {
	Filter   *Filter
	Negated  bool
	Op       string // "and" / "or"
	Children []LogicTree
}

// OrderTerm is one ORDER BY term (CoercibleOrderTerm): a field of the
// node, or a column of an embedded to-one resource (Relation set).
type OrderTerm struct {
	Field     CoercibleField
	Relation  string // the embedded resource's aggregate alias (or name before addRelatedOrders)
	Direction string // "", "asc", "desc"
	Nulls     string // "", "nullsfirst", "nullslast"
}

// JoinCondition is "qi1"."col1" = "qi2"."col2".
type JoinCondition struct {
	Left, Right QI
	LCol, RCol  string
}

// RelSelectField is what a node selects from one of its children
// (RelSelectField): a JSON object/array embed or the columns of a spread.
type RelSelectField struct {
	Spread     bool
	SelName    string // the embed's name in the output (JsonEmbed)
	AggAlias   string // the child's lateral alias
	ToOne      bool   // JsonEmbed: JSON object (to-one) or array
	EmptyEmbed bool   // JsonEmbed: select=rel() — used for filtering only
	SpreadSel  []SpreadSelectField
}

// SpreadSelectField is one column a spread brings up.
type SpreadSelectField struct {
	SelName       string
	Aggregate     string
	AggregateCast string
	Alias         string
}

// SpreadType marks a spread child (SpreadType): to-one, or to-many with
// the extra selects and order its aggregation needs.
type SpreadType struct {
	ToMany      bool
	ExtraSelect []SpreadExtra
	Order       []OrderTerm
}

// SpreadExtra is an extra select of a to-many spread: a field, taken from
// the named related alias when Rel is set.
type SpreadExtra struct {
	Rel   string
	Field SelectField
}

// ReadPlan is one node of the read plan tree (Plan/ReadPlan.hs ReadPlan).
type ReadPlan struct {
	Select    []SelectField
	From      QI
	FromAlias string
	Where     []LogicTree
	Order     []OrderTerm
	Range     queryparams.Range

	RelName      string
	RelToParent  *schemacache.Relationship
	RelJoinConds []JoinCondition
	RelAlias     string
	RelAggAlias  string
	RelHint      string
	RelJoinType  string // "", "inner", "left"
	RelSpread    *SpreadType
	RelSelect    []RelSelectField
	Depth        int
	// RelIsLegacyTargetNameMatch: an embed referenced by its relation name
	// although it has an alias (url-use-legacy-target-names warning).
	RelIsLegacyTargetNameMatch bool

	Children []*ReadPlan
}

// Name is the node's alias, else its relation name.
func (r *ReadPlan) Name() string {
	if r.RelAlias != "" {
		return r.RelAlias
	}
	return r.RelName
}

// Walk calls f on r and every descendant, parents first.
func (r *ReadPlan) Walk(f func(*ReadPlan)) {
	f(r)
	for _, c := range r.Children {
		c.Walk(f)
	}
}
