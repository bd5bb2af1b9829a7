-- Back to migration 0007: no sign-up.
drop function if exists auth.signup(text, text);
drop function auth.configure_signup(boolean, text);
drop function auth.signup_create(text, text);
drop function auth.check_username(text);
drop index auth.user_username_lower_idx;
drop table auth.signup_config;
