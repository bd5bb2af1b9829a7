package postgrest

import (
	"context"
	"strings"
)

// dbConfigSQL reads the pgrst.* settings attached to the authenticator
// (the role we log in as) for all databases and for the current one, the
// latter last so that it wins (Config/Database.hs@v16.2). ALTER DATABASE …
// SET pgrst.* is ignored, as in PostgREST.
const dbConfigSQL = `
select substr(kv, 7, strpos(kv, '=') - 7), substr(kv, strpos(kv, '=') + 1)
from pg_catalog.pg_db_role_setting s, unnest(s.setconfig) kv
where s.setrole = (select oid from pg_catalog.pg_roles where rolname = current_user)
  and (s.setdatabase = 0 or s.setdatabase = (select oid from pg_catalog.pg_database where datname = current_catalog))
  and kv like 'pgrst.%=%'
order by s.setdatabase`

// loadDBConfig applies in-database configuration (db-config, default on):
// role-level pgrst.* settings override the environment. An invalid result
// is logged and the previous configuration kept.
func (s *Server) loadDBConfig(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, dbConfigSQL)
	if err != nil {
		return err
	}
	overlay := map[string]string{}
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			rows.Close()
			return err
		}
		if w := dbSettingWarning(name); w != "" {
			if _, seen := s.dbWarned.LoadOrStore(name, true); !seen {
				s.logf(lvlCrit, "%s", w)
			}
			continue
		}
		overlay["PGRST_"+strings.ToUpper(name)] = value
	}
	if err := rows.Err(); err != nil {
		return err
	}
	base := s.cfg
	if len(overlay) == 0 && s.conf() == base {
		return nil
	}
	lookup := base.lookup
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	cfg, err := LoadConfig(func(k string) (string, bool) {
		if v, ok := overlay[k]; ok {
			return v, true
		}
		return lookup(k)
	}, base.environ)
	if err != nil {
		s.logf(lvlCrit, "Failed reloading config: %v", err)
		return nil
	}
	if cfg.Dump(true) != s.conf().Dump(true) {
		s.setConfig(cfg)
		s.logf(lvlCrit, "Config reloaded")
	}
	return nil
}
