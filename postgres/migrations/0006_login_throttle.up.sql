-- Login throttle, exact and bounded (replaces 0003's 128 hashed buckets).
--
-- Why sequences still: a failed login must raise PT401 (the guide's error
-- body and status), so its transaction rolls back. Sequence changes
-- (setval) are the one kind of state PostgreSQL keeps across a rollback
-- without an extension or a second connection (dblink, pg_background):
-- tables (unlogged too) and settings roll back, advisory locks hold no
-- value. So the state is a fixed open-addressing hash table of sequences:
--
--   auth_throttle.<kind>_fp_<i>  keyed fingerprint of the slot's key (0 = free)
--   auth_throttle.<kind>_st_<i>  window_start_epoch * 1000000 + attempts
--
-- kind is user (lower(user_), as before) or addr (auth.client_addr()).
-- The fingerprint and the home slot come from HMAC-SHA256(kind:key) with a
-- random secret made here (auth.throttle_secret, readable by auth_owner
-- only), so nobody can pick colliding names offline; a 63-bit fingerprint
-- makes honest collisions negligible. A key probes at most
-- throttle_probes() slots from its home; a slot whose window expired is
-- free for any key. When every probed slot is live for other keys the
-- login fails closed with 429 (Retry-After = the soonest of those windows).
--
-- Attempts are counted before the password is checked, in one critical
-- section (check and increment) under a session advisory lock on the whole
-- table: it is released right after (an exception handler releases it on
-- any error), so no lock is held during bcrypt. A success then removes the
-- user's entry and takes back its own address attempt, so the address
-- counts failures only, as before.
--
-- bcrypt runs in at most app.settings.login_max_concurrency transactions
-- at once (transaction advisory locks over slot ids, pg_try_advisory_xact_lock);
-- a login that gets no slot within app.settings.login_concurrency_wait_ms
-- answers 429 PT429 "Too many concurrent logins" with Retry-After: 1 and is
-- not counted (it checked no password). Not 503: PostgREST (App.hs at
-- v16.2) takes any 503 for "database away", starts its reconnection worker
-- and adds its own Retry-After (addRetryHint); our engine also replaces
-- Retry-After on every 503.
-- Waiting holds one of the API's pooled connections, so the wait is
-- capped at 1000 ms.

-- ----------------------------------------------------------------- state

drop function auth.throttle_hit(regclass, integer);
drop function auth.throttle_wait(regclass, integer, integer);
drop schema auth_throttle cascade;
create schema auth_throttle;
revoke all on schema auth_throttle from public;

create table auth.throttle_secret (
  id boolean primary key default true check (id),
  secret bytea not null check (octet_length(secret) >= 32)
);
revoke all on auth.throttle_secret from public;
insert into auth.throttle_secret (secret) values (public.gen_random_bytes(32));

-- Table size per kind and probe length. 512 slots per kind: 2048 sequences
-- (8 kB each on disk).
create function auth.throttle_slots() returns integer
language sql immutable
set search_path = pg_catalog, pg_temp
as $$ select 512 $$;

create function auth.throttle_probes() returns integer
language sql immutable
set search_path = pg_catalog, pg_temp
as $$ select 16 $$;

do $$
declare
  k text;
begin
  for i in 0..auth.throttle_slots() - 1 loop
    foreach k in array array['user', 'addr'] loop
      execute pg_catalog.format('create sequence auth_throttle.%I minvalue 0 start 0', k || '_fp_' || i);
      execute pg_catalog.format('create sequence auth_throttle.%I minvalue 0 start 0', k || '_st_' || i);
    end loop;
  end loop;
end
$$;

-- ------------------------------------------------------------- the table

-- The keyed hash of kind:key: a fingerprint (never 0) and the home slot.
create function auth.throttle_hash(kind text, key text, out fp bigint, out home integer)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  h bytea;
begin
  select public.hmac(pg_catalog.convert_to(kind || ':' || key, 'utf8'), s.secret, 'sha256')
  into strict h from auth.throttle_secret s;
  fp := ('x' || pg_catalog.encode(pg_catalog.substr(h, 1, 8), 'hex'))::bit(64)::bigint & 9223372036854775807;
  if fp = 0 then
    fp := 1;
  end if;
  home := (('x' || pg_catalog.encode(pg_catalog.substr(h, 9, 4), 'hex'))::bit(32)::integer & 2147483647)
    % auth.throttle_slots();
end
$$;

create function auth.throttle_read(kind text, slot integer, out fp bigint, out start_s bigint, out n integer)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v bigint;
begin
  fp := coalesce(pg_catalog.pg_sequence_last_value(
    pg_catalog.format('auth_throttle.%I', kind || '_fp_' || slot)::regclass), 0);
  v := coalesce(pg_catalog.pg_sequence_last_value(
    pg_catalog.format('auth_throttle.%I', kind || '_st_' || slot)::regclass), 0);
  start_s := v / 1000000;
  n := v % 1000000;
end
$$;

-- Writers hold the table lock; the state is written before the
-- fingerprint, so a lock-free reader never sees a new key with old counts.
create function auth.throttle_write(kind text, slot integer, fp bigint, start_s bigint, n integer) returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_catalog.setval(pg_catalog.format('auth_throttle.%I', kind || '_st_' || slot)::regclass,
    start_s * 1000000 + n, true);
  perform pg_catalog.setval(pg_catalog.format('auth_throttle.%I', kind || '_fp_' || slot)::regclass, fp, true);
end
$$;

-- Probe key's slots: its live slot (slot, start_s, n), else the first free
-- probed slot (free), and the soonest end of the probed live windows.
create function auth.throttle_find(kind text, key text, window_s integer,
  out fp bigint, out slot integer, out start_s bigint, out n integer, out free integer, out soonest bigint)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  h record;
  r record;
  s integer;
  now_s bigint := extract(epoch from pg_catalog.clock_timestamp())::bigint;
begin
  select * into strict h from auth.throttle_hash(kind, key);
  fp := h.fp;
  for i in 0..auth.throttle_probes() - 1 loop
    s := (h.home + i) % auth.throttle_slots();
    select * into strict r from auth.throttle_read(kind, s);
    if r.fp <> 0 and now_s - r.start_s < window_s then
      if r.fp = h.fp then
        slot := s;
        start_s := r.start_s;
        n := r.n;
        return;
      end if;
      soonest := least(soonest, r.start_s + window_s);
    elsif free is null then
      free := s;
    end if;
  end loop;
end
$$;

-- Seconds until key may try again (0 = now): its attempts reached
-- max_attempts, or no probed slot is free for it (fail closed).
create function auth.throttle_wait(kind text, key text, max_attempts integer, window_s integer) returns integer
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  f record;
  now_s bigint := extract(epoch from pg_catalog.clock_timestamp())::bigint;
begin
  if key is null or max_attempts <= 0 then
    return 0;
  end if;
  select * into strict f from auth.throttle_find(kind, key, window_s);
  if f.slot is not null then
    if f.n < max_attempts then
      return 0;
    end if;
    return greatest(1, f.start_s + window_s - now_s);
  end if;
  if f.free is not null then
    return 0;
  end if;
  return greatest(1, f.soonest - now_s);
end
$$;

-- Add delta to key's attempts (the caller holds the table lock). A key
-- without a live slot takes the first free one; an entry that drops to 0
-- is freed. Returns the attempts before the change.
create function auth.throttle_add(kind text, key text, delta integer, window_s integer) returns integer
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  f record;
  n integer;
begin
  select * into strict f from auth.throttle_find(kind, key, window_s);
  if f.slot is not null then
    n := greatest(0, least(f.n + delta, 999999));
    if n = 0 then
      perform auth.throttle_write(kind, f.slot, 0, 0, 0);
    else
      perform auth.throttle_write(kind, f.slot, f.fp, f.start_s, n);
    end if;
    return f.n;
  end if;
  if delta > 0 and f.free is not null then
    perform auth.throttle_write(kind, f.free, f.fp,
      extract(epoch from pg_catalog.clock_timestamp())::bigint, least(delta, 999999));
  end if;
  return 0;
end
$$;

-- The table lock: session-level, so that it can be released before bcrypt
-- (a transaction lock would serialize every login to its end). Every
-- holder releases it in the same block, also from an exception handler.
-- It is held for microseconds; lock_timeout turns a stuck holder into an
-- error instead of logins that hang on to pooled connections.
create function auth.throttle_lock(acquire boolean) returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
set lock_timeout = '2s'
as $$
begin
  if acquire then
    perform pg_catalog.pg_advisory_lock(pg_catalog.hashtext('auth_throttle.table'), 0);
  else
    perform pg_catalog.pg_advisory_unlock(pg_catalog.hashtext('auth_throttle.table'), 0);
  end if;
end
$$;

-- Check and count one attempt for both keys at once (a null key or a
-- limit <= 0 is not counted). Returns the wait (0 = counted).
create function auth.throttle_take(ukey text, akey text, max_user integer, max_addr integer, window_s integer)
returns integer
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  wait_s integer;
begin
  begin
    perform auth.throttle_lock(true);
    wait_s := greatest(auth.throttle_wait('user', ukey, max_user, window_s),
                       auth.throttle_wait('addr', akey, max_addr, window_s));
    if wait_s = 0 and ukey is not null and max_user > 0 then
      perform auth.throttle_add('user', ukey, 1, window_s);
    end if;
    if wait_s = 0 and akey is not null and max_addr > 0 then
      perform auth.throttle_add('addr', akey, 1, window_s);
    end if;
    perform auth.throttle_lock(false);
  exception when query_canceled or others then
    perform auth.throttle_lock(false);
    raise;
  end;
  return wait_s;
end
$$;

-- After a good password: forget the user's failures and take back this
-- attempt from the address (which counts failures only).
create function auth.throttle_success(ukey text, akey text, max_user integer, max_addr integer, window_s integer)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  begin
    perform auth.throttle_lock(true);
    if ukey is not null and max_user > 0 then
      perform auth.throttle_add('user', ukey, -999999, window_s);
    end if;
    if akey is not null and max_addr > 0 then
      perform auth.throttle_add('addr', akey, -1, window_s);
    end if;
    perform auth.throttle_lock(false);
  exception when query_canceled or others then
    perform auth.throttle_lock(false);
    raise;
  end;
end
$$;

-- 0003's bucket lookup, kept for callers of that name: the state sequence
-- of key's home slot (the key itself may live in a later probed slot).
create or replace function auth.throttle_seq(kind text, key text) returns regclass
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.format('auth_throttle.%I', kind || '_st_' || h.home)::regclass
  from auth.throttle_hash(kind, key) h
$$;

-- ------------------------------------------------------ bcrypt slots

-- Take one of app.settings.login_max_concurrency (default 2, at most 64;
-- 0 = no limit) bcrypt slots for the rest of the transaction, waiting at
-- most app.settings.login_concurrency_wait_ms (default 0: one try of each
-- slot, at most 1000). A wait holds a pooled connection: under a 200-client
-- flood, 20 ms of it tripled other requests' p50 (BenchmarkLoginFlood).
create function auth.login_slot() returns boolean
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  n integer := least(auth.setting_int('login_max_concurrency', 2), 64);
  wait_ms integer := least(auth.setting_int('login_concurrency_wait_ms', 0), 1000);
  deadline timestamptz := pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => wait_ms / 1000.0);
  ns integer := pg_catalog.hashtext('auth.login_concurrency');
  first integer;
