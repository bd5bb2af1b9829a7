package postgrest

import "testing"

// embedFixtureSQL is our own film database for the embedding specs
// (spec_embed_*_test.go, spec_*_queries_test.go, spec_computed_rels_test.go):
// every kind of relationship PostgREST v16.2 detects (SchemaCache.hs,
// docs/references/api/resource_embedding.rst), each with a few rows.
const embedFixtureSQL = `
create schema cinema;
create schema private;
grant usage on schema cinema to anon;

create table cinema.directors (id int primary key, first_name text, last_name text);
create table cinema.films (
  id int primary key, director_id int references cinema.directors, title text, year int,
  rating numeric(3,1), language text, meta jsonb);
create table cinema.actors (id int primary key, first_name text, last_name text);
-- many-to-many through a junction whose key holds both foreign keys
create table cinema.roles (
  film_id int references cinema.films, actor_id int references cinema.actors, character text,
  primary key (film_id, actor_id));
create table cinema.competitions (id int primary key, name text, year int);
create table cinema.nominations (
  competition_id int references cinema.competitions, film_id int references cinema.films, rank int,
  primary key (competition_id, film_id));
-- one-to-one: the foreign key is the primary key
create table cinema.technical_specs (film_id int primary key references cinema.films, runtime interval, camera text);
-- one-to-one: the foreign key is unique
create table cinema.posters (id int primary key, film_id int unique references cinema.films, url text);
-- two many-to-one relationships to the same table, named constraints
create table cinema.addresses (id int primary key, name text, city text);
create table cinema.orders (
  id int primary key, name text, billing_address_id int, shipping_address_id int,
  constraint billing foreign key (billing_address_id) references cinema.addresses,
  constraint shipping foreign key (shipping_address_id) references cinema.addresses);
-- a self reference
create table cinema.employees (id int primary key, last_name text, supervisor_id int references cinema.employees);
-- a composite foreign key
create table cinema.screens (cinema_id int, num int, seats int, primary key (cinema_id, num));
create table cinema.screenings (
  id int primary key, film_id int references cinema.films, cinema_id int, screen_num int, starts time,
  foreign key (cinema_id, screen_num) references cinema.screens);
-- a partitioned table
create table cinema.box_office (bo_date date, film_id int references cinema.films, gross numeric) partition by range (bo_date);
create table cinema.box_office_2023 partition of cinema.box_office for values from ('2023-01-01') to ('2024-01-01');
create table cinema.box_office_2024 partition of cinema.box_office for values from ('2024-01-01') to ('2025-01-01');
-- a junction outside the exposed schema: no many-to-many
create table cinema.tags (id int primary key, name text);
create table private.film_tags (
  film_id int references cinema.films, tag_id int references cinema.tags, primary key (film_id, tag_id));
-- views: the foreign key column renamed, a view of the referenced table,
-- a view over a view, a view exposing a key column twice
create view cinema.film_listing as select f.id, f.title, f.director_id as dir_id, f.year from cinema.films f;
create view cinema.directors_v as select d.id as director_key, d.last_name from cinema.directors d;
create view cinema.recent_listing as select * from cinema.film_listing where year >= 2000;
create view cinema.orders_twice as select o.id, o.billing_address_id as bill_a, o.billing_address_id as bill_b from cinema.orders o;
create materialized view cinema.film_stats as select f.id as film_id, count(r.actor_id) as cast_size
  from cinema.films f left join cinema.roles r on r.film_id = f.id group by f.id;

-- computed relationships (docs: Computed Relationships)
create function cinema.supervisor(cinema.employees) returns setof cinema.employees rows 1
  language sql stable as $$ select * from cinema.employees where id = $1.supervisor_id $$;
create function cinema.supervisees(cinema.employees) returns setof cinema.employees
  language sql stable as $$ select * from cinema.employees where supervisor_id = $1.id order by id $$;
create function cinema.lead_role(cinema.films) returns cinema.roles
  language sql stable as $$ select * from cinema.roles where film_id = $1.id order by actor_id limit 1 $$;
-- named like the table: replaces the detected posters -> films relationship
create function cinema.films(cinema.posters) returns setof cinema.films rows 1
  language sql stable as $$ select * from cinema.films where id = $1.film_id and year >= 2000 $$;

-- functions returning rows, embeddable from
create function cinema.films_of(y int) returns setof cinema.films
  language sql stable as $$ select * from cinema.films where year = y $$;
create function cinema.film(fid int) returns cinema.films
  language sql stable as $$ select * from cinema.films where id = fid $$;

grant select, insert, update, delete on all tables in schema cinema to anon;
grant execute on all functions in schema cinema to anon;

insert into cinema.directors values (1, 'Quentin', 'Tarantino'), (2, 'Sofia', 'Coppola'), (3, 'Agnès', 'Varda');
insert into cinema.films values
  (1, 1, 'Reservoir Dogs', 1992, 8.3, 'en', '{"tags": ["crime", "heist"], "budget": {"usd": 1200000}}'),
  (2, 1, 'Pulp Fiction', 1994, 8.9, 'en', '{"tags": ["crime"], "budget": {"usd": 8000000}}'),
  (3, 2, 'Lost in Translation', 2003, 7.7, 'en', '{"tags": ["drama"]}'),
  (4, 3, 'Cléo from 5 to 7', 1962, 7.8, 'fr', null),
  (5, null, 'Untitled', 2024, null, null, null);
insert into cinema.actors values (1, 'Harvey', 'Keitel'), (2, 'Tim', 'Roth'), (3, 'Uma', 'Thurman'),
  (4, 'Bill', 'Murray'), (5, 'Scarlett', 'Johansson'), (6, 'Corinne', 'Marchand');
insert into cinema.roles values (1, 1, 'Mr. White'), (1, 2, 'Mr. Orange'), (2, 1, 'Winston Wolfe'),
  (2, 2, 'Pumpkin'), (2, 3, 'Mia Wallace'), (3, 4, 'Bob Harris'), (3, 5, 'Charlotte'), (4, 6, 'Cléo');
insert into cinema.competitions values (1, 'Cannes', 1994), (2, 'Academy Awards', 2004), (3, 'Cannes', 1962);
insert into cinema.nominations values (1, 2, 1), (2, 3, 2), (3, 4, 1);
insert into cinema.technical_specs values (1, '1:39:00', 'Arri'), (2, '2:34:00', 'Panavision'), (3, '1:42:00', 'Arri');
insert into cinema.posters values (1, 1, 'rd.png'), (2, 3, 'lit.png');
insert into cinema.addresses values (1, 'Home', 'Paris'), (2, 'Office', 'Lyon');
insert into cinema.orders values (1, 'books', 1, 2), (2, 'lamp', 2, 2);
insert into cinema.employees values (1, 'Boss', null), (2, 'Middle', 1), (3, 'Junior', 2), (4, 'Intern', 2);
insert into cinema.screens values (1, 1, 100), (1, 2, 40), (2, 1, 250);
insert into cinema.screenings values (1, 2, 1, 2, '20:00'), (2, 3, 2, 1, '18:30'), (3, 2, 1, 1, '22:00');
insert into cinema.box_office values ('2023-06-01', 3, 1000), ('2024-02-01', 3, 250), ('2024-03-01', 5, 10);
insert into cinema.tags values (1, 'classic');
insert into private.film_tags values (4, 1);
refresh materialized view cinema.film_stats;
`

// embedEngine serves the film database with cinema exposed.
func embedEngine(t *testing.T, mod func(env map[string]string)) *engine {
	t.Helper()
	return newEngine(t, embedFixtureSQL, func(env map[string]string) {
		env["PGRST_DB_SCHEMAS"] = "cinema"
		if mod != nil {
			mod(env)
		}
	})
}
