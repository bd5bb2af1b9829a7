-- Back to migration 0006: no session rows, no sid claim, no pre-request
-- function, no reuse interval, logout without scopes (0005's functions).

drop function auth.change_password(text, text);
drop function auth.check_password(text, text);
drop function auth.revoke_session(uuid);
drop function auth.sessions();
drop function auth.logout(text);
drop function auth.check_session();

create or replace function auth.issue_tokens(user_ text, role_ name, family_ uuid, hash_ text) returns void
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

drop function auth.logout_scope(text);
drop function auth.caller();
drop function auth.drop_dead_sessions(text);
drop function auth.clear_cookies();
drop function auth.generate_access_token(text, text, text, uuid);
drop function auth.session_live(text, uuid);
drop function auth.clean(text, integer);
drop function auth.to_uuid(text);
drop function auth.refuse(text, text);

alter table auth.refresh_token drop constraint refresh_token_family_fkey;
drop index auth.refresh_token_live_family_idx;
drop table auth.session;

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

revoke usage on schema auth from public;
grant usage on schema auth to anon, auth_owner;
revoke execute on all functions in schema auth from public;
grant execute on function auth.login(text, text) to anon;
grant execute on function auth.logout() to anon;
grant execute on function auth.refresh_token() to anon;
