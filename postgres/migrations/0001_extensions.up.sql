-- pgcrypto adds public.crypt, public.gen_salt, public.hmac, public.digest
-- and public.gen_random_bytes, used by the auth schema.
create extension if not exists pgcrypto with schema public;
