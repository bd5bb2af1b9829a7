-- Back to 0003's login throttle: 128 hashed buckets per kind, counted
-- after the password check.

drop function auth.login_throttle_success(text, text);
drop function auth.login_throttle_begin(text, text);
drop function auth.throttle_raise(text, integer);
drop function auth.login_slot();
drop function auth.throttle_reset_all();
drop function auth.throttle_forget(text, text, integer);
drop function auth.throttle_reset(text, text);
drop function auth.throttle_locked_users();
drop function auth.throttle_summary();
drop function auth.throttle_status(text, text);
drop function auth.throttle_success(text, text, integer, integer, integer);
drop function auth.throttle_take(text, text, integer, integer, integer);
drop function auth.throttle_lock(boolean);
drop function auth.throttle_add(text, text, integer, integer);
drop function auth.throttle_wait(text, text, integer, integer);
drop function auth.throttle_find(text, text, integer);
drop function auth.throttle_write(text, integer, bigint, bigint, integer);
drop function auth.throttle_read(text, integer);
drop schema auth_throttle cascade;

create schema auth_throttle;
revoke all on schema auth_throttle from public;
do $$
begin
  for i in 0..127 loop
    execute pg_catalog.format('create sequence auth_throttle.%I minvalue 0 start 0', 'user_' || i);
    execute pg_catalog.format('create sequence auth_throttle.%I minvalue 0 start 0', 'addr_' || i);
  end loop;
end
$$;

create or replace function auth.throttle_seq(kind text, key text) returns regclass
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.format('auth_throttle.%I',
    kind || '_' || ((pg_catalog.hashtext(key) % 128 + 128) % 128))::regclass
$$;

-- Seconds until the bucket accepts another attempt (0 = now).
create function auth.throttle_wait(seq regclass, max_attempts integer, window_s integer) returns integer
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v bigint := coalesce(pg_catalog.pg_sequence_last_value(seq), 0);
  now_s bigint := extract(epoch from pg_catalog.clock_timestamp())::bigint;
  start_s bigint := v / 1000000;
begin
  if max_attempts <= 0 or now_s - start_s >= window_s or v % 1000000 < max_attempts then
    return 0;
  end if;
  return greatest(1, start_s + window_s - now_s);
end
$$;

-- Count one failed attempt. setval survives the rollback of the request.
create function auth.throttle_hit(seq regclass, window_s integer) returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v bigint;
  now_s bigint := extract(epoch from pg_catalog.clock_timestamp())::bigint;
  start_s bigint;
  n bigint;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('auth_throttle'), seq::oid::integer);
  v := coalesce(pg_catalog.pg_sequence_last_value(seq), 0);
  start_s := v / 1000000;
  n := v % 1000000;
  if now_s - start_s >= window_s then
    start_s := now_s;
    n := 0;
  end if;
  perform pg_catalog.setval(seq, start_s * 1000000 + least(n + 1, 999999), true);
end
$$;

drop function auth.throttle_hash(text, text);
drop function auth.throttle_probes();
drop function auth.throttle_slots();
drop table auth.throttle_secret;

-- Login endpoint
create or replace function auth.login(user_ text, pass text) returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  window_s integer := auth.setting_int('login_window', 900);
  max_user integer := auth.setting_int('login_max_attempts_user', 5);
  max_addr integer := auth.setting_int('login_max_attempts_addr', 20);
  addr text := auth.client_addr();
  user_seq regclass := auth.throttle_seq('user', coalesce(lower(user_), ''));
  addr_seq regclass;
  wait_s integer;
  hash text;
  role_ name;
  ok boolean := false;
begin
  if addr is not null then
    addr_seq := auth.throttle_seq('addr', addr);
  end if;
  wait_s := auth.throttle_wait(user_seq, max_user, window_s);
  if addr_seq is not null then
    wait_s := greatest(wait_s, auth.throttle_wait(addr_seq, max_addr, window_s));
  end if;
  if wait_s > 0 then
    raise sqlstate 'PGRST' using
      message = pg_catalog.json_build_object('code', 'PT429', 'message', 'Too many login attempts',
        'details', null, 'hint', 'Try again after ' || wait_s || ' seconds')::text,
      detail = pg_catalog.json_build_object('status', 429,
        'headers', pg_catalog.json_build_object('Retry-After', wait_s::text))::text;
  end if;

  select u.password, u.role into hash, role_ from auth.user u where u.username = user_;
  if found and octet_length(pass) <= 72 then
    ok := hash is not distinct from public.crypt(pass, hash);
  else
    -- Unknown user (or over-long password): spend the same bcrypt work (S5).
    perform public.crypt(coalesce(pass, ''), '$2a$10$N9qo8uLOickgx2ZMRZoMye');
  end if;
  if ok then
    ok := auth.role_allowed(role_);
  end if;

  if not ok then
    perform auth.throttle_hit(user_seq, window_s);
    if addr_seq is not null then
      perform auth.throttle_hit(addr_seq, window_s);
    end if;
    raise sqlstate 'PT401' using message = 'Invalid user or password';
  end if;

  if pg_catalog.pg_sequence_last_value(user_seq) is distinct from 0 then
    perform pg_catalog.setval(user_seq, 0, true);
  end if;
  perform auth.issue_tokens(user_, role_, pg_catalog.gen_random_uuid());
end
$$;

do $$
declare
  f regprocedure;
begin
  for f in
    select p.oid::regprocedure from pg_catalog.pg_proc p
    where p.pronamespace = 'auth'::regnamespace
  loop
    execute pg_catalog.format('alter function %s owner to auth_owner', f);
  end loop;
end
$$;

revoke execute on all functions in schema auth from public;
grant execute on function auth.login(text, text) to anon;
grant usage on schema auth_throttle to auth_owner;
grant select, update, usage on all sequences in schema auth_throttle to auth_owner;
