package postgrest

import (
	"context"
	"strconv"
	"testing"

	"github.com/authstack/authstack/internal/pgtest"
)

// requirePostGIS skips a test when the PostgreSQL of the tests has no
// PostGIS (Debian: postgresql-15-postgis-3, which CI does not install).
func requirePostGIS(t *testing.T) {
	t.Helper()
	pool := pgtest.NewPool(t, pgtest.NewDatabase(t))
	var ok bool
	if err := pool.QueryRow(context.Background(), `select exists (select from pg_available_extensions where name = 'postgis')`).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Skip("PostGIS is not installed (Debian package postgresql-15-postgis-3): the GeoJSON and TWKB cases need it")
	}
}

const postgisFixtureSQL = `
create schema extensions;
create extension postgis with schema extensions;
grant usage on schema public, extensions to anon;
create table stores (id int primary key, address text, store_geom extensions.geometry(POINT, 4326));
insert into stores values (1, '1 Main St', 'SRID=4326;POINT(-71.5 42.25)'), (2, '2 Side St', 'SRID=4326;POINT(-71.25 42.5)'),
  (3, '3 Back St', 'SRID=4326;POINT(-71 42)');
create table beacons (id int primary key, name text, coords extensions.geometry(POINT, 4326),
  area extensions.geometry(POLYGON, 4326), store_id int references stores(id));
insert into beacons values (1, 'B-1', 'SRID=4326;POINT(-71.5 42.25)', 'SRID=4326;POLYGON((0 0, 0 1, 1 1, 0 0))', 1);
create table plain (id int primary key);
insert into plain values (1);
create table lines (id int primary key, name text, geom extensions.geometry(LINESTRING, 4326));
insert into lines values (1, 'line-1', 'SRID=4326;LINESTRING(1 1,5 5)'), (2, 'line-2', 'SRID=4326;LINESTRING(2 2,6 6)');
grant select, insert, update, delete on all tables in schema public to anon;
create function get_store(id int) returns stores language sql as $$ select * from stores where stores.id = $1 $$;
create function get_lines() returns setof lines language sql as $$ select * from lines order by id $$;

create domain "application/vnd.twkb" as bytea;
create domain "application/geo+json" as jsonb;
create function get_line(id int) returns "application/vnd.twkb" language sql as $$
  select extensions.st_astwkb(geom)::"application/vnd.twkb" from lines where lines.id = get_line.id $$;
create function twkb_trans(state "application/vnd.twkb", next lines) returns "application/vnd.twkb" language sql as $$
  select (state || extensions.st_astwkb(next.geom))::"application/vnd.twkb" $$;
create aggregate twkb_agg (lines) (initcond = '', stype = "application/vnd.twkb", sfunc = twkb_trans);
create function lines_geojson_trans(state jsonb, next lines) returns "application/geo+json" language sql as $$
  select (state || extensions.st_asgeojson(next)::jsonb)::"application/geo+json" $$;
create function lines_geojson_final(data jsonb) returns "application/geo+json" language sql as $$
  select jsonb_build_object('type', 'FeatureCollection', 'crs', json_build_object('type', 'name',
    'properties', json_build_object('name', 'EPSG:4326')), 'features', data)::"application/geo+json" $$;
create aggregate lines_geojson_agg (lines) (initcond = '[]', stype = "application/geo+json",
  sfunc = lines_geojson_trans, finalfunc = lines_geojson_final);
`

