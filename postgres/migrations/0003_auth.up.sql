-- The guide's auth schema (02-create_auth_schema.sql + 05-grants.sql),
-- hardened. Names, signatures, endpoints and cookie names are the guide's;
-- every change is listed in docs/deviations.md with its audit finding.
--
-- Every function pins `search_path = pg_catalog, pg_temp` and qualifies
-- every non-catalog name (S1). The three endpoints are SECURITY DEFINER
-- functions owned by the NOLOGIN, non-superuser role auth_owner, the only
-- role (besides superusers) that can read auth.jwt_secret (S4).

create schema auth;

-- ---------------------------------------------------------------- tables

create table auth.user (
  username text primary key check (length(username) >= 3),
  password text not null check (length(password) < 512),
  role name not null check (length(role) < 512)
);

-- Refresh tokens are stored as sha256 hex of the cookie value (S9), rotate
-- on every use (S3): a used row keeps used_at so that presenting it again is
-- detected as reuse and revokes its whole family (the login it came from).
create table auth.refresh_token (
  id bigint generated always as identity primary key,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  token text not null unique check (token ~ '^[0-9a-f]{64}$'),
  username text not null references auth.user (username) on delete cascade on update cascade,
  family uuid not null,
  used_at timestamptz
);
create index refresh_token_username_idx on auth.refresh_token (username);
create index refresh_token_family_idx on auth.refresh_token (family);
create index refresh_token_expires_at_idx on auth.refresh_token (expires_at);

-- The JWT signing secret (standard base64, >= 32 bytes decoded): one row,
-- readable only by auth_owner (S4). `stackctl secret rotate` replaces it.
create table auth.jwt_secret (
  id boolean primary key default true check (id),
  secret text not null check (octet_length(decode(secret, 'base64')) >= 32),
  updated_at timestamptz not null default now()
);
revoke all on auth.jwt_secret from public;
insert into auth.jwt_secret (secret) values ({{JWT_SECRET}});

-- Login throttling state. Counters must survive the rollback that follows
-- `raise sqlstate 'PT401'`, so they live in sequences (setval is not
-- transactional): 128 buckets per user name and 128 per client address.
-- A bucket's value is window_start_epoch * 1000000 + failed_attempts.
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

-- ------------------------------------------------------------- settings

-- app.settings.<name> (PostgREST: PGRST_APP_SETTINGS_<NAME>), else default_.
create function auth.setting(name text, default_ text) returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(nullif(pg_catalog.current_setting('app.settings.' || name, true), ''), default_)
$$;

create function auth.setting_int(name text, default_ integer) returns integer
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v text := auth.setting(name, default_::text);
begin
  if v !~ '^\s*[0-9]{1,9}\s*$' then
    raise exception 'app.settings.% must be a non-negative integer, got "%"', name, v
      using errcode = '22023';
  end if;
  return v::integer;
end
$$;

-- A Set-Cookie value with the stack's attributes (S7): HttpOnly, SameSite
-- (app.settings.cookie_samesite, default Lax), Secure unless
-- app.settings.cookie_secure is false, and Max-Age = the lifetime.
create function auth.cookie(name text, value text, path text, max_age integer) returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  samesite text := initcap(auth.setting('cookie_samesite', 'Lax'));
  secure_ text := lower(auth.setting('cookie_secure', 'true'));
  secure boolean;
begin
  if samesite not in ('Lax', 'Strict', 'None') then
    raise exception 'app.settings.cookie_samesite must be Lax, Strict or None, got "%"', samesite
      using errcode = '22023';
  end if;
  if secure_ not in ('true', 'false', 'on', 'off', '1', '0', 'yes', 'no') then
    raise exception 'app.settings.cookie_secure must be true or false, got "%"', secure_
      using errcode = '22023';
  end if;
  secure := secure_::boolean;
  if samesite = 'None' and not secure then
    raise exception 'SameSite=None cookies must be Secure (set cookie_secure=true)' using errcode = '22023';
  end if;
  return name || '=' || value || '; Path=' || path || '; Max-Age=' || max_age
    || '; HttpOnly; SameSite=' || samesite || case when secure then '; Secure' else '' end;
end
$$;

-- ---------------------------------------------------- roles and passwords

-- Only non-privileged roles that authenticator can switch to (S8).
create function auth.role_allowed(role_ name) returns boolean
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select exists (
    select from pg_catalog.pg_roles r
    where r.rolname = role_
      and not r.rolsuper and not r.rolcreaterole and not r.rolcreatedb
      and not r.rolreplication and not r.rolbypassrls
      and r.rolname not in ('authenticator', 'auth_owner')
      and r.rolname !~ '^pg_'
      and pg_catalog.pg_has_role('authenticator', r.oid, 'MEMBER'))
$$;

