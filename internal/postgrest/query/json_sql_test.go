package query

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authstack/authstack/internal/pgtest"
)

// PostgREST's fixture tables for T:Query/JsonOperatorSpec.hs (fixtures/schema.sql, data.sql).
const jsonFixture = `
create table json_arr (id integer primary key, data json);
insert into json_arr values (1, '[1, 2, 3]'), (2, '[4, 5, 6]'), (3, '[[9, 8, 7], [11, 12, 13]]'), (4, '[[[5, 6], 7, 8]]'),
 (5, '[{"a": "A"}, {"b": "B"}]'), (6, '[{"a": [1,2,3]}, {"b": [4,5]}]'), (7, '{"c": [1,2,3], "d": [4,5]}'),
 (8, '{"c": [{"d": [4,5,6,7,8]}]}'), (9, '[{"0xy1": [1,{"23-xy-45": [2, {"xy-6": [3]}]}]}]'),
 (10, '{"!@#$%^&*_a": [{"!@#$%^&*_b": 1}, {"!@#$%^&*_c": [2]}], "!@#$%^&*_d": {"!@#$%^&*_e": 3}}');
create table complex_items (id bigint not null, name text, settings json, arr_data integer[]);
insert into complex_items values (1, 'One', '{"foo":{"int":1,"bar":"baz"}}', '{1}'), (2, 'Two', '{"foo":{"int":1,"bar":"baz"}}', '{1,2}'),
 (3, 'Three', '{"foo":{"int":1,"bar":"baz"}}', '{1,2,3}');
create table arrays (id int primary key, numbers int[], numbers_mult int[]);
insert into arrays values (0, '{1,2,3}', '{{1,2,3},{4,5,6},{7,8,9}}'), (1, '{11,12,13}', '{{11,12,13},{14,15,16},{17,18,19}}');
create table jsonb_test (id integer primary key, data jsonb);
insert into jsonb_test values (1, '{ "a": {"b": 2} }'), (2, '{ "c": [1,2,3] }'), (3, '[{ "d": "test" }]'), (4, '{ "e": 1 }');
create table json_table (data json);
insert into json_table values ('{"foo":{"bar":"baz"},"id":1}'), ('{"id":3}'), ('{"id":0}');
`

var fixtureTypes = map[string]map[string]string{
	"json_arr":      {"id": "integer", "data": "json"},
	"complex_items": {"id": "bigint", "name": "text", "settings": "json", "arr_data": "integer[]"},
	"arrays":        {"id": "integer", "numbers": "integer[]", "numbers_mult": "integer[]"},
	"jsonb_test":    {"id": "integer", "data": "jsonb"},
	"json_table":    {"data": "json"},
}

// fixtureOrder is the column order of each table.
var fixtureOrder = map[string][]string{
	"json_arr":      {"id", "data"},
	"complex_items": {"id", "name", "settings", "arr_data"},
	"arrays":        {"id", "numbers", "numbers_mult"},
	"jsonb_test":    {"id", "data"},
	"json_table":    {"data"},
}

// Messages PostgREST's spec asserts for the error cases.
var wantMessages = map[string]string{
	"select=settings->foo->>bar::integer": `invalid input syntax for type integer: "baz"`,
	"select=data->>c->1":                  "operator does not exist: text -> integer",
	"select=data->>c->b":                  "operator does not exist: text -> unknown",
}

