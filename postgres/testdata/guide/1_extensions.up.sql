-- pgcrypto adds public.crypt and public.hmac, used by auth
create extension pgcrypto;
