package postgrest

// The fixtures of the tests: our own, shaped like the features PostgREST
// v16.2's specs exercise (test/spec/fixtures/*.sql there), written here
// from scratch. Roles (anon, authenticator, basic_subscriber, not_granted)
// come from rolesSQL (harness_test.go).

// fixtureSQL: the stack's shape (schemas public and auth, a task table
// under row level security, auth.login) with tables and functions for the
// conformance cases; docsFixtureSQL adds the tables of the query and
// mutation specs.
const fixtureSQL = baseFixtureSQL + docsFixtureSQL

const baseFixtureSQL = `
create schema auth;
grant usage on schema public, auth to anon, basic_subscriber;
create table public.task (
  id serial primary key,
  title text not null,
  done boolean not null default false,
  owner text default current_setting('request.jwt.claims', true)::json->>'username',
  priority int);
alter table public.task enable row level security;
create policy own on public.task to basic_subscriber
  using (owner = current_setting('request.jwt.claims', true)::json->>'username');
grant select, insert, update, delete on public.task to basic_subscriber;
grant usage on sequence public.task_id_seq to basic_subscriber;
insert into public.task(title, owner, priority) values ('a','alice',1),('b','alice',2),('c','bob',null);

create table public.items (id int primary key, name text);
grant select, insert, update, delete on public.items to anon, basic_subscriber;
insert into public.items values (1,'one'),(2,'two'),(3,'three');
create table public.readonly_items (id int primary key);
grant select on public.readonly_items to anon;

create function auth.login(user_ text, pass text) returns void language plpgsql as $$
begin
  if pass <> 'secret' then
    raise sqlstate 'PT401' using message = 'Invalid user or password';
  end if;
  perform set_config('response.headers',
    '[{"Set-Cookie":"access_token=x; Path=/; HttpOnly"},{"Set-Cookie":"refresh_token=y; Path=/rpc/refresh_token"}]', true);
end $$;
create function public.add(a int, b int) returns int language sql immutable as $$ select a + b $$;
create function public.hello() returns text language sql stable as $$ select 'Hello, world' $$;
create function public.gucs() returns json language sql volatile as $$
  select json_build_object('claims', current_setting('request.jwt.claims')::json,
    'method', current_setting('request.method'), 'path', current_setting('request.path'),
    'headers', current_setting('request.headers')::json, 'cookies', current_setting('request.cookies')::json,
    'search_path', current_setting('search_path'), 'jwt_exp', current_setting('app.settings.jwt_exp'),
    'role', current_user, 'ro', current_setting('transaction_read_only'),
    'iso', current_setting('transaction_isolation')) $$;
create function auth.gucs_auth() returns text language sql stable as $$ select current_setting('search_path') $$;
create function public.iso_fn() returns text language sql volatile
  set default_transaction_isolation = 'serializable' as $$ select current_setting('transaction_isolation') $$;
create table public.wlog (id int);
grant select, insert on public.wlog to anon;
create function public.writer() returns int language sql volatile as $$ insert into public.wlog values (100) returning id $$;
create function public.setof_items() returns setof public.items language sql stable as $$ select * from public.items order by id $$;
create function public.one_item(id int) returns public.items language sql stable as $$ select * from public.items i where i.id = one_item.id $$;
create function public.nums() returns setof int language sql stable as $$ select generate_series(1,3) $$;
create function public.table_fn() returns table(x int, y text) language sql stable as $$ values (1,'a'),(2,'b') $$;
create function public.overload(a int) returns int language sql stable as $$ select a $$;
create function public.overload(b int, c int) returns int language sql stable as $$ select b + c $$;
create function public.ambig() returns int language sql stable as $$ select 1 $$;
create function public.ambig(x int default 1) returns int language sql stable as $$ select x $$;
-- created in the opposite of PostgREST's candidate order (Routine.hs Ord)
create function public.ambig_order(x text) returns int language sql stable as $$ select 1 $$;
create function public.ambig_order(x int) returns int language sql stable as $$ select 2 $$;
create function public.ambig_arity(x int, y int default 1) returns int language sql stable as $$ select 1 $$;
create function public.ambig_arity(x int) returns int language sql stable as $$ select 2 $$;
create function public.body_json(json) returns json language sql stable as $$ select $1 $$;
create function public.named_json(payload json) returns json language sql stable as $$ select payload $$;
create function public.bad_headers() returns void language sql as $$ select set_config('response.headers', '{"a":"b"}', true) $$;
create function public.bad_status() returns void language sql as $$ select set_config('response.status', 'abc', true) $$;
create function public.teapot() returns text language sql as $$ select set_config('response.status', '418', true) $$;
create function public.custom_ct() returns text language sql as $$
  select 'hi'::text from (select set_config('response.headers', '[{"Content-Type":"text/plain"}]', true)) s $$;
create function public.raise_pgrst() returns void language plpgsql as $$ begin
  raise sqlstate 'PGRST' using message = '{"code":"123","message":"Payment Required","details":"d","hint":"h"}',
    detail = '{"status":402,"headers":{"X-Powered-By":"Nerd Rage"}}'; end $$;
create function public.raise_pgrst_bad() returns void language plpgsql as $$ begin
  raise sqlstate 'PGRST' using message = 'not json', detail = '{}'; end $$;
create function public.raise_pt() returns void language plpgsql as $$ begin
  raise sqlstate 'PT402' using message = 'Payment', detail = 'd', hint = 'h'; end $$;
create function public.raise_plain() returns void language plpgsql as $$ begin raise exception 'boom'; end $$;
create function public.cookie_then_fail() returns void language plpgsql as $$ begin
  perform set_config('response.headers', '[{"Set-Cookie":"a=1"}]', true);
  raise exception 'failed after cookie'; end $$;
create function public.secret_fn() returns int language sql as $$ select 42 $$;
revoke execute on function public.secret_fn() from public;
create function public.hoisted() returns text language sql stable set statement_timeout = '7s'
  as $$ select current_setting('statement_timeout') || ' ' || current_setting('timezone') $$;
create function public.var_fn(variadic v text[]) returns text language sql stable as $$ select array_to_string(v, '|') $$;
create function public.ser_fail() returns void language plpgsql as $$ begin raise sqlstate '40001' using message = 'could not serialize'; end $$;
`