begin
  if n <= 0 then
    return true;
  end if;
  first := pg_catalog.floor(pg_catalog.random() * n)::integer;
  loop -- bounded by the deadline
    for i in 0..n - 1 loop
      if pg_catalog.pg_try_advisory_xact_lock(ns, (first + i) % n) then
        return true;
      end if;
    end loop;
    exit when pg_catalog.clock_timestamp() >= deadline;
    perform pg_catalog.pg_sleep(0.002);
  end loop;
  return false;
end
$$;

-- A 429 the way PostgREST answers RAISE SQLSTATE 'PGRST' (status and
-- Retry-After from the detail JSON).
create function auth.throttle_raise(message text, wait_s integer) returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
set log_min_messages = fatal -- an answer, not a fault (auth.deny, 0005)
as $$
begin
  raise sqlstate 'PGRST' using
    message = pg_catalog.json_build_object('code', 'PT429', 'message', message,
      'details', null, 'hint', 'Try again after ' || wait_s || ' seconds')::text,
    detail = pg_catalog.json_build_object('status', 429,
      'headers', pg_catalog.json_build_object('Retry-After', wait_s::text))::text;
end
$$;

-- Before the password check: refuse a throttled client (a lock-free look
-- first, so that it waits for no bcrypt slot), take a bcrypt slot, then
-- check and count the attempt atomically.
create function auth.login_throttle_begin(ukey text, akey text) returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  window_s integer := auth.setting_int('login_window', 900);
  max_user integer := auth.setting_int('login_max_attempts_user', 5);
  max_addr integer := auth.setting_int('login_max_attempts_addr', 20);
  wait_s integer;