// TestSpecPostGIS replays PostGISSpec (T:Query/PostGISSpec.hs@v16.2,
// db-extra-search-path public,extensions) and the PostGIS cases of
// CustomMediaSpec and PlanSpec, without the embedding case.
func TestSpecPostGIS(t *testing.T) {
	t.Parallel()
	requirePostGIS(t)
	e := newEngine(t, postgisFixtureSQL, func(env map[string]string) {
		env["PGRST_DB_EXTRA_SEARCH_PATH"] = "public,extensions"
		env["PGRST_DB_PLAN_ENABLED"] = "true"
		env["PGRST_DB_TX_END"] = "rollback-allow-override"
	})
	const cite = "T:Query/PostGISSpec.hs"
	geo := accept("application/geo+json")
	geoCT := map[string]string{"Content-Type": "application/geo+json; charset=utf-8"}
	feature := func(id int, addr, coords string) string {
		return `{"type": "Feature", "geometry": {"type":"Point","coordinates":` + coords + `}, "properties": {"id": ` + itoa(id) + `, "address": "` + addr + `"}}`
	}
	f1, f2, f3 := feature(1, "1 Main St", "[-71.5,42.25]"), feature(2, "2 Side St", "[-71.25,42.5]"), feature(3, "3 Back St", "[-71,42]")
	collection := func(fs ...string) string {
		out := `{"type": "FeatureCollection", "features": [`
		for i, f := range fs {
			if i > 0 {
				out += ","
			}
			out += f
		}
		return out + "]}"
	}
	var all, one []byte
	pool := pgtest.NewPool(t, e.db)
	if err := pool.QueryRow(context.Background(), `select string_agg(extensions.st_astwkb(geom), '' order by id), 
		(select extensions.st_astwkb(geom) from lines where id = 1) from lines`).Scan(&all, &one); err != nil {
		t.Fatal(err)
	}
	twkbAll, twkb1 := string(all), string(one)
	runCases(t, e, []tc{
		{name: "table with a geometry column", cite: cite + ":16", method: "GET", path: "/stores?order=id", hdr: geo, status: 200,
			wantBody: collection(f1, f2, f3), wantHdr: geoCT},
		{name: "table without a geometry column", cite: cite + ":29", method: "GET", path: "/plain", hdr: geo, status: 400,
			wantBody: errBody("22023", "geometry column is missing", nil, nil)},
		{name: "no rows", cite: cite + ":37", method: "GET", path: "/stores?id=gt.3", hdr: geo, status: 200, wantBody: collection(), wantHdr: geoCT},
		{name: "select must include the geometry", cite: cite + ":44", method: "GET", path: "/stores?select=id,store_geom&id=eq.1", hdr: geo,
			status: 200, wantBody: collection(`{"type": "Feature", "geometry": {"type":"Point","coordinates":[-71.5,42.25]}, "properties": {"id": 1}}`)},
		{name: "rpc", cite: cite + ":88", method: "GET", path: "/rpc/get_store?id=1", hdr: geo, status: 200, wantBody: collection(f1), wantHdr: geoCT},
		{name: "after POST", cite: cite + ":99", method: "POST", path: "/stores", hdr: merge(geo, map[string]string{"Prefer": "return=representation"}),
			body: `{"id": 4, "address": "4 New St", "store_geom": "SRID=4326;POINT(-71 42.5)"}`, status: 201,
			wantBody: collection(feature(4, "4 New St", "[-71,42.5]")), wantHdr: geoCT},
		{name: "after PATCH", cite: cite + ":118", method: "PATCH", path: "/stores?id=eq.3", hdr: merge(geo, map[string]string{"Prefer": "return=representation"}),
			body: `{"address": "3 Back Street"}`, status: 200, wantBody: collection(feature(3, "3 Back Street", "[-71,42]"))},
		{name: "after PUT", cite: cite + ":136", method: "PUT", path: "/stores?id=eq.3", hdr: merge(geo, map[string]string{"Prefer": "return=representation"}),
			body: `{"id": 3, "address": "3 Back Street"}`, status: 200,
			wantBody: collection(feature(3, "3 Back Street", "[-71,42]"))},
		{name: "after DELETE", cite: cite + ":154", method: "DELETE", path: "/stores?id=eq.3", hdr: merge(geo, map[string]string{"Prefer": "return=representation"}),
			status: 200, wantBody: collection(f3)},
		{name: "choose the geometry column", cite: cite + ":166", method: "GET", path: "/beacons?select=id,name,area&id=eq.1", hdr: geo, status: 200,
			wantBody: collection(`{"type": "Feature", "geometry": {"type":"Polygon","coordinates":[[[0,0],[0,1],[1,1],[0,0]]]}, "properties": {"id": 1, "name": "B-1"}}`)},
		{name: "geometry in application/json", cite: cite + ":190", method: "GET", path: "/stores?id=eq.1", status: 200,
			wantBody: `[{"id":1,"address":"1 Main St","store_geom":{"type":"Point","crs":{"type":"name","properties":{"name":"EPSG:4326"}},"coordinates":[-71.5,42.25]}}]`},
		// CustomMediaSpec's PostGIS cases
		{name: "twkb aggregate", cite: "T:Query/CustomMediaSpec.hs:16", method: "GET", path: "/lines?order=id", hdr: accept("application/vnd.twkb"),
			status: 200, wantHdr: map[string]string{"Content-Type": "application/vnd.twkb"}, check: both(raw(twkbAll), contentLength)},
		{name: "twkb aggregate by id", cite: "T:Query/CustomMediaSpec.hs:23", method: "GET", path: "/lines?id=eq.1", hdr: accept("application/vnd.twkb"),
			status: 200, check: raw(twkb1)},
		{name: "twkb function", cite: "T:Query/CustomMediaSpec.hs:130", method: "GET", path: "/rpc/get_line?id=1", hdr: accept("application/vnd.twkb"),
			status: 200, check: raw(twkb1)},
		{name: "twkb of a function of the table", cite: "T:Query/CustomMediaSpec.hs:159", method: "GET", path: "/rpc/get_lines",
			hdr: accept("application/vnd.twkb"), status: 200, check: raw(twkbAll)},
		{name: "geo+json override", cite: "T:Query/CustomMediaSpec.hs:195", method: "GET", path: "/lines?id=eq.1", hdr: geo, status: 200,
			wantHdr: map[string]string{"Content-Type": "application/geo+json; charset=utf-8"},
			check: func(t *testing.T, r result) {
				if len(r.body) == 0 || r.body[0] != 1 || !jsonEq(r.body[1:], `{"crs": {"type": "name", "properties": {"name": "EPSG:4326"}}, "type": "FeatureCollection",
					"features": [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[1, 1], [5, 5]]}, "properties": {"id": 1, "name": "line-1"}}]}`) {
					t.Errorf("body %q", r.body)
				}
			}},
		{name: "plan of the twkb aggregate", cite: "T:Query/PlanSpec.hs:441", method: "GET", path: "/lines",
			hdr: accept(`application/vnd.pgrst.plan+json; for="application/vnd.twkb"; options=verbose`), status: 200,
			wantHdr: map[string]string{"Content-Type": `application/vnd.pgrst.plan+json; for="application/vnd.twkb"; options=verbose; charset=utf-8`},
			check:   output("twkb_agg(ROW(lines.id, lines.name, lines.geom)::lines)", 0, "Plan", "Output", 2)},
	})
}

func itoa(i int) string { return strconv.Itoa(i) }
