drop schema if exists auth cascade;
drop schema if exists auth_throttle cascade;