// docsFixtureSQL: json, text and tsvector columns, a table without a key,
// column and domain defaults, column privileges.
const docsFixtureSQL = `
grant usage on schema public to anon;
create table public.docs (
  id int primary key,
  data json,
  bdata jsonb,
  body text,
  tsv tsvector);
grant select, insert, update, delete on public.docs to anon;
insert into public.docs values
  (1, '[{"a": "A"}, {"b": "B"}]', '{"k": "v"}', 'the fat cat', to_tsvector('simple', 'the fat cat')),
  (2, '[{"a": [1,2,3]}, {"b": [4,5]}]', '{"k": [1,2]}', 'a lean dog', to_tsvector('simple', 'a lean dog'));
-- a "computed column" only reachable through public, which is on the
-- search_path only by db-extra-search-path
create function public.docs_flag(public.docs) returns boolean language sql as 'select true';
create table public.nopk (a text, b text);
grant select, insert, update, delete on public.nopk to anon;
insert into public.nopk values ('1', '0'), ('2', '0'), (null, '0');
create table public.big (id bigint primary key, label character varying(10) default 'x'::character varying,
  c character(1) default 'y', n numeric(5,2) default 4.2, flag boolean default false, d date default '1900-01-01'::date);
grant select, insert, update, delete on public.big to anon;
create domain public.devil_int as int default 666;
create table public.defs (id devil_int, name text default 'Default', n int default 1 not null, tags int[]);
grant select, insert, update, delete on public.defs to anon;
insert into public.defs values (3, 'three', 3, '{1,2}');
create domain public.tsv_d as tsvector;
create domain public.tsv_dd as public.tsv_d;
create domain public.varchar_d as character varying(5);
create table public.fts_dom (id int, v tsv_dd, s varchar_d);
grant select on public.fts_dom to anon;
insert into public.fts_dom values (1, to_tsvector('simple', 'of mice'), 'ab'), (2, to_tsvector('simple', 'and men'), 'cd');
create table public.stars (id serial primary key, a int, b int, secret text default 's');
grant insert (a, b), select (id, a, b), delete on public.stars to anon;
grant usage on sequence public.stars_id_seq to anon;
insert into public.stars (a, b) values (1, 1), (2, 2);
`

// rpcFixtureSQL exercises function shapes found in PostgREST's own fixture
// schema (OUT/INOUT/TABLE params, bare record, composite domains,
// VARIADIC), written here from scratch.
const rpcFixtureSQL = `
grant usage on schema public to anon;
create type public.pt as (x int, y int);
create domain public.pt_domain as public.pt;
create table public.proj (id int primary key, name text);
insert into public.proj values (1, 'one'), (2, 'two'), (3, 'three');
grant select on public.proj to anon;

create function public.add(a int, b int) returns int language sql as 'select a + b';
create function public.mkpt() returns public.pt language sql as 'select row(1, 2)::public.pt';
create function public.mkpt_dom() returns public.pt_domain language sql as 'select row(3, 4)::public.pt_domain';
create function public.one_rec() returns record language sql as 'select * from public.proj order by id limit 1';
create function public.rec_params(lo int, pat text) returns record language sql as
  'select * from public.proj p where p.id >= lo and p.name like pat order by id limit 1';
create function public.set_rec() returns setof record language sql as 'select * from public.proj order by id limit 2';
create function public.one_out(num int, out plus_one int) language sql as 'select num + 1';
create function public.one_inout(inout num int) language sql as 'select num + 1';
create function public.one_col_table() returns table (a text) language sql as $$ select 'A' $$;
create function public.variadic_v(variadic v text[] default '{}') returns text[] language sql as 'select v';
create table public.scratch (id int primary key);
insert into public.scratch select generate_series(1, 5);
grant select, delete on public.scratch to anon;
create function public.del_set() returns setof public.scratch language sql as 'delete from public.scratch returning *';
create function public.del_void() returns void language sql as 'delete from public.scratch';
create function public.noop() returns void language sql as '';
create function public.with_nulls() returns table (a int, b text) language sql as $$ values (1, null), (2, 'x') $$;
`
