package queryparams

// JSONOperand is one step of a JSON path: "->key", "->>key", "->0", "->>-1".
type JSONOperand struct {
	Text  bool   // true for ->> (text result), false for ->
	Index bool   // an array index such as "+0" or "-1"
	Value string // the key, or the signed index ("+1", "-2")
}

// Field is a column name with an optional JSON path.
type Field struct {
	Name     string
	JSONPath []JSONOperand
}

// SelectKind tells what a select item is.
type SelectKind int

// Kinds of select items.
const (
	SelectField    SelectKind = iota // a column, "*" or count()
	SelectRelation                   // rel(...): resource embedding
	SelectSpread                     // ...rel(...): spread embedding
)

// SelectItem is one element of select=.
type SelectItem struct {
	Kind          SelectKind
	Field         Field  // SelectField
	Alias         string // alias:...
	Cast          string // ::type
	Aggregate     string // sum, avg, count, max, min ("" if none)
	AggregateCast string
	Relation      string // SelectRelation/SelectSpread
	Hint          string
	JoinType      string // "left" / "inner"
	Children      []SelectItem
}

// Operation is the operator part of a filter value.
type Operation struct {
	Negated    bool
	Op         string   // eq neq gt gte lt lte like ilike match imatch in is isdistinct fts plfts phfts wfts cs cd ov sl sr nxr nxl adj
	Quantifier string   // "any" / "all" for eq(any) etc.
	Value      string   // the single value, or for "is": null, not_null, true, false, unknown
	List       []string // for "in"
	Lang       string   // fts language
}

// Filter is "col=op.value" (or one leaf of a logic tree).
type Filter struct {
	Path      []string // embed path: "rel.col=…" gives [rel]
	Field     Field
	Operation Operation
}

// LogicTree is and=(…)/or=(…): either a leaf Filter or an Op over Children.
type LogicTree struct {
	Filter   *Filter
	Negated  bool
	Op       string // "and" / "or"
	Children []LogicTree
}

// Logic is one and/or parameter with its embed path.
type Logic struct {
	Path []string
	Tree LogicTree
}

// OrderTerm is one element of order=.
type OrderTerm struct {
	Relation  string // rel(col) ordering on an embedded to-one relation
	Field     Field
	Direction string // "", "asc", "desc"
	Nulls     string // "", "nullsfirst", "nullslast"
}

// Order is one order parameter with its embed path.
type Order struct {
	Path  []string
	Terms []OrderTerm
}

// Arg is an RPC argument given in the query string (GET/HEAD /rpc/f?a=1).
type Arg struct {
	Name, Value string
}

// QPError is a query-string syntax error: PostgREST's PGRST100 message and details.
type QPError struct {
	Message string
	Details string
}

func (e *QPError) Error() string { return e.Message + ": " + e.Details }
