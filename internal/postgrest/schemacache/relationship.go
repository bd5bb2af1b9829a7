package schemacache

// QI is a schema-qualified name (Identifiers.hs QualifiedIdentifier); an
// empty Schema is an unqualified name such as a CTE or an alias.
type QI struct{ Schema, Name string }

// Cardinality of a relationship (Relationship.hs@v16.2).
type Cardinality int

// Cardinalities.
const (
	O2M Cardinality = iota // one-to-many
	M2O                    // many-to-one
	O2O                    // one-to-one
	M2M                    // many-to-many, through a junction
)

// ColPair is a (column, foreign column) pair of a foreign key.
type ColPair struct{ Col, FCol string }

// Junction is the junction table of a many-to-many relationship.
type Junction struct {
	Table                    QI
	Constraint1, Constraint2 string
	ColsSource, ColsTarget   []ColPair
}

// Relationship is a relationship from Table to ForeignTable: a foreign key
// in either direction, a many-to-many through a junction, or a computed
// relationship (a function taking Table's row type).
type Relationship struct {
	Table, ForeignTable QI
	IsSelf              bool
	Cardinality         Cardinality
	Constraint          string    // the foreign key (not M2M)
	Columns             []ColPair // (Table's column, ForeignTable's column)
	IsParent            bool      // O2O: Table is the referenced side
	Junction            *Junction // M2M
	TableIsView         bool
	FTableIsView        bool

	// Computed relationships.
	Computed   bool
	Function   QI
	TableAlias QI
	ToOne      bool
}

// IsToOne is true for many-to-one, one-to-one and to-one computed
// relationships (Relationship.hs relIsToOne).
func (r *Relationship) IsToOne() bool {
	if r.Computed {
		return r.ToOne
	}
	return r.Cardinality == M2O || r.Cardinality == O2O
}

// RelKey indexes relationships by their origin and the schema of the
// request (Relationship.hs RelationshipsMap).
type RelKey struct {
	Origin QI
	Schema string
}
