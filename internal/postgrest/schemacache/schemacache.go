// Package schemacache reads what the engine needs from pg_catalog: the
// relations and columns of the exposed schemas, their functions with
// argument lists, return shapes and SET options, schema comments, and the
// per-role settings (ALTER ROLE … SET) used for impersonation.
package schemacache

import (
	"context"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Column is one column of a relation.
type Column struct {
	Name        string
	Type        string // format_type, e.g. "integer", "text", "timestamp with time zone"
	Nullable    bool
	HasDefault  bool
	PrimaryKey  bool
	Description string
	Position    int
	Enum        []string
	MaxLen      *int
	BaseType    string // format_type of the domain's base type (else of the type itself), no typmod
	// DataType is PostgREST's data_type (SchemaCache.hs@v16.2): pg_catalog
	// types (and domains over them) without their type modifier, e.g.
	// "character varying", others as format_type prints them. OpenAPI uses it.
	DataType string
	Default  string // the default expression (pg_get_expr), "" for none
}

// Table is a table, view, materialized view or foreign table.
type Table struct {
	Schema, Name, Description        string
	Kind                             string // r, v, m, f, p
	Insertable, Updatable, Deletable bool
	Columns                          []Column
	colIdx                           map[string]int
}

// NewTable returns a relation with columns (tests and the cache loader).
func NewTable(schema, name string, cols ...Column) *Table {
	t := &Table{Schema: schema, Name: name, Kind: "r", Insertable: true, Updatable: true, Deletable: true}
	for _, c := range cols {
		t.AddColumn(c)
	}
	return t
}

// AddColumn appends a column.
func (t *Table) AddColumn(c Column) {
	if t.colIdx == nil {
		t.colIdx = map[string]int{}
	}
	t.colIdx[c.Name] = len(t.Columns)
	t.Columns = append(t.Columns, c)
}

// Column returns the named column.
func (t *Table) Column(name string) (*Column, bool) {
	i, ok := t.colIdx[name]
	if !ok {
		return nil, false
	}
	return &t.Columns[i], true
}

// PKColumns are the primary key column names in key order.
func (t *Table) PKColumns() []string {
	var out []string
	for _, c := range t.Columns {
		if c.PrimaryKey {
			out = append(out, c.Name)
		}
	}
	return out
}

// Param is one input parameter of a function.
type Param struct {
	Name     string // "" for unnamed
	Type     string // format_type
	Required bool
	Variadic bool
}

// TypeMaxLength is the parameter's type with the types that ignore a
// length widened to their varying forms, so that a value of any length
// passes (SchemaCache.hs funcsSqlQuery ppTypeMaxLength@v16.2).
func (p Param) TypeMaxLength() string {
	switch p.Type {
	case "bit":
		return "bit varying"
	case "bit[]":
		return "bit varying[]"
	case "character":
		return "character varying"
	case "character[]":
		return "character varying[]"
	}
	return p.Type
}

// ReturnKind classifies a function's result.
type ReturnKind int

const (
	ReturnScalar    ReturnKind = iota
	ReturnComposite            // table row type, composite type, record with OUT params
	ReturnVoid
)

// Function is one function (each overload separately).
type Function struct {
	Schema, Name, Description string
	OID                       uint32
	Params                    []Param
	Volatility                string // v, s, i
	ReturnsSet                bool
	Return                    ReturnKind
	ReturnType                string // format_type of the (domain base) composite return type, else "record"
	// ReturnTypeSchema and ReturnTypeName name the (domain base) return
	// type: the relation of a row type, else the type (SchemaCache.hs
	// funcsSqlQuery "schema", "name"@v16.2).
	ReturnTypeSchema, ReturnTypeName string
	// Settings are the function's SET options (proconfig), name → value;
	// Config lists them as set ("name=value", in order).
	Settings map[string]string
	Config   []string
}

// ReturnsSingle is a function without SETOF (Routine.hs funcReturnsSingle).
func (f *Function) ReturnsSingle() bool { return !f.ReturnsSet }

// ReturnsScalar is a single scalar, void included (funcReturnsScalar).
func (f *Function) ReturnsScalar() bool { return !f.ReturnsSet && f.Return != ReturnComposite }

// ReturnsSetOfScalar is SETOF a scalar (funcReturnsSetOfScalar).
func (f *Function) ReturnsSetOfScalar() bool { return f.ReturnsSet && f.Return != ReturnComposite }

// ReturnsSingleComposite is one row (funcReturnsSingleComposite).
func (f *Function) ReturnsSingleComposite() bool { return !f.ReturnsSet && f.Return == ReturnComposite }

// ReturnsVoid is RETURNS void (funcReturnsVoid).
func (f *Function) ReturnsVoid() bool { return !f.ReturnsSet && f.Return == ReturnVoid }

// TableName is the name of the composite type a function returns, which
// its results can embed from (Routine.hs funcTableName): "" for scalars.
func (f *Function) TableName() string {
	if f.Return != ReturnComposite {
		return ""
	}
	return f.ReturnTypeName
}

// Isolation is the function's SET default_transaction_isolation, if any.
func (f *Function) Isolation() string { return f.Settings["default_transaction_isolation"] }

// Cache is one snapshot of the catalog.
type Cache struct {
	Schemas        []string
	SchemaComments map[string]*string
	Tables         map[string]map[string]*Table      // schema → name → table
	Functions      map[string]map[string][]*Function // schema → name → overloads
	RoleSettings   map[string]map[string]string      // role → setting → value
	Version        int                               // server_version_num
	Timezones      map[string]bool                   // pg_timezone_names, for Prefer: timezone
	// Relationships are the embeddable relationships by origin.
	Relationships map[RelKey][]*Relationship
	// mediaHandlers are the media type handlers of the database
	// (mediahandlers.go).
	mediaHandlers map[handlerKey]*MediaHandler
	// representations map (source, target) types to a cast function
	// (representations.go).
	representations map[[2]string]string
}

// Table looks up a relation.
func (c *Cache) Table(schema, name string) (*Table, bool) {
	t, ok := c.Tables[schema][name]
	return t, ok
}

// TableNames of a schema, sorted.
func (c *Cache) TableNames(schema string) []string {
	var out []string
	for n := range c.Tables[schema] {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// FunctionNames of a schema, sorted.
func (c *Cache) FunctionNames(schema string) []string {
	var out []string
	for n := range c.Functions[schema] {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// callable is PostgREST's rule (SchemaCache.hs funcsSqlQuery@v16.2): a
// function with unnamed parameters is kept only when that is its single
// parameter and of type bytea, json, jsonb, text or xml. Others cannot be
// called by argument name and are left out of the cache, like trigger
// functions.
func callable(params []Param) bool {
	unnamed := 0
	var typ string
	for _, p := range params {
		if p.Name == "" {
			unnamed++
			typ = p.Type
		}
	}
	switch unnamed {
	case 0:
		return true
	case 1:
		switch typ {
		case "bytea", "json", "jsonb", "text", "xml":
			return true
		}
	}
	return false
}

// Querier is what Load needs (a pool, a conn or a tx).
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const tablesSQL = `
select n.nspname, c.relname, c.relkind::text, coalesce(obj_description(c.oid, 'pg_class'), ''),
  c.relkind in ('r','p') or (pg_relation_is_updatable(c.oid::regclass, true) & 8) = 8,
  c.relkind in ('r','p') or (pg_relation_is_updatable(c.oid::regclass, true) & 4) = 4,
  c.relkind in ('r','p') or (pg_relation_is_updatable(c.oid::regclass, true) & 16) = 16
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r','v','m','f','p') and n.nspname = any($1) and not c.relispartition
order by 1, 2`

const columnsSQL = `
with recursive doms(oid, base) as (
  -- every domain to its ultimate base type, through domains over domains
  -- (SchemaCache.hs baseTypesCte@v16.2)
  select oid, typbasetype from pg_type where typtype = 'd'
  union all
  select d.oid, t.typbasetype from doms d join pg_type t on t.oid = d.base where t.typtype = 'd'
),
base_types as materialized (
  select d.oid, d.base from doms d join pg_type t on t.oid = d.base where t.typtype <> 'd'
)
select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), not a.attnotnull,
  a.atthasdef or a.attidentity <> '' or a.attgenerated <> '',
  coalesce((select true from pg_index i where i.indrelid = c.oid and i.indisprimary and a.attnum = any(i.indkey)), false),
  coalesce(col_description(c.oid, a.attnum), ''), a.attnum::int,
  coalesce((select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e
            where e.enumtypid = coalesce(nullif(t.typbasetype, 0), a.atttypid)), '{}'),
  information_schema._pg_char_max_length(information_schema._pg_truetypid(a.*, t.*), information_schema._pg_truetypmod(a.*, t.*)),
  format_type(bt.oid, null),
  case when t.typtype = 'd' then
    case when bt.typnamespace = 'pg_catalog'::regnamespace then format_type(bt.oid, null)
         else format_type(a.atttypid, a.atttypmod) end
  else
    case when t.typnamespace = 'pg_catalog'::regnamespace then format_type(a.atttypid, null)
         else format_type(a.atttypid, a.atttypmod) end
  end,
  coalesce(case when t.typbasetype <> 0 and not exists (select from pg_attrdef ad where ad.adrelid = a.attrelid and ad.adnum = a.attnum)
                  then pg_get_expr(t.typdefaultbin, 0)
                when a.attidentity = 'd'
                  -- the identity's sequence through pg_depend, as PostgREST's
                  -- tablesSqlQuery@v16.2: pg_get_serial_sequence would need
                  -- USAGE on the schema, which the authenticator may lack
                  then (select format('nextval(%L)', d.objid::regclass) from pg_depend d
                        where d.refobjid = a.attrelid and d.refobjsubid = a.attnum and d.deptype = 'i'
                          and d.classid = 'pg_class'::regclass limit 1)
                when a.attgenerated = 's' then null
                else (select pg_get_expr(ad.adbin, ad.adrelid) from pg_attrdef ad
                      where ad.adrelid = a.attrelid and ad.adnum = a.attnum) end, '')
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_type t on t.oid = a.atttypid
left join base_types tb on tb.oid = a.atttypid
join pg_type bt on bt.oid = coalesce(tb.base, a.atttypid)
where c.relkind in ('r','v','m','f','p') and n.nspname = any($1) and a.attnum > 0 and not a.attisdropped
order by 1, 2, a.attnum`

const functionsSQL = `
select p.oid::int8, n.nspname, p.proname, coalesce(obj_description(p.oid, 'pg_proc'), ''),
  p.provolatile::text, p.proretset, p.prorettype = 'void'::regtype,
  -- SchemaCache.hs funcsSqlQuery: any TABLE, INOUT or OUT argument makes the result composite
  (rt.typtype = 'c' or coalesce(p.proargmodes::text[] && '{t,b,o}', false)),
  case when rt.typtype = 'c' then format_type(rt.oid, null) else 'record' end,
  coalesce(p.proargnames, '{}'), coalesce(p.proargmodes::text[], '{}'),
  coalesce((select array_agg(format_type(x, null) order by o) from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as u(x, o)), '{}'),
  p.pronargdefaults::int, coalesce(p.proconfig, '{}'),
  rtn.nspname, coalesce((select c.relname from pg_class c where c.oid = rt.typrelid), rt.typname)
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
-- a domain over a composite type returns that composite (SchemaCache.hs base_types)
join lateral (
  with recursive d(oid, base) as (
    select t.oid, t.typbasetype from pg_type t where t.oid = p.prorettype
    union all
    select t.oid, t.typbasetype from d join pg_type t on t.oid = d.base)
  select oid from d where base = 0) b on true
join pg_type rt on rt.oid = b.oid
join pg_namespace rtn on rtn.oid = rt.typnamespace
where n.nspname = any($1) and p.prokind = 'f' and p.prorettype <> 'trigger'::regtype
order by 2, 3, 1`

const roleSettingsSQL = `
select r.rolname, coalesce(s.setconfig, '{}')
from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
where s.setdatabase = 0 or s.setdatabase = (select oid from pg_database where datname = current_database())
order by s.setdatabase` // database-specific settings come last and win

// Load reads a snapshot for the given exposed schemas; extraSearchPath
// (db-extra-search-path) widens the views that view keys are followed
// through (viewKeyDeps).
func Load(ctx context.Context, q Querier, schemas, extraSearchPath []string) (*Cache, error) {
	c := &Cache{
		Schemas: schemas, SchemaComments: map[string]*string{},
		Tables: map[string]map[string]*Table{}, Functions: map[string]map[string][]*Function{},
		RoleSettings: map[string]map[string]string{},
	}
	for _, s := range schemas {
		c.Tables[s] = map[string]*Table{}
		c.Functions[s] = map[string][]*Function{}
	}
	if err := q.QueryRow(ctx, `select current_setting('server_version_num')::int`).Scan(&c.Version); err != nil {
		return nil, err
	}
	for _, step := range []func(context.Context, Querier, []string) error{
		c.loadSchemaComments, c.loadTables, c.loadColumns, c.loadFunctions, c.loadTimezones, c.loadRoleSettings,
		c.loadMediaHandlers, c.loadRepresentations,
	} {
		if err := step(ctx, q, schemas); err != nil {
			return nil, err
		}
	}
	vc, err := readViewColumns(ctx, q, append(append([]string{}, schemas...), extraSearchPath...))
	if err != nil {
		return nil, err
	}
	cons, err := loadConstraints(ctx, q)
	if err != nil {
		return nil, err
	}
	deps := viewKeyDeps(c, vc, cons)
	c.addViewPrimaryKeys(deps)
	if err := c.addRelationships(ctx, q, cons, deps); err != nil {
		return nil, err
	}
	return c, nil
}

// loadSchemaComments reads the exposed schemas' comments.
func (c *Cache) loadSchemaComments(ctx context.Context, q Querier, schemas []string) error {
	rows, err := q.Query(ctx, `select n.nspname, obj_description(n.oid, 'pg_namespace') from pg_namespace n where n.nspname = any($1)`, schemas)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		var comment *string
		if err := rows.Scan(&name, &comment); err != nil {
			return err
		}
		c.SchemaComments[name] = comment
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return nil
}

// loadTables reads the relations of the exposed schemas.
func (c *Cache) loadTables(ctx context.Context, q Querier, schemas []string) error {
	rows, err := q.Query(ctx, tablesSQL, schemas)
	if err != nil {
		return err
	}
	for rows.Next() {
		t := &Table{colIdx: map[string]int{}}
		if err := rows.Scan(&t.Schema, &t.Name, &t.Kind, &t.Description, &t.Insertable, &t.Updatable, &t.Deletable); err != nil {
			return err
		}
		c.Tables[t.Schema][t.Name] = t
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return nil
}

// loadColumns reads the columns of the cached relations.
func (c *Cache) loadColumns(ctx context.Context, q Querier, schemas []string) error {
	rows, err := q.Query(ctx, columnsSQL, schemas)
	if err != nil {
		return err
	}
	for rows.Next() {
		var schema, table string
		var col Column
		if err := rows.Scan(&schema, &table, &col.Name, &col.Type, &col.Nullable, &col.HasDefault, &col.PrimaryKey,
			&col.Description, &col.Position, &col.Enum, &col.MaxLen, &col.BaseType, &col.DataType, &col.Default); err != nil {
			return err
		}
		if t, ok := c.Tables[schema][table]; ok {
			t.AddColumn(col)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return nil
}

// loadFunctions reads the callable functions of the exposed schemas.
func (c *Cache) loadFunctions(ctx context.Context, q Querier, schemas []string) error {
	rows, err := q.Query(ctx, functionsSQL, schemas)
	if err != nil {
		return err
	}
	for rows.Next() {
		f := &Function{Settings: map[string]string{}}
		var oid int64
		var isVoid, isComposite bool
		var names, modes, types, config []string
		var ndefaults int
		if err := rows.Scan(&oid, &f.Schema, &f.Name, &f.Description, &f.Volatility, &f.ReturnsSet, &isVoid,
			&isComposite, &f.ReturnType, &names, &modes, &types, &ndefaults, &config, &f.ReturnTypeSchema, &f.ReturnTypeName); err != nil {
			return err
		}
		f.OID = uint32(oid)
		switch {
		case isVoid:
			f.Return = ReturnVoid
		case isComposite:
			f.Return = ReturnComposite
		default:
			f.Return = ReturnScalar
		}
		var inputs []Param
		for i, typ := range types {
			mode := "i"
			if i < len(modes) {
				mode = modes[i]
			}
			if mode != "i" && mode != "b" && mode != "v" {
				continue
			}
			name := ""
			if i < len(names) {
				name = names[i]
			}
			inputs = append(inputs, Param{Name: name, Type: typ, Variadic: mode == "v"})
		}
		for i := range inputs {
			inputs[i].Required = i < len(inputs)-ndefaults
		}
		f.Params = inputs
		if !callable(inputs) {
			continue
		}
		f.Config = config
		for _, kv := range config {
			k, v, _ := strings.Cut(kv, "=")
			f.Settings[k] = v
		}
		c.Functions[f.Schema][f.Name] = append(c.Functions[f.Schema][f.Name], f)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, byName := range c.Functions {
		for _, fs := range byName {
			sortOverloads(fs)
		}
	}
	return nil
}

// loadTimezones reads the time zone names (Prefer: timezone).
func (c *Cache) loadTimezones(ctx context.Context, q Querier, schemas []string) error {
	rows, err := q.Query(ctx, `select name from pg_catalog.pg_timezone_names`)
	if err != nil {
		return err
	}
	c.Timezones = map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		c.Timezones[name] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return nil
}

// loadRoleSettings reads the per-role settings (ALTER ROLE … SET).
func (c *Cache) loadRoleSettings(ctx context.Context, q Querier, schemas []string) error {
	rows, err := q.Query(ctx, roleSettingsSQL)
	if err != nil {
		return err
	}
	for rows.Next() {
		var role string
		var cfg []string
		if err := rows.Scan(&role, &cfg); err != nil {
			return err
		}
		m := c.RoleSettings[role]
		if m == nil {
			m = map[string]string{}
			c.RoleSettings[role] = m
		}
		for _, kv := range cfg {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return nil
}
