package postgrest

const fixtureSQL = `
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