begin
  wait_s := greatest(auth.throttle_wait('user', ukey, max_user, window_s),
                     auth.throttle_wait('addr', akey, max_addr, window_s));
  if wait_s = 0 then
    if not auth.login_slot() then
      perform auth.throttle_raise('Too many concurrent logins', 1);
    end if;
    wait_s := auth.throttle_take(ukey, akey, max_user, max_addr, window_s);
  end if;
  if wait_s > 0 then
    perform auth.throttle_raise('Too many login attempts', wait_s);
  end if;
end
$$;

create function auth.login_throttle_success(ukey text, akey text) returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  perform auth.throttle_success(ukey, akey,
    auth.setting_int('login_max_attempts_user', 5), auth.setting_int('login_max_attempts_addr', 20),
    auth.setting_int('login_window', 900));
end
$$;

-- -------------------------------------------------------------- login

-- 0003's login with the throttle moved before the password check.
create or replace function auth.login(user_ text, pass text) returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  ukey text := coalesce(lower(user_), '');
  akey text := auth.client_addr();
  hash text;
  role_ name;
  ok boolean := false;
begin
  perform auth.login_throttle_begin(ukey, akey);

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
    -- Already counted: the count survives this rollback.
    perform auth.deny('Invalid user or password'); -- not logged (0005)
  end if;

  perform auth.login_throttle_success(ukey, akey);
  -- The 4-argument form (0005) re-checks the hash under the user's row
  -- lock: a `user passwd` that committed after the read above wins.
  perform auth.issue_tokens(user_, role_, pg_catalog.gen_random_uuid(), hash);
