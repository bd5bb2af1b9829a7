package dbcmds_test

import (
	"path/filepath"
	"testing"

	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/postgres"
)

// latestVersion is the highest embedded migration version, so that adding
// a migration does not break the tests that check "all applied".
func latestVersion(t testing.TB) int {
	t.Helper()
	v, err := postgres.LatestVersion()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// newProjectEnv is the start most command tests share: a clean
// environment, an empty database, a project directory and its .env from
// `secret gen`. It returns the .env path and the superuser URL.
func newProjectEnv(t *testing.T) (env, url string) {
	t.Helper()
	isolate(t)
	url = pgtest.NewDatabase(t)
	env = filepath.Join(projectDir(t), ".env")
	if r := run(t, env, "", "secret", "gen"); r.err != nil {
		t.Fatal(r.err)
	}
	return env, url
}
