package postgrest

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/pgtest"
)

// Every PGRST_* variable the engine does not apply is named at startup:
// PostgREST's settings it does not implement, and names PostgREST does not
// know; the ones it applies and app settings are not.
func TestEnvWarnings(t *testing.T) {
	ws := EnvWarnings([]string{"PGRST_DB_URI=x", "PGRST_DB_PRE_CONFIG=x", "PGRST_SERVER_UNIX_SOCKET=/tmp/s",
		"PGRST_DB_SCHEMA_TYPO=x", "PGRST_APP_SETTINGS_ANYTHING=1", "PGRST_DB_AGGREGATES_ENABLED=true", "HOME=/root"})
	joined := strings.Join(ws, "\n")
	if len(ws) != 3 {
		t.Fatalf("warnings: %q", ws)
	}
	for _, want := range []string{"PGRST_DB_PRE_CONFIG is a PostgREST v16.2 setting this engine does not implement",
		"PGRST_SERVER_UNIX_SOCKET is a PostgREST v16.2 setting this engine does not implement",
		"PGRST_DB_SCHEMA_TYPO is not a PostgREST v16.2 setting"} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in %s", want, joined)
		}
	}
	if dbSettingWarning("db_max_rows") != "" || !strings.Contains(dbSettingWarning("db_pre_config"), "does not implement") ||
		!strings.Contains(dbSettingWarning("no_such"), "not a PostgREST v16.2 setting") {
		t.Error("in-database settings")
	}
}

// The warnings reach the log when the engine starts, and an unknown
// pgrst.* setting of the authenticator when the configuration is read.
//
// Not parallel: it sets pgrst.* on the cluster-wide authenticator role.
func TestSettingWarningsLogged(t *testing.T) {
	db := pgtest.NewDatabase(t)
	pool := pgtest.NewPool(t, db)
	ctx := context.Background()
	setupRoles(t, ctx, pool)
	// role-wide settings reach every database: this test is not parallel,
	// and it removes them when it ends
	if _, err := pool.Exec(ctx, fixtureSQL+`alter role authenticator set pgrst.jwt_cache_max_lifetime = '60';
		alter role authenticator set pgrst.no_such = '1';`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = pool.Exec(context.Background(), `alter role authenticator reset pgrst.jwt_cache_max_lifetime;
			alter role authenticator reset pgrst.no_such;`)
	})
	env := map[string]string{"PGRST_DB_URI": pgtest.WithUser(db, "authenticator", "authpw"), "PGRST_DB_ANON_ROLE": "anon",
		"PGRST_SERVER_HOST": "127.0.0.1", "PGRST_LOG_QUERY": "true", "PGRST_DB_CHANNEL_ENABLED": "false"}
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	cfg, err := LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, environ)
	if err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	srv := New(cfg, &log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(runCtx, ln, nil) }()
	for deadline := time.Now().Add(30 * time.Second); srv.SchemaCache() == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("schema cache never loaded")
		}
	}
	cancel()
	<-done
	out := log.String()
	for _, want := range []string{"PGRST_LOG_QUERY is a PostgREST v16.2 setting this engine does not implement",
		"pgrst.jwt_cache_max_lifetime is a PostgREST v16.2 setting this engine does not implement",
		"pgrst.no_such is not a PostgREST v16.2 setting"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