-- Enforce that roles exist and are allowed (the guide's name kept).
create function auth.check_role_exists() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if not auth.role_allowed(new.role) then
    raise foreign_key_violation using
      message = 'unknown or not allowed database role: ' || new.role,
      hint = 'the role must exist, be granted to authenticator, and not be a superuser or otherwise privileged role';
  end if;
  return new;
end
$$;

create constraint trigger ensure_user_role_exists
after insert or update on auth.user
for each row execute procedure auth.check_role_exists();

-- Hash passwords on insert/update: bcrypt cost 10 (S6), at most 72 bytes,
-- the most bcrypt uses (S14).
create function auth.encrypt_pass() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op = 'INSERT' or new.password is distinct from old.password then
    if new.password = '' then
      raise check_violation using message = 'password must not be empty';
    end if;
    if octet_length(new.password) > 72 then
      raise check_violation using message = 'password is longer than 72 bytes (bcrypt ignores the rest)';
    end if;
    new.password := public.crypt(new.password, public.gen_salt('bf', 10));
  end if;
  return new;
end
$$;

create trigger encrypt_pass
before insert or update on auth.user
for each row execute procedure auth.encrypt_pass();

-- ------------------------------------------------------------------ JWT

create function auth.url_encode(data bytea) returns text
language sql immutable strict
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.translate(pg_catalog.encode(data, 'base64'), E'+/=\n', '-_')
$$;

create function auth.url_decode(data text) returns bytea
language sql immutable strict
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.decode(
    pg_catalog.rpad(pg_catalog.translate(data, '-_', '+/'),
      (pg_catalog.length(data) + 3) / 4 * 4, '='),
    'base64')
$$;

-- The secret is always standard base64 (S10: no guessing), as caddy-jwt and
-- PGRST_JWT_SECRET_IS_BASE64=true need it; the MAC uses the decoded bytes.
create function auth.sign_raw(
  payload json,
  secret text,
  algorithm text default 'HS256'
) returns text
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  alg text;
  key bytea;
  signables text;
begin
  alg := case algorithm
    when 'HS256' then 'sha256'
    when 'HS384' then 'sha384'
    when 'HS512' then 'sha512'
  end;
  if alg is null then
    raise exception 'unsupported JWT algorithm "%"', algorithm using errcode = '22023';
  end if;
  key := pg_catalog.decode(secret, 'base64');
  signables := auth.url_encode(pg_catalog.convert_to('{"alg":"' || algorithm || '","typ":"JWT"}', 'utf8'))
    || '.' || auth.url_encode(pg_catalog.convert_to(payload::text, 'utf8'));
  return signables || '.' || auth.url_encode(public.hmac(pg_catalog.convert_to(signables, 'utf8'), key, alg));
end
$$;

-- Access token claims: role, username, sub, integer exp = now +
-- app.settings.jwt_exp (default 3600 s, S11).
create function auth.generate_access_token(
  role_ text, user_ text, secret text
) returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  access_token text;
begin
  select auth.sign_raw(pg_catalog.row_to_json(r), secret)
  into access_token
  from (
    select
      role_ as role,
      user_ as username,
      user_ as sub,
      extract(epoch from pg_catalog.now())::bigint + auth.setting_int('jwt_exp', 3600) as exp
  ) r;
  return access_token;
end
$$;

-- The payload of an HS256 token signed with the current secret, or null.
-- exp is not checked: logout accepts an expired token to find its user.
create function auth.verify_token(token text) returns json
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  parts text[] := pg_catalog.string_to_array(token, '.');
  key text;
begin
  if pg_catalog.array_length(parts, 1) is distinct from 3 then
    return null;
  end if;
  select s.secret into key from auth.jwt_secret s;
  if auth.url_encode(public.hmac(pg_catalog.convert_to(parts[1] || '.' || parts[2], 'utf8'),
       pg_catalog.decode(key, 'base64'), 'sha256')) is distinct from parts[3] then
    return null;
  end if;
  return pg_catalog.convert_from(auth.url_decode(parts[2]), 'utf8')::json;
exception when others then
  return null; -- malformed base64 or JSON
end
$$;

-- ----------------------------------------------------------- throttling

create function auth.client_addr() returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  xff text;
  parts text[];
begin
  xff := nullif(pg_catalog.current_setting('request.headers', true), '')::json ->> 'x-forwarded-for';
  if xff is null or pg_catalog.btrim(xff) = '' then
    return null;
  end if;
  parts := pg_catalog.string_to_array(xff, ',');
  return nullif(pg_catalog.btrim(parts[pg_catalog.array_upper(parts, 1)]), '');
exception when others then
  return null;
end
$$;

create function auth.throttle_seq(kind text, key text) returns regclass
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

-- ---------------------------------------------------------------- tokens

-- Set both cookies for a new access token and a new refresh token of
-- family_, and store the refresh token's hash. Expired rows are deleted.
create function auth.issue_tokens(user_ text, role_ name, family_ uuid) returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  key text;
  access_token text;
  refresh_token text;
  exp_s integer := auth.setting_int('jwt_exp', 3600);
  ttl_s integer := auth.setting_int('refresh_token_ttl', 2592000);
begin
  select s.secret into strict key from auth.jwt_secret s;
  access_token := auth.generate_access_token(role_, user_, key);
  refresh_token := auth.url_encode(public.gen_random_bytes(32));

  delete from auth.refresh_token r where r.expires_at < pg_catalog.now();
  insert into auth.refresh_token (token, username, family, expires_at)
  values (pg_catalog.encode(public.digest(refresh_token, 'sha256'), 'hex'), user_, family_,
          pg_catalog.now() + pg_catalog.make_interval(secs => ttl_s));

  perform pg_catalog.set_config('response.headers', pg_catalog.json_build_array(
    pg_catalog.json_build_object('Set-Cookie', auth.cookie('access_token', access_token, '/', exp_s)),
    pg_catalog.json_build_object('Set-Cookie', auth.cookie('refresh_token', refresh_token, '/rpc/refresh_token', ttl_s))
  )::text, true);
end
$$;

-- -------------------------------------------------------------- endpoints

-- Login endpoint
create function auth.login(user_ text, pass text) returns void
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

-- Logout endpoint: expire both cookies on the paths they were set with
-- (S2) and revoke the user's refresh tokens (S3). The refresh cookie is not
-- sent to /rpc/logout, so the user comes from the access_token cookie,
-- whose signature is checked here.
create function auth.logout() returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  cookies json := nullif(pg_catalog.current_setting('request.cookies', true), '')::json;
  claims json := auth.verify_token(cookies ->> 'access_token');
  presented text := cookies ->> 'refresh_token';
begin
  if claims ->> 'sub' is not null then
    delete from auth.refresh_token r where r.username = claims ->> 'sub';
  end if;
  if presented is not null and presented <> '' then
    delete from auth.refresh_token r where r.family in (
      select t.family from auth.refresh_token t
      where t.token = pg_catalog.encode(public.digest(presented, 'sha256'), 'hex'));
  end if;
  perform pg_catalog.set_config('response.headers', pg_catalog.json_build_array(
    pg_catalog.json_build_object('Set-Cookie', auth.cookie('access_token', '', '/', 0)),
    pg_catalog.json_build_object('Set-Cookie', auth.cookie('refresh_token', '', '/rpc/refresh_token', 0))
  )::text, true);
end
$$;

-- Refresh token endpoint: single use. A valid token is marked used and a
-- new pair is issued in the same family. Presenting a used token again is
-- reuse: the family is revoked and the answer is 401 (through
-- response.status, so that the revocation commits).
create function auth.refresh_token() returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  presented text := nullif(pg_catalog.current_setting('request.cookies', true), '')::json ->> 'refresh_token';
  rec record;
  role_ name;
begin
  if presented is null or presented = '' then
    raise sqlstate 'PT401' using message = 'Invalid or expired refresh token';
  end if;

  select r.id, r.username, r.family, r.used_at, r.expires_at into rec
  from auth.refresh_token r
  where r.token = pg_catalog.encode(public.digest(presented, 'sha256'), 'hex')
  for update;
  if not found then
    raise sqlstate 'PT401' using message = 'Invalid or expired refresh token';
  end if;
  if rec.expires_at <= pg_catalog.now() then
    raise sqlstate 'PT401' using message = 'Invalid or expired refresh token';
  end if;

  if rec.used_at is not null then
    delete from auth.refresh_token r where r.family = rec.family;
    perform pg_catalog.set_config('response.status', '401', true);
    perform pg_catalog.set_config('response.headers', pg_catalog.json_build_array(
      pg_catalog.json_build_object('Set-Cookie', auth.cookie('access_token', '', '/', 0)),
      pg_catalog.json_build_object('Set-Cookie', auth.cookie('refresh_token', '', '/rpc/refresh_token', 0))
    )::text, true);
    return;
  end if;

  select u.role into role_ from auth.user u where u.username = rec.username;
  if role_ is null or not auth.role_allowed(role_) then
    raise sqlstate 'PT401' using message = 'Unknown user';
  end if;

  update auth.refresh_token r set used_at = pg_catalog.now() where r.id = rec.id;
  perform auth.issue_tokens(rec.username, role_, rec.family);
end
$$;

-- ---------------------------------------------------------------- grants

-- Functions run as auth_owner; only auth_owner (and superusers) can read
-- the secret and the token tables.
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

revoke all on schema auth from public;
grant usage on schema auth to anon, auth_owner;
revoke execute on all functions in schema auth from public;
alter default privileges in schema auth revoke execute on functions from public;
grant execute on function auth.login(text, text) to anon;
grant execute on function auth.logout() to anon;
grant execute on function auth.refresh_token() to anon;

revoke all on all tables in schema auth from public;
grant select, insert, update, delete on auth.user, auth.refresh_token to auth_owner;
grant select on auth.jwt_secret to auth_owner;
grant usage on schema auth_throttle to auth_owner;
grant select, update, usage on all sequences in schema auth_throttle to auth_owner;
