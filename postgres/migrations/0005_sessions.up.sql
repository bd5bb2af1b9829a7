-- Sessions hardening:
--   1. every token operation of one user is serialised on that user's
--      auth.user row, so that a revocation (logout, password change, user
--      deletion, reuse detection) sees every token a concurrent refresh or
--      login inserts, and secret rotation takes a table lock;
--   2. at most app.settings.max_sessions_per_user (default 50, 0 = no cap)
--      live refresh-token families per user: a login beyond it ends the
--      oldest sessions;
--   3. a statement timeout for the roles the API runs requests as.
--
-- Lock order everywhere: the auth.user row(s) (FOR NO KEY UPDATE, sorted by
-- username when there are several), then auth.refresh_token. At READ
-- COMMITTED each statement after the lock takes a fresh snapshot, so rows
-- committed by the transaction that held the lock are seen.

-- Lock user_'s row; false when there is no such user.
create function auth.lock_user(user_ text) returns boolean
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  perform from auth.user u where u.username = user_ for no key update;
  return found;
end
$$;

-- Expected auth failures (a wrong password, an expired or reused refresh
-- token) are answers, not server faults: they are raised here with
-- log_min_messages = fatal, so that a signed-out visit of the demo page does
-- not write ERROR, CONTEXT and STATEMENT lines to the PostgreSQL log.
-- Unexpected errors in the auth functions are still logged. The owner may
-- set the parameter by PostgreSQL 15's GRANT SET ON PARAMETER.
grant set on parameter log_min_messages to auth_owner;

create function auth.deny(message text) returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
set log_min_messages = fatal
as $$
begin
  raise sqlstate 'PT401' using message = message;
end
$$;

