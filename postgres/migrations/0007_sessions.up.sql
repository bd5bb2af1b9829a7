-- Sessions a user can see and end (issue 14; everything here is additive):
--   1. a session is a refresh-token family: auth.session holds one row per
--      family (when it started, when it was last refreshed, from which
--      browser and address); the access token carries its id as `sid`;
--   2. auth.check_session, the API's db-pre-request function, refuses an
--      access token whose session has ended (logout, revoke_session,
--      change_password, stackctl user passwd/del/revoke), at once instead of
--      at the token's exp;
--   3. a spent refresh token presented again within
--      app.settings.refresh_token_reuse_interval seconds (default 10) of its
--      rotation is accepted (two tabs refreshing at once) instead of ending
--      the session; later it still ends it (0003);
--   4. endpoints: GET /rpc/sessions, POST /rpc/revoke_session,
--      POST /rpc/logout with {"scope": "local"|"global"|"others"} (Supabase
--      Auth's logout scopes), POST /rpc/change_password.
--
-- The liveness of a session is its refresh tokens, as before: a session is
-- live while its family has an unused, unexpired token. auth.session rows
-- are deleted with their tokens (ON DELETE CASCADE from auth.session), and
-- rows whose tokens went another way (expired, or deleted by an older
-- stackctl) are not live and are cleaned up at the user's next login.
-- Lock order as in 0005: the auth.user row(s), then the token tables.

-- ---------------------------------------------------------------- tables

create table auth.session (
  id uuid primary key,
  username text not null references auth.user (username) on delete cascade on update cascade,
  created_at timestamptz not null default now(),
  last_used_at timestamptz not null default now(),
  user_agent text check (length(user_agent) <= 256),
  ip text check (length(ip) <= 64)
);
create index session_username_idx on auth.session (username);

-- Families issued before this migration become sessions of unknown origin.
insert into auth.session (id, username, created_at, last_used_at)
select r.family, pg_catalog.min(r.username), pg_catalog.min(r.created_at), pg_catalog.max(r.created_at)
from auth.refresh_token r
group by r.family;

alter table auth.refresh_token
  add constraint refresh_token_family_fkey foreign key (family) references auth.session (id) on delete cascade;
-- The pre-request's lookup: the live token of one family.
create index refresh_token_live_family_idx on auth.refresh_token (family) where used_at is null;

revoke all on auth.session from public;
grant select, insert, update, delete on auth.session to auth_owner;

-- ------------------------------------------------------------- helpers

-- An expected refusal (wrong password, unknown session, bad scope) with
-- SQLSTATE code_: an answer, not a fault, so not logged (as auth.deny, 0005).
create function auth.refuse(code_ text, message text) returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
set log_min_messages = fatal
as $$
begin
  raise exception using errcode = code_, message = message;
end
$$;

-- text as a uuid, or null when it is not one.
create function auth.to_uuid(v text) returns uuid
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
  select case when v ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then v::uuid end
$$;

-- A header value fit to store and show: control characters dropped, cut
-- to n characters.
create function auth.clean(v text, n integer) returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
  select nullif(pg_catalog.left(pg_catalog.regexp_replace(v, '[[:cntrl:]]', '', 'g'), n), '')
$$;

-- Whether session sid_ of user_ is live: its family has an unused,
-- unexpired refresh token (refresh_token_live_family_idx).
create function auth.session_live(user_ text, sid_ uuid) returns boolean
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select exists (
    select from auth.refresh_token r
    where r.family = sid_ and r.used_at is null and r.username = user_
      and r.expires_at > pg_catalog.now())
$$;

-- Access token claims: 0003's (role, username, sub, exp) plus sid, the
-- session (refresh-token family) the token belongs to.
create function auth.generate_access_token(role_ text, user_ text, secret text, sid_ uuid) returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select auth.sign_raw(pg_catalog.row_to_json(c), secret)
  from (select role_ as role, user_ as username, user_ as sub, sid_ as sid,
          extract(epoch from pg_catalog.now())::bigint + auth.setting_int('jwt_exp', 3600) as exp) c
$$;

-- The Set-Cookie lines that end the browser's session (0003's logout).
create function auth.clear_cookies() returns void
language sql volatile
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.set_config('response.headers', pg_catalog.json_build_array(
    pg_catalog.json_build_object('Set-Cookie', auth.cookie('access_token', '', '/', 0)),
    pg_catalog.json_build_object('Set-Cookie', auth.cookie('refresh_token', '', '/rpc/refresh_token', 0))
  )::text, true)::void
$$;

