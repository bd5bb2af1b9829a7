package query

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/authstack/authstack/internal/pgtest"
)

// PostgREST's fixture rows for T:Query/AndOrParamsSpec.hs (fixtures/data.sql).
const andOrFixture = `
create table entities (id integer primary key, name text, arr integer[], text_search_vector tsvector);
insert into entities values (1, 'entity 1', '{1}', '''bar'':2 ''foo'':1'), (2, 'entity 2', '{1,2}', '''baz'':1 ''qux'':2'),
 (3, 'entity 3', '{1,2,3}', null), (4, null, null, null);
create table grandchild_entities (id integer primary key, name text, child_id integer, or_starting_col text, and_starting_col text, jsonb_col jsonb);
insert into grandchild_entities values (1, 'grandchild entity 1', 1, null, null, null), (2, 'grandchild entity 2', 1, null, null, null),
 (3, 'grandchild entity 3', 2, null, null, null), (4, '(grandchild,entity,4)', 2, null, null, '{"a": {"b":"foo"}}'),
 (5, '(grandchild,entity,5)', 2, null, null, '{"b":"bar"}');
create table ranges (id integer primary key, range int4range);
insert into ranges values (1, '[1,3]'), (2, '[3,6]'), (3, '[6,9]'), (4, '[9,12]'), (5, null);
`

func TestAndOrParamsSQL(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, andOrFixture); err != nil {
		t.Fatal(err)
	}
	types := map[string]map[string]string{
		"entities":            {"id": "integer", "name": "text", "arr": "integer[]", "text_search_vector": "tsvector"},
		"grandchild_entities": {"id": "integer", "name": "text", "child_id": "integer", "jsonb_col": "jsonb"},
		"ranges":              {"id": "integer", "range": "int4range"},
	}
	// Requests and bodies of T:Query/AndOrParamsSpec.hs (ids only, ordered by id).
	cases := []struct{ table, query, want string }{
		{"entities", "or=(id.eq.1,id.eq.2)", "[1,2]"},
		{"entities", "not.or=(id.eq.1,id.eq.2)", "[3,4]"},
		{"entities", "or=(id.eq.1,id.eq.2)&name=eq.entity 1", "[1]"},
		{"entities", "or=(and(name.eq.entity 2,id.eq.2),and(name.eq.entity 1,id.eq.1))", "[1,2]"},
		{"entities", "or=(not.and(name.eq.entity 2,id.eq.2),not.and(name.eq.entity 1,id.eq.1))", "[1,2,3,4]"},
		{"entities", "and=(id.eq.1,name.eq.entity 1)&or=(id.eq.1,id.eq.2)", "[1]"},
		{"entities", "and=(id.eq.1,id.neq.2))", "[1]"},
		{"entities", "or=(id.lt.2,id.gt.3)", "[1,4]"},
		{"entities", "or=(id.lte.2,id.gte.3)", "[1,2,3,4]"},
		{"entities", "or=(name.like.*1,name.ilike.*ENTITY 2)", "[1,2]"},
		{"entities", "or=(id.in.(1,2),id.in.(3,4))", "[1,2,3,4]"},
		{"entities", "and=(name.is.null,arr.is.null)", "[4]"},
		{"entities", "or=(text_search_vector.fts.bar,text_search_vector.fts.baz)", "[1,2]"},
		{"grandchild_entities", "or=(jsonb_col.fts.bar,jsonb_col.fts.foo)", "[4,5]"},
		{"entities", "and=(id.gte.2,arr.isdistinct.{1,2})", "[3,4]"},
		{"entities", "or=(arr.cs.{1,2,3},arr.cd.{1})", "[1,3]"},
		{"ranges", "range=eq.[1,3]", "[1]"},
		{"ranges", "range=neq.[1,3]", "[2,3,4]"},
		{"ranges", "range=lt.[1,10]", "[1]"},
		{"ranges", "range=gt.[8,11]", "[4]"},
		{"ranges", "range=cs.[1,2]", "[1]"},
		{"ranges", "range=cd.[1,6]", "[1,2]"},
		{"ranges", "range=ov.[0,4]", "[1,2]"},
		{"ranges", "range=sl.[9,10]", "[1,2]"},
		{"ranges", "range=sr.[3,4]", "[3,4]"},
		{"ranges", "range=nxr.[4,7]", "[1,2]"},
		{"ranges", "range=nxl.[4,7]", "[3,4]"},
		{"ranges", "range=adj.(3,10]", "[1]"},
		{"ranges", "range=isdistinct.[1,3]", "[2,3,4,5]"},
		{"entities", "arr=eq.{1,2,3}", "[3]"},
		{"entities", "arr=neq.{1,2}", "[1,3]"},
		{"entities", "arr=lt.{2,0}", "[1,2,3]"},
		{"entities", "arr=gt.{3}", "[]"},
		{"entities", "arr=lte.{1,2}", "[1,2]"},
		{"entities", "arr=cd.{1,2,6}", "[1,2]"},
		{"entities", "arr=ov.{2,3}", "[2,3]"},
		{"entities", "arr=isdistinct.{1,2}", "[1,3,4]"},
		{"entities", "and=(arr.not.cs.{1,2,3},and(id.not.eq.2,name.not.like.*3))", "[1]"},
		{"entities", "and=(id.not.in.(1,3),and(name.not.is.null,text_search_vector.not.fts.foo))", "[2]"},
		{"entities", "and=(arr.not.cd.{1},or(id.not.lt.1,id.not.gte.3))", "[2,3]"},
		{"entities", "and=(name.not.ilike.*ITY2,or(id.not.gt.4,id.not.lte.1))", "[1,2,3]"},
		{"entities", "and=(id.not.eq.2,arr.not.isdistinct.{1,2,3})", "[3]"},
		{"grandchild_entities", `or=(name.eq."(grandchild,entity,4)",name.eq."(grandchild,entity,5)")`, "[4,5]"},
		{"grandchild_entities", `or=(name.like."*ity,4*",name.ilike."*ITY,5)")`, "[4,5]"},
		{"grandchild_entities", `or=(id.in.("1","2"),id.in.("3","4"))`, "[1,2,3,4]"},
		{"entities", "and=( and ( id.in.( 1, 2, 3 ) , id.eq.3 ) , or ( id.eq.2 , id.eq.3 ) )", "[3]"},
		{"entities", "or=(id.eq.1)", "[1]"},
		{"grandchild_entities", "and=(id.in.(1,2), id.in.(3,1), id.in.(1,4))", "[1]"},
		{"grandchild_entities", "or=( id.eq.1, id.eq.2, and(id.in.(1,3), id.in.(2,3)), id.eq.4 )", "[1,2,3,4]"},
		{"grandchild_entities", "and=( id.eq.1, not.or(id.eq.2, id.eq.3), id.in.(1,4), or(id.eq.1, id.eq.4) )", "[1]"},
		{"grandchild_entities", "or=(jsonb_col->a->>b.eq.foo, jsonb_col->>b.eq.bar)", "[4,5]"},
	}
	for _, c := range cases {
		sql, args, err := readSQL(testCache(c.table, types[c.table]), c.table, "select=id&"+c.query, "json_agg(id ORDER BY id)")
		if err != nil {
			t.Errorf("%s?%s: %v", c.table, c.query, err)
			continue
		}
		var out string
		if err := conn.QueryRow(ctx, sql, args...).Scan(&out); err != nil {
			t.Errorf("%s?%s: %v", c.table, c.query, err)
			continue
		}
		var got, want []int
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(c.want), &want); err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s?%s: got %v want %v", c.table, c.query, got, want)
		}
	}
}
