-- Roles are cluster-wide and may be used by other databases of the same
-- cluster, so they are left in place. Drop them by hand if you want:
--   drop role basic_subscriber, anon, authenticator, auth_owner;
select 1;