end
$$;

-- ------------------------------------------- operators (stackctl throttle)

-- These run as the caller (a superuser via stackctl) and are not granted to
-- the API roles. Limits and window come from app.settings.* like at login.

-- key's entry: attempts, window and seconds until it may log in again.
create function auth.throttle_status(kind text, key text)
returns table (attempts integer, window_start timestamptz, window_end timestamptz, locked_for_s integer)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  window_s integer := auth.setting_int('login_window', 900);
  max_ integer := auth.setting_int('login_max_attempts_' || kind, case kind when 'user' then 5 else 20 end);
  f record;
begin
  if kind not in ('user', 'addr') then
    raise exception 'kind must be user or addr, got "%"', kind using errcode = '22023';
  end if;
  if kind = 'user' then
    key := lower(key);
  end if;
  select * into strict f from auth.throttle_find(kind, key, window_s);
  attempts := coalesce(f.n, 0);
  if f.slot is not null then
    window_start := pg_catalog.to_timestamp(f.start_s);
    window_end := pg_catalog.to_timestamp(f.start_s + window_s);
  end if;
  locked_for_s := auth.throttle_wait(kind, key, max_, window_s);
  return next;
end
$$;

-- Live entries per kind, how many are locked, and the table size.
create function auth.throttle_summary()
returns table (kind text, live integer, locked integer, slots integer)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  window_s integer := auth.setting_int('login_window', 900);
  now_s bigint := extract(epoch from pg_catalog.clock_timestamp())::bigint;
  max_ integer;
  r record;
