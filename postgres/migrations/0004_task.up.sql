-- Example app table for the guide's `GET /rest/task`: each user sees and
-- changes only their own rows (row-level security on the token's sub claim).
create table public.task (
  id bigint generated always as identity primary key,
  owner text not null
    default (nullif(current_setting('request.jwt.claims', true), '')::json ->> 'sub')
    references auth.user (username) on delete cascade on update cascade,
  title text not null check (length(title) between 1 and 500),
  done boolean not null default false,
  created_at timestamptz not null default now()
);

alter table public.task enable row level security;

create policy task_owner on public.task
  for all to basic_subscriber
  using (owner = (select nullif(current_setting('request.jwt.claims', true), '')::json ->> 'sub'))
  with check (owner = (select nullif(current_setting('request.jwt.claims', true), '')::json ->> 'sub'));

grant usage on schema public to basic_subscriber;
grant select, insert, update, delete on public.task to basic_subscriber;
