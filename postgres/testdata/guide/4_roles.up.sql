-- minimal fix (D4, D8): create the roles the guide assumes, only when missing
do $$ begin
  if not exists (select from pg_roles where rolname = 'anon') then create role anon nologin; end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then create role authenticator noinherit login; end if;
  if not exists (select from pg_roles where rolname = 'basic_subscriber') then create role basic_subscriber; end if;
exception when duplicate_object or unique_violation then null;
end $$;
grant anon to authenticator;