func TestJSONOperatorsSQL(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, jsonFixture); err != nil {
		t.Fatal(err)
	}
	// Each case is a request of T:Query/JsonOperatorSpec.hs with its expected body (or SQLSTATE).
	cases := []struct{ table, query, want string }{
		{"complex_items", "id=eq.1&select=settings->>foo::json", `[{"foo":{"int":1,"bar":"baz"}}]`},
		{"complex_items", "id=eq.1&select=myFoo:settings->>foo::json", `[{"myFoo":{"int":1,"bar":"baz"}}]`},
		{"complex_items", "select=settings->foo->>bar::integer", "22P02"},
		{"complex_items", "id=eq.1&select=settings->foo->>bar", `[{"bar":"baz"}]`},
		{"complex_items", "id=eq.1&select=myInt:settings->foo->>int::integer", `[{"myInt":1}]`},
		{"json_arr", "id=eq.10&select=data->!@%23$%25^%26*_d->>!@%23$%25^%26*_e::integer", `[{"!@#$%^&*_e":3}]`},
		{"json_arr", "select=data->>c->1", "42883"},
		{"json_arr", "select=data->>c->b", "42883"},
		{"json_arr", "select=data->>0::int&id=in.(1,2)", `[{"data":1}, {"data":4}]`},
		{"json_arr", "select=idx0:data->>0::int,idx1:data->>1::int&id=in.(1,2)", `[{"idx0":1,"idx1":2}, {"idx0":4,"idx1":5}]`},
		{"json_arr", "select=data->0->>1::int&id=in.(3,4)", `[{"data":8}, {"data":7}]`},
		{"json_arr", "select=data->0->0->>1::int&id=in.(3,4)", `[{"data":null}, {"data":6}]`},
		{"json_arr", "select=data->0->>a&id=in.(5,6)", `[{"a":"A"}, {"a":"[1,2,3]"}]`},
		{"json_arr", "select=data->0->a->>2&id=in.(5,6)", `[{"a":null}, {"a":"3"}]`},
		{"json_arr", "select=data->c->>0::json&id=in.(7,8)", `[{"c":1}, {"c":{"d": [4,5,6,7,8]}}]`},
		{"json_arr", "select=data->c->0->d->>4::int&id=in.(7,8)", `[{"d":null}, {"d":8}]`},
		{"json_arr", "select=data->0->0xy1->1->23-xy-45->1->xy-6->>0::int&id=eq.9", `[{"xy-6":3}]`},
		{"json_arr", "select=data->c&id=in.(7,8)", `[{"c":[1,2,3]}, {"c":[{"d": [4,5,6,7,8]}]}]`},
		{"arrays", "select=a:numbers->0,b:numbers->1,c:numbers_mult->0->0,d:numbers_mult->1->2", `[{"a":1,"b":2,"c":1,"d":6},{"a":11,"b":12,"c":11,"d":16}]`},
		{"arrays", "select=a:numbers->>0,b:numbers->>1,c:numbers_mult->0->>0,d:numbers_mult->1->>2", `[{"a":"1","b":"2","c":"1","d":"6"},{"a":"11","b":"12","c":"11","d":"16"}]`},
		{"json_table", "data->foo->>bar=eq.baz", `[{"data": {"id": 1, "foo": {"bar": "baz"}}}]`},
		{"json_table", "data->foo->>bar=not.eq.baz", `[]`},
		{"json_table", "data->>id=eq.1", `[{"data": {"id": 1, "foo": {"bar": "baz"}}}]`},
		{"json_arr", "select=data->!@%23$%25^%26*_d&data->!@%23$%25^%26*_d->>!@%23$%25^%26*_e=eq.3", `[{"!@#$%^&*_d": {"!@#$%^&*_e": 3}}]`},
		{"json_arr", "select=data&data->>0=eq.1", `[{"data":[1, 2, 3]}]`},
		{"json_arr", "select=data&data->1->>2=eq.13", `[{"data":[[9, 8, 7], [11, 12, 13]]}]`},
		{"json_arr", "select=data&data->1->b->>1=eq.5", `[{"data":[{"a": [1,2,3]}, {"b": [4,5]}]}]`},
		{"jsonb_test", `data=eq.{"e":1}`, `[{"id":4,"data":{"e": 1}}]`},
		{"jsonb_test", `data->a=eq.{"b":2}`, `[{"id":1,"data":{"a": {"b": 2}}}]`},
		{"jsonb_test", "data->c=eq.[1,2,3]", `[{"id":2,"data":{"c": [1, 2, 3]}}]`},
		{"jsonb_test", `data->0=eq.{"d":"test"}`, `[{"id":3,"data":[{"d": "test"}]}]`},
		{"arrays", "select=id&numbers->0=eq.1", `[{"id":0}]`},
		{"arrays", "select=id&numbers_mult->2->>2=eq.19", `[{"id":1}]`},
		{"json_table", "order=data->>id.asc", `[{"data": {"id": 0}}, {"data": {"id": 1, "foo": {"bar": "baz"}}}, {"data": {"id": 3}}]`},
		{"json_table", "order=data->foo->>bar.nullsfirst", `[{"data": {"id": 3}}, {"data": {"id": 0}}, {"data": {"id": 1, "foo": {"bar": "baz"}}}]`},
		{"arrays", "select=id&order=numbers->0.desc", `[{"id":1},{"id":0}]`},
		{"arrays", "select=id&order=numbers_mult->2->2.asc", `[{"id":0},{"id":1}]`},
		{"json_arr", "select=data->>-1::int&id=in.(1,2)", `[{"data":3}, {"data":6}]`},
		{"json_arr", "select=data->0->>-2::int&id=in.(3,4)", `[{"data":8}, {"data":7}]`},
		{"json_arr", "select=data->-2->>a&id=in.(5,6)", `[{"a":"A"}, {"a":"[1,2,3]"}]`},
		{"json_arr", "select=data&data->-1->>-3=eq.11", `[{"data":[[9, 8, 7], [11, 12, 13]]}]`},
		{"json_arr", "select=data&data->-1->b->>-1=eq.5", `[{"data":[{"a": [1,2,3]}, {"b": [4,5]}]}]`},
	}
	for _, c := range cases {
		sql, args, err := readSQL(testCache(c.table, fixtureTypes[c.table], fixtureOrder[c.table]...), c.table, c.query, "")
		if err != nil {
			t.Errorf("%s?%s: %v", c.table, c.query, err)
			continue
		}
		var out string
		err = conn.QueryRow(ctx, sql, args...).Scan(&out)
		if err != nil {
			var pg *pgconn.PgError
			if !errors.As(err, &pg) || pg.Code != c.want {
				t.Errorf("%s?%s: %v, want %s", c.table, c.query, err, c.want)
			} else if m := wantMessages[c.query]; m != "" && pg.Message != m {
				t.Errorf("%s?%s: message %q, want %q", c.table, c.query, pg.Message, m)
			}
			continue
		}
		var got, want any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(c.want), &want); err != nil {
			t.Errorf("%s?%s: got %s, want %s", c.table, c.query, out, c.want)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s?%s:\n got %s\nwant %s", c.table, c.query, out, c.want)
		}
	}
}
