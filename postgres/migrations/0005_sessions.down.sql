-- Back to migration 0003's token functions (no user lock, no session cap)
-- and no statement timeout for the request roles.
create or replace function auth.issue_tokens(user_ text, role_ name, family_ uuid) returns void
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

create or replace function auth.logout() returns void
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

create or replace function auth.refresh_token() returns void
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

drop function auth.issue_tokens(text, name, uuid, text);
drop function auth.lock_user(text);

-- The request roles' statement timeout (cluster-wide, as set by 0005).
do $$
declare
  r name;
begin
  for r in
    select a.rolname from pg_catalog.pg_roles a
    where exists (select from pg_catalog.unnest(a.rolconfig) c where c like 'statement_timeout=%')
      and (a.rolname in ('anon', 'basic_subscriber')
           or pg_catalog.pg_has_role('authenticator', a.oid, 'member') and a.rolname <> 'authenticator')
  loop
    execute pg_catalog.format('alter role %I reset statement_timeout', r);
  end loop;
end
$$;

drop function auth.deny(text);
revoke set on parameter log_min_messages from auth_owner;
