-- Roles. They are cluster-wide, so they are created only when missing
-- (audit D4: the guide never creates anon/authenticator; D8: `create role`
-- is not idempotent).
--   anon              the role of requests without a token (PGRST_DB_ANON_ROLE)
--   authenticator     PostgREST's login role; switches to the others
--   basic_subscriber  the role of logged-in demo users
--   auth_owner        owns the auth functions; the only reader of the secret
do $$
declare
  r record;
begin
  for r in
    select * from (values
      ('anon', 'nologin'),
      ('authenticator', 'login noinherit'),
      ('basic_subscriber', 'nologin'),
      ('auth_owner', 'nologin')) v(name, opts)
  loop
    if not exists (select from pg_catalog.pg_roles where rolname = r.name) then
      begin
        execute pg_catalog.format('create role %I %s', r.name, r.opts);
      exception when duplicate_object or unique_violation then
        null; -- created concurrently by another database's migration
      end;
    end if;
  end loop;
  alter role authenticator login noinherit;
  alter role auth_owner nologin nosuperuser nocreaterole nocreatedb;
end
$$;

grant anon to authenticator;
grant basic_subscriber to authenticator;

-- The authenticator password comes from AUTHENTICATOR_PASSWORD; it is set
-- only when that variable is not empty. The value travels through a
-- transaction-local setting so that no statement text holds it twice.
select pg_catalog.set_config('stackctl.authenticator_password', {{AUTHENTICATOR_PASSWORD}}, true);
do $$
declare
  pw text := pg_catalog.current_setting('stackctl.authenticator_password', true);
begin
  if pw is not null and pw <> '' then
    execute pg_catalog.format('alter role authenticator password %L', pw);
  end if;
  perform pg_catalog.set_config('stackctl.authenticator_password', '', true);
end
$$;
