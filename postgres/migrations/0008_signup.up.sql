-- Opt-in sign-up (issue 14): POST /rpc/signup {"user_", "pass"} exists
-- only while SIGNUP_ENABLED=true. Disabled (the default), there is no
-- auth.signup function at all, so PostgREST answers exactly as for any
-- function that is not there (404 PGRST202): revoking EXECUTE would not do,
-- as PostgREST v16.2's schema cache lists functions whatever their
-- privileges (funcsSqlQuery in SchemaCache.hs) and a call would answer
-- 401/403 "permission denied for function signup".
--
-- `stackctl migrate up` (also run by `stackctl up` and compose's migrate
-- service) calls auth.configure_signup(SIGNUP_ENABLED, SIGNUP_ROLE) after
-- the migrations, which creates or drops auth.signup and tells PostgREST to
-- reload its schema cache (NOTIFY pgrst, 'reload schema').
--
-- Sign-up cannot enumerate users: a name that is taken (also in another
-- letter case) gets the same answer as a new one (204, no body, no
-- cookie) after the same work (one bcrypt hash at cost 10); the account
-- is usable only by who chose its password. Names and passwords that
-- break the rules get 400 whatever the name's state. Attempts are
-- throttled per client address (every attempt counts).

create table auth.signup_config (
  id boolean primary key default true check (id),
  role name not null
);
revoke all on auth.signup_config from public;
grant select, insert, update, delete on auth.signup_config to auth_owner;

-- sign-up compares names case-insensitively
create index user_username_lower_idx on auth.user (pg_catalog.lower(username));

-- The name rules of `stackctl user add` (internal/authdb/names.go): 3 to
-- 64 characters, no white space around it, no control or invisible
-- (format) characters.
create function auth.check_username(user_ text) returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if user_ is null or pg_catalog.char_length(user_) < 3 then
    perform auth.refuse('22023', 'user name must have at least 3 characters');
  end if;
  if pg_catalog.char_length(user_) > 64 then
    perform auth.refuse('22023', 'user name must have at most 64 characters');
  end if;
  if user_ ~ '^[\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]|[\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$' then
    perform auth.refuse('22023', 'user name must not start or end with white space');
  end if;
  if user_ ~ '[\u0001-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]' then
    perform auth.refuse('22023', 'user name must not contain control or invisible characters');
  end if;
end
$$;

-- The sign-up itself (auth.signup, when enabled, calls it).
create function auth.signup_create(user_ text, pass text) returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  role_ name;
  akey text := 'signup:' || coalesce(auth.client_addr(), '');
  window_s integer := auth.setting_int('login_window', 900);
  max_addr integer := auth.setting_int('signup_max_attempts_addr', 5);
  wait_s integer;
begin
  select c.role into role_ from auth.signup_config c;
  if role_ is null or role_ = 'anon' or not auth.role_allowed(role_) then
    -- the same for every name: nothing to enumerate
    raise exception using errcode = 'PT500',
      message = 'sign-up is not available: SIGNUP_ROLE is not a role users may have (run stackctl migrate up)';
  end if;
  perform auth.check_username(user_);
  perform auth.check_password(user_, pass);

  -- every attempt counts for the address (a lock-free look first, 0006)
  wait_s := auth.throttle_wait('addr', akey, max_addr, window_s);
  if wait_s = 0 then
    if not auth.login_slot() then
      perform auth.throttle_raise('Too many concurrent sign-ups', 1);
    end if;
    wait_s := auth.throttle_take(null, akey, 0, max_addr, window_s);
  end if;
  if wait_s > 0 then
    perform auth.throttle_raise('Too many sign-ups', wait_s);
  end if;

  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('auth.signup'), pg_catalog.hashtext(pg_catalog.lower(user_)));
  if exists (select from auth.user u where pg_catalog.lower(u.username) = pg_catalog.lower(user_)) then
    perform public.crypt(pass, public.gen_salt('bf', 10)); -- the hash a new user costs
  else
    insert into auth.user (username, password, role) values (user_, pass, role_)
    on conflict (username) do nothing; -- encrypt_pass hashes it (cost 10)
  end if;
end
$$;

-- Create or drop auth.signup; run by stackctl (a superuser) after every
-- `migrate up`. Returns what changed: enabled, disabled, role changed or
-- unchanged. Refuses a role users may not have (auth.role_allowed, as for
-- every user) and changes nothing then.
create function auth.configure_signup(enabled boolean, role_ text) returns text
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  had boolean;
  old_role name;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('auth.configure_signup'));
  had := pg_catalog.to_regprocedure('auth.signup(text,text)') is not null;
  select c.role into old_role from auth.signup_config c;
  if enabled is not true then
    delete from auth.signup_config;
    if had then
      drop function auth.signup(text, text);
      perform pg_catalog.pg_notify('pgrst', 'reload schema');
      return 'disabled';
    end if;
    return 'unchanged';
  end if;
  -- anon is what requests without a token run as (stackctl user add
  -- refuses it too, internal/authdb/names.go)
  if role_ is null or role_ = 'anon' or not auth.role_allowed(role_) then
    raise exception 'SIGNUP_ROLE=% is not a role users may have', coalesce(role_, '')
      using errcode = '22023',
        hint = 'use a role that exists, is granted to authenticator and is not a superuser or otherwise privileged (as for stackctl user add --role); the default is basic_subscriber';
  end if;
  insert into auth.signup_config (role) values (role_)
  on conflict (id) do update set role = excluded.role;
  if not had then
    create function auth.signup(user_ text, pass text) returns void
    language sql volatile security definer
    set search_path = pg_catalog, pg_temp
    as $f$ select auth.signup_create(user_, pass) $f$;
    alter function auth.signup(text, text) owner to auth_owner;
    revoke all on function auth.signup(text, text) from public;
    grant execute on function auth.signup(text, text) to anon;
    perform pg_catalog.pg_notify('pgrst', 'reload schema');
    return 'enabled';
  end if;
  if old_role is distinct from role_::name then
    return 'role changed';
  end if;
  return 'unchanged';
end
$$;

alter function auth.check_username(text) owner to auth_owner;
alter function auth.signup_create(text, text) owner to auth_owner;
alter function auth.configure_signup(boolean, text) owner to auth_owner;
revoke execute on function auth.check_username(text) from public;
revoke execute on function auth.signup_create(text, text) from public;
revoke execute on function auth.configure_signup(boolean, text) from public;