-- Issue a new token pair of family_ for user_ (login: a new family;
-- refresh: the token's family). Locks the user first and refuses when the
-- user is gone, their role is no longer role_, or (when hash_ is given) their
-- password hash is no longer hash_: a login that read the row before a
-- concurrent `user passwd` committed must not open a session afterwards.
-- A new family beyond the cap ends the user's oldest live families. Expired
-- rows are deleted in bounded batches, skipping rows others hold.
create function auth.issue_tokens(user_ text, role_ name, family_ uuid, hash_ text) returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  key text;
  access_token text;
  refresh_token text;
  exp_s integer := auth.setting_int('jwt_exp', 3600);
  ttl_s integer := auth.setting_int('refresh_token_ttl', 2592000);
  max_s integer := auth.setting_int('max_sessions_per_user', 50);
begin
  if not auth.lock_user(user_) or not exists (select from auth.user u where u.username = user_
      and u.role = role_ and (hash_ is null or u.password = hash_)) then
    perform auth.deny('Invalid user or password'); -- changed meanwhile
  end if;
  -- Before the secret is read: a rotation (EXCLUSIVE) either ran before,
  -- and the new secret is used, or waits and then deletes this token.
  lock table auth.refresh_token in row exclusive mode;
  select s.secret into strict key from auth.jwt_secret s;
  access_token := auth.generate_access_token(role_, user_, key);
  refresh_token := auth.url_encode(public.gen_random_bytes(32));

  delete from auth.refresh_token r where r.id in (
    select e.id from auth.refresh_token e where e.expires_at < pg_catalog.now()
    limit 1000 for update skip locked);

  if max_s > 0 and not exists (select from auth.refresh_token r where r.family = family_) then
    delete from auth.refresh_token r where r.family in (
      select f.family from auth.refresh_token f
      where f.username = user_
      group by f.family
      having pg_catalog.bool_or(f.used_at is null and f.expires_at > pg_catalog.now())
      order by pg_catalog.min(f.created_at) desc, pg_catalog.min(f.id) desc
      offset max_s - 1);
  end if;

  insert into auth.refresh_token (token, username, family, expires_at)
  values (pg_catalog.encode(public.digest(refresh_token, 'sha256'), 'hex'), user_, family_,
          pg_catalog.now() + pg_catalog.make_interval(secs => ttl_s));

  perform pg_catalog.set_config('response.headers', pg_catalog.json_build_array(
    pg_catalog.json_build_object('Set-Cookie', auth.cookie('access_token', access_token, '/', exp_s)),
    pg_catalog.json_build_object('Set-Cookie', auth.cookie('refresh_token', refresh_token, '/rpc/refresh_token', ttl_s))
  )::text, true);
end
$$;

-- The signature login (0003) and refresh call: no hash re-check. A login
-- should pass the hash it verified (the 4-argument form).
create or replace function auth.issue_tokens(user_ text, role_ name, family_ uuid) returns void
language sql volatile
set search_path = pg_catalog, pg_temp
as $$
  select auth.issue_tokens(user_, role_, family_, null::text)
$$;

-- Logout: as 0003, but the users' rows are locked before their tokens are
-- deleted, so a refresh running at the same time either finished first (and
-- its new token is deleted here) or finds its token gone.
create or replace function auth.logout() returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  cookies json := nullif(pg_catalog.current_setting('request.cookies', true), '')::json;
  claims json := auth.verify_token(cookies ->> 'access_token');
  sub text := claims ->> 'sub';
  presented text := cookies ->> 'refresh_token';
  fam uuid;
  fam_user text;
begin
  if presented is not null and presented <> '' then
    select t.family, t.username into fam, fam_user from auth.refresh_token t
    where t.token = pg_catalog.encode(public.digest(presented, 'sha256'), 'hex');
  end if;
  perform from auth.user u where u.username in (sub, fam_user)
  order by u.username for no key update;
  if sub is not null then
    delete from auth.refresh_token r where r.username = sub;
  end if;
  if fam is not null then
    delete from auth.refresh_token r where r.family = fam;
  end if;
  perform pg_catalog.set_config('response.headers', pg_catalog.json_build_array(
    pg_catalog.json_build_object('Set-Cookie', auth.cookie('access_token', '', '/', 0)),
    pg_catalog.json_build_object('Set-Cookie', auth.cookie('refresh_token', '', '/rpc/refresh_token', 0))
  )::text, true);
end
$$;

-- Refresh: as 0003, but the token's owner is locked first and the token is
-- read again under that lock. A token deleted meanwhile (logout, password
-- change, rotation) is invalid; one used meanwhile (a racing refresh) is
-- reuse and revokes the family.
create or replace function auth.refresh_token() returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  presented text := nullif(pg_catalog.current_setting('request.cookies', true), '')::json ->> 'refresh_token';
  hashed text;
  owner_ text;
  rec record;
  role_ name;
begin
  if presented is null or presented = '' then
    perform auth.deny('Invalid or expired refresh token');
  end if;
  hashed := pg_catalog.encode(public.digest(presented, 'sha256'), 'hex');

  select r.username into owner_ from auth.refresh_token r where r.token = hashed;
  if not found or not auth.lock_user(owner_) then
    perform auth.deny('Invalid or expired refresh token');
  end if;
  select r.id, r.username, r.family, r.used_at, r.expires_at into rec
  from auth.refresh_token r
  where r.token = hashed
  for update;
  if not found or rec.username <> owner_ or rec.expires_at <= pg_catalog.now() then
    perform auth.deny('Invalid or expired refresh token');
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
    perform auth.deny('Unknown user');
  end if;

  update auth.refresh_token r set used_at = pg_catalog.now() where r.id = rec.id;
  perform auth.issue_tokens(rec.username, role_, rec.family);
end
$$;

alter function auth.lock_user(text) owner to auth_owner;
alter function auth.deny(text) owner to auth_owner;
revoke execute on function auth.deny(text) from public;
alter function auth.issue_tokens(text, name, uuid, text) owner to auth_owner;
revoke execute on function auth.lock_user(text) from public;
revoke execute on function auth.issue_tokens(text, name, uuid, text) from public;

-- Statement timeout of the request roles: anon, basic_subscriber and every
-- other role granted to authenticator. PostgREST v16.2 applies a role's
-- user-settable settings to each request it impersonates that role for
-- ("Impersonated Role Settings"; queryRoleSettings in Config/Database.hs
-- reads pg_roles.rolconfig of the roles granted to the authenticator), SET
-- ROLE alone does not. rolconfig holds only cluster-wide settings, so this
-- is ALTER ROLE ... SET, for every database of the cluster, like the roles.
-- API_STATEMENT_TIMEOUT (checked by stackctl migrate; '' = 10s) travels
-- through a transaction-local setting.
select pg_catalog.set_config('stackctl.api_statement_timeout', {{API_STATEMENT_TIMEOUT}}, true);
do $$
declare
  v text := coalesce(nullif(pg_catalog.current_setting('stackctl.api_statement_timeout', true), ''), '10s');
  r name;
begin
  if v !~ '^(0|[1-9][0-9]{0,8}(ms|s|min|h)?)$' then
    raise exception 'API_STATEMENT_TIMEOUT must be 0 or a positive integer with an optional unit ms, s, min or h, got "%"', v
      using errcode = '22023';
  end if;
  for r in
    select a.rolname from pg_catalog.pg_roles a
    where a.rolname in ('anon', 'basic_subscriber')
       or pg_catalog.pg_has_role('authenticator', a.oid, 'member')
          and a.rolname <> 'authenticator' and not a.rolsuper
    -- unchanged roles are not rewritten: fewer concurrent catalog updates
    -- when several databases of the cluster migrate at once
    except
    select a.rolname from pg_catalog.pg_roles a
    where ('statement_timeout=' || v) = any(a.rolconfig)
    order by 1
  loop
    execute pg_catalog.format('alter role %I set statement_timeout = %L', r, v);
  end loop;
  perform pg_catalog.set_config('stackctl.api_statement_timeout', '', true);
end
$$;