begin
  foreach kind in array array['user', 'addr'] loop
    max_ := auth.setting_int('login_max_attempts_' || kind, case kind when 'user' then 5 else 20 end);
    live := 0;
    locked := 0;
    slots := auth.throttle_slots();
    for i in 0..slots - 1 loop
      select * into strict r from auth.throttle_read(kind, i);
      if r.fp <> 0 and now_s - r.start_s < window_s then
        live := live + 1;
        if max_ > 0 and r.n >= max_ then
          locked := locked + 1;
        end if;
      end if;
    end loop;
    return next;
  end loop;
end
$$;

-- Users of auth.user whose name is locked out now.
create function auth.throttle_locked_users()
returns table (username text, attempts integer, locked_for_s integer)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  s record;
begin
  for username in select u.username from auth.user u order by u.username loop
    select * into strict s from auth.throttle_status('user', username);
    if s.locked_for_s > 0 and s.attempts > 0 then
      attempts := s.attempts;
      locked_for_s := s.locked_for_s;
      return next;
    end if;
  end loop;
end
$$;

-- Forget key's entry; returns the attempts it had (0: there was none).
create function auth.throttle_reset(kind text, key text) returns integer
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  n integer;
begin
  if kind not in ('user', 'addr') then
    raise exception 'kind must be user or addr, got "%"', kind using errcode = '22023';
  end if;
  if kind = 'user' then
    key := lower(key);
  end if;
  begin
    perform auth.throttle_lock(true);
    n := auth.throttle_add(kind, key, -999999, auth.setting_int('login_window', 900));
    perform auth.throttle_lock(false);
  exception when query_canceled or others then
    perform auth.throttle_lock(false);
    raise;
  end;
  return n;
end
$$;

-- Take back up to n attempts from key's entry (the smoke test's own wrong
-- password, so that repeated runs lock nobody out); returns the attempts
-- left.
create function auth.throttle_forget(kind text, key text, n integer) returns integer
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  before integer;
begin
  if kind not in ('user', 'addr') then
    raise exception 'kind must be user or addr, got "%"', kind using errcode = '22023';
  end if;
  if n is null or n < 0 then
    raise exception 'n must be 0 or more, got %', n using errcode = '22023';
  end if;
  if kind = 'user' then
    key := lower(key);
  end if;
  begin
    perform auth.throttle_lock(true);
    before := auth.throttle_add(kind, key, -n, auth.setting_int('login_window', 900));
    perform auth.throttle_lock(false);
  exception when query_canceled or others then
    perform auth.throttle_lock(false);
    raise;
  end;
  return greatest(before - n, 0);
end
$$;

-- Empty both tables; returns the live entries each had.
create function auth.throttle_reset_all() returns table (kind text, cleared integer)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  window_s integer := auth.setting_int('login_window', 900);
  now_s bigint := extract(epoch from pg_catalog.clock_timestamp())::bigint;
  r record;
  counts integer[] := array[0, 0];
  kinds text[] := array['user', 'addr'];
begin
  begin
    perform auth.throttle_lock(true);
    for k in 1..2 loop
      for i in 0..auth.throttle_slots() - 1 loop
        select * into strict r from auth.throttle_read(kinds[k], i);
        if r.fp <> 0 and now_s - r.start_s < window_s then
          counts[k] := counts[k] + 1;
        end if;
        if r.fp <> 0 or r.start_s <> 0 or r.n <> 0 then
          perform auth.throttle_write(kinds[k], i, 0, 0, 0);
        end if;
      end loop;
    end loop;
    perform auth.throttle_lock(false);
  exception when query_canceled or others then
    perform auth.throttle_lock(false);
    raise;
  end;
  for k in 1..2 loop
    kind := kinds[k];
    cleared := counts[k];
    return next;
  end loop;
end
$$;

-- ---------------------------------------------------------------- grants

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
grant select on auth.throttle_secret to auth_owner;
grant usage on schema auth_throttle to auth_owner;
grant select, update, usage on all sequences in schema auth_throttle to auth_owner;