-- The caller of an endpoint that needs a signed-in user: sub and sid of
-- the bearer token PostgREST verified (request.jwt.claims). 401 without
-- one, or when its session has ended (also when no db-pre-request is
-- configured). A token without sid (minted with the secret, or issued
-- before this migration) names no session: sid is null.
create function auth.caller(out sub text, out sid uuid)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  claims json := nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::json;
begin
  sub := claims ->> 'sub';
  if sub is null then
    perform auth.deny('Sign in first');
  end if;
  if claims ->> 'sid' is not null then
    sid := auth.to_uuid(claims ->> 'sid');
    if sid is null or not auth.session_live(sub, sid) then
      perform auth.deny('Session ended');
    end if;
  end if;
end
$$;

-- ------------------------------------------------------ the pre-request

-- PGRST_DB_PRE_REQUEST=auth.check_session: PostgREST runs it after the
-- request's settings, in the request's transaction, as the request's role
-- (db-pre-request, PostgREST docs "Transactions"; Query/PreQuery.hs at
-- v16.2). Anonymous requests and tokens without a sid pass; a token whose
-- session ended is refused with 401, so a revocation takes effect on
-- /rest/* and /rpc/* at once. POST /rpc/logout passes: it must clear the
-- cookies of an ended session too, and checks the session itself.
--
-- It runs before every request, so the lookup is inline: auth.to_uuid and
-- auth.session_live are SQL functions with a SET clause, which PostgreSQL
-- plans again at every call (about 0.1 ms each here), while a PL/pgSQL
-- statement's plan is kept for the connection (BenchmarkPreRequest).
create function auth.check_session() returns void
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  claims json := nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::json;
  sid_ text := claims ->> 'sid';
begin
  if sid_ is null or pg_catalog.current_setting('request.path', true) = '/rpc/logout' then
    return;
  end if;
  if sid_ !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    perform auth.deny('Session ended'); -- names no session
  end if;
  if not exists (
      select from auth.refresh_token r
      where r.family = sid_::uuid and r.used_at is null and r.username = claims ->> 'sub'
        and r.expires_at > pg_catalog.now()) then
    -- On a standby (reads sent to a read replica, POSTGREST_READS=replica)
    -- a session opened a moment ago may not have been replayed yet: a
    -- token issued (exp - jwt_exp) within app.settings.standby_session_grace
    -- seconds (default 10) passes there. Revocations, too, reach a standby
    -- only after its replay lag.
    if pg_catalog.pg_is_in_recovery() and (claims ->> 'exp') ~ '^[0-9]{1,12}$'
       and (claims ->> 'exp')::bigint - auth.setting_int('jwt_exp', 3600)
           > extract(epoch from pg_catalog.now())::bigint - auth.setting_int('standby_session_grace', 10) then
      return;
    end if;
    perform auth.deny('Session ended');
  end if;
end
$$;

-- ---------------------------------------------------------------- tokens

-- End the user's sessions that have no live token (expired, or their
-- tokens were deleted without the session row).
create function auth.drop_dead_sessions(user_ text) returns void
language sql volatile
set search_path = pg_catalog, pg_temp
as $$
  delete from auth.session s
  where s.username = user_
    and not exists (select from auth.refresh_token r
                    where r.family = s.id and r.expires_at > pg_catalog.now())
$$;

-- 0005's issue_tokens, now also recording the session (a new family
-- starts one; a refresh updates last_used_at, browser and address) and
-- putting its id in the access token. The session cap counts sessions.
create or replace function auth.issue_tokens(user_ text, role_ name, family_ uuid, hash_ text) returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  key text;
  refresh_token text;
  exp_s integer := auth.setting_int('jwt_exp', 3600);
  ttl_s integer := auth.setting_int('refresh_token_ttl', 2592000);
  max_s integer := auth.setting_int('max_sessions_per_user', 50);
  headers json := nullif(pg_catalog.current_setting('request.headers', true), '')::json;
begin
  if not auth.lock_user(user_) or not exists (select from auth.user u where u.username = user_
      and u.role = role_ and (hash_ is null or u.password = hash_)) then
    perform auth.deny('Invalid user or password'); -- changed meanwhile
  end if;
  -- before the secret is read (0005): a rotation runs before or after
  lock table auth.refresh_token in row exclusive mode;
  select s.secret into strict key from auth.jwt_secret s;
  refresh_token := auth.url_encode(public.gen_random_bytes(32));

  delete from auth.refresh_token r where r.id in (
    select e.id from auth.refresh_token e where e.expires_at < pg_catalog.now()
    limit 1000 for update skip locked);

  if not exists (select from auth.session s where s.id = family_) then
    perform auth.drop_dead_sessions(user_);
    if max_s > 0 then
      delete from auth.session s where s.id in (
        select o.id from auth.session o
        where o.username = user_
        order by o.created_at desc, o.id desc
        offset max_s - 1);
    end if;
  end if;

  insert into auth.session as s (id, username, user_agent, ip)
  values (family_, user_, auth.clean(headers ->> 'user-agent', 256), auth.clean(auth.client_addr(), 64))
  on conflict (id) do update
    set last_used_at = pg_catalog.now(), user_agent = excluded.user_agent, ip = excluded.ip
    where s.username = excluded.username;

  insert into auth.refresh_token (token, username, family, expires_at)
  values (pg_catalog.encode(public.digest(refresh_token, 'sha256'), 'hex'), user_, family_,
          pg_catalog.now() + pg_catalog.make_interval(secs => ttl_s));

  perform pg_catalog.set_config('response.headers', pg_catalog.json_build_array(
    pg_catalog.json_build_object('Set-Cookie',
      auth.cookie('access_token', auth.generate_access_token(role_, user_, key, family_), '/', exp_s)),
    pg_catalog.json_build_object('Set-Cookie', auth.cookie('refresh_token', refresh_token, '/rpc/refresh_token', ttl_s))
  )::text, true);
end
$$;

-- 0005's refresh with the reuse interval. A token used (rotated) at most
-- refresh_token_reuse_interval seconds ago (default 10; 0 = none) is
-- accepted again: a new pair of the same family is issued, as when two
-- tabs present the same cookie at once (Supabase Auth's
-- refresh_token_reuse_interval). Used longer ago, it is reuse: the session
-- ends (401). A normal rotation marks the family's other unused tokens
-- that are older than the interval as used, so a token issued to the
-- losing tab of such a race cannot be kept for later.
create or replace function auth.refresh_token() returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  presented text := nullif(pg_catalog.current_setting('request.cookies', true), '')::json ->> 'refresh_token';
  reuse_s integer := auth.setting_int('refresh_token_reuse_interval', 10);
  grace interval := pg_catalog.make_interval(secs => reuse_s);
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

  if rec.used_at is not null and (reuse_s = 0 or pg_catalog.now() - rec.used_at > grace) then
    delete from auth.session s where s.id = rec.family; -- its tokens go with it
    delete from auth.refresh_token r where r.family = rec.family;
    perform pg_catalog.set_config('response.status', '401', true);
    perform auth.clear_cookies();
    return;
  end if;

  select u.role into role_ from auth.user u where u.username = rec.username;
  if role_ is null or not auth.role_allowed(role_) then
    perform auth.deny('Unknown user');
  end if;

  if rec.used_at is null then
    update auth.refresh_token r set used_at = pg_catalog.now() where r.id = rec.id;
    update auth.refresh_token r set used_at = pg_catalog.now()
    where r.family = rec.family and r.used_at is null and r.id <> rec.id
      and r.created_at < pg_catalog.now() - grace;
  end if;
  perform auth.issue_tokens(rec.username, role_, rec.family);
end
$$;

-- ------------------------------------------------------------- logout

-- End sessions of the caller, by scope (Supabase Auth's logout scopes):
--   local   the current session (the guide's /rpc/logout with no body)
--   global  every session of the user
--   others  every session but the current one; the cookies are kept
-- The caller is the bearer token's sub and sid when the request has one
-- (an API client), else the access_token cookie's, whose signature is
-- checked here (0003; exp is not: the cookie may have just expired). A
-- token whose session has already ended ends nothing more. A token
-- without sid (issued before migration 0007) ends all of the user's
-- sessions for local and global, as logout did before, and is refused for
-- others. A refresh_token cookie, if sent, also ends its session (not for
-- others).
create function auth.logout_scope(scope text) returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  bearer json := nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::json;
  cookies json := nullif(pg_catalog.current_setting('request.cookies', true), '')::json;
  claims json := case when bearer ->> 'sub' is not null then bearer
                      else auth.verify_token(cookies ->> 'access_token') end;
  sub text := claims ->> 'sub';
  has_sid boolean := claims ->> 'sid' is not null;
  sid_ uuid := auth.to_uuid(claims ->> 'sid');
  presented text := cookies ->> 'refresh_token';
  fam uuid;
  fam_user text;
begin
  if scope is null or scope not in ('local', 'global', 'others') then
    perform auth.refuse('22023', 'scope must be local, global or others');
  end if;
  if scope = 'others' and sub is not null and not has_sid then
    perform auth.refuse('22023', 'this access token names no session (it predates sessions): sign in again, or use scope global');
  end if;
  if presented is not null and presented <> '' and scope <> 'others' then
    select t.family, t.username into fam, fam_user from auth.refresh_token t
    where t.token = pg_catalog.encode(public.digest(presented, 'sha256'), 'hex');
  end if;
  perform from auth.user u where u.username in (sub, fam_user)
  order by u.username for no key update;

  -- a malformed sid names no live session: nothing more ends
  if sub is not null and (not has_sid or auth.session_live(sub, sid_)) then
    delete from auth.session s
    where s.username = sub
      and case scope
            when 'local' then not has_sid or s.id = sid_
            when 'global' then true
            else s.id <> sid_
          end;
  end if;
  if fam is not null then
    delete from auth.session s where s.id = fam;
  end if;
  if scope <> 'others' then
    perform auth.clear_cookies();
  end if;
end
$$;

-- The guide's /rpc/logout (no body): the current session.
create or replace function auth.logout() returns void
language sql security definer
set search_path = pg_catalog, pg_temp
as $$
  select auth.logout_scope('local')
$$;

-- /rpc/logout with {"scope": …}.
create function auth.logout(scope text) returns void
language sql security definer
set search_path = pg_catalog, pg_temp
as $$
  select auth.logout_scope(scope)
$$;

-- ------------------------------------------------------------ sessions

-- GET /rpc/sessions: the caller's live sessions, most recently used first;
-- current marks the one the access token belongs to.
create function auth.sessions()
returns table (id uuid, created_at timestamptz, last_used_at timestamptz, user_agent text, ip text, "current" boolean)
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  me record;
begin
  select * into strict me from auth.caller();
  return query
    select s.id, s.created_at, s.last_used_at, s.user_agent, s.ip, s.id is not distinct from me.sid
    from auth.session s
    where s.username = me.sub and auth.session_live(me.sub, s.id)
    order by s.last_used_at desc, s.id
    limit 1000;
end
$$;

-- POST /rpc/revoke_session {"session_id": …}: end one of the caller's own
-- sessions. Any other id (another user's, an ended one, an unknown one)
-- answers 404 and changes nothing. Ending the current session also clears
-- the cookies, as logout does.
create function auth.revoke_session(session_id uuid) returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  me record;
begin
  select * into strict me from auth.caller();
  perform auth.lock_user(me.sub);
  if session_id is null or not auth.session_live(me.sub, session_id) then
    perform auth.refuse('PT404', 'No such session');
  end if;
  delete from auth.session s where s.id = session_id and s.username = me.sub;
  if session_id = me.sid then
    perform auth.clear_cookies();
  end if;
end
$$;

-- --------------------------------------------------------- passwords

-- The password policy of change_password and signup: at least
-- app.settings.password_min_length characters (default 8), at most 72
-- bytes (bcrypt ignores the rest, 0003's S14), not the user name.
create function auth.check_password(user_ text, pass text) returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  min_len integer := greatest(auth.setting_int('password_min_length', 8), 1);
begin
  if pass is null or pg_catalog.char_length(pass) < min_len then
    perform auth.refuse('22023', 'password must have at least ' || min_len || ' characters');
  end if;
  if pg_catalog.octet_length(pass) > 72 then
    perform auth.refuse('22023', 'password is longer than 72 bytes (bcrypt ignores the rest)');
  end if;
  if pg_catalog.lower(pass) = pg_catalog.lower(user_) then
    perform auth.refuse('22023', 'password must not be the user name');
  end if;
end
$$;

-- POST /rpc/change_password {"old_pass", "new_pass"}: throttled like a
-- login (one attempt counted for the user and the address before the old
-- password is checked, 0006; a wrong one answers 403 and stays counted).
-- On success every other session of the user ends; the current one stays.
create function auth.change_password(old_pass text, new_pass text) returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  me record;
  ukey text;
  akey text := auth.client_addr();
  hash text;
begin
  select * into strict me from auth.caller();
  perform auth.check_password(me.sub, new_pass);
  ukey := pg_catalog.lower(me.sub);
  perform auth.login_throttle_begin(ukey, akey);

  select u.password into hash from auth.user u where u.username = me.sub;
  if not found or old_pass is null or pg_catalog.octet_length(old_pass) > 72
     or hash is distinct from public.crypt(old_pass, hash) then
    perform auth.refuse('PT403', 'Wrong password'); -- counted; not 401: the session is fine
  end if;
  perform auth.login_throttle_success(ukey, akey);

  perform auth.lock_user(me.sub);
  update auth.user u set password = new_pass where u.username = me.sub;
  delete from auth.session s where s.username = me.sub and s.id is distinct from me.sid;
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

-- Every role PostgREST switches to runs the pre-request function and may
-- log out and manage its own sessions: any role granted to authenticator,
-- including ones created later, so PUBLIC. The functions find the caller
-- in the verified claims; nothing else in the schema is granted.
grant usage on schema auth to public;
revoke execute on all functions in schema auth from public;
grant execute on function auth.login(text, text) to anon;
grant execute on function auth.refresh_token() to anon;
grant execute on function auth.check_session() to public;
grant execute on function auth.logout() to public;
grant execute on function auth.logout(text) to public;
grant execute on function auth.sessions() to public;
grant execute on function auth.revoke_session(uuid) to public;
grant execute on function auth.change_password(text, text) to public;
