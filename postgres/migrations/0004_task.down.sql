drop table if exists public.task;
