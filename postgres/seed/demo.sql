-- Demo data: the guide's demo user (demo/demo) and a second user
-- (alice/alice), both basic_subscriber, each with a few tasks. Idempotent:
-- running it again creates nothing twice and changes no password.
insert into auth.user (username, password, role) values
  ('demo', 'demo', 'basic_subscriber'),
  ('alice', 'alice', 'basic_subscriber')
on conflict (username) do nothing;

insert into public.task (owner, title, done)
select v.owner, v.title, v.done
from (values
  ('demo', 'Read the JWT auth guide', true),
  ('demo', 'Log in through Caddy', false),
  ('demo', 'Refresh the access token', false),
  ('alice', 'Alice''s first task', false),
  ('alice', 'Alice''s second task', true)
) v(owner, title, done)
where not exists (
  select from public.task t where t.owner = v.owner and t.title = v.title
);
