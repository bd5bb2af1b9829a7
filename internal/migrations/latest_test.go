package migrations_test

import (
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"github.com/authstack/authstack/postgres"
)

// latestVersion is the highest embedded migration version, so that adding
// a migration does not break the tests that check "all applied".
func latestVersion(t testing.TB) int {
	t.Helper()
	names, err := fs.Glob(postgres.FS, postgres.MigrationsDir+"/*.up.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded migrations: %v %v", names, err)
	}
	latest := 0
	for _, n := range names {
		v, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(n, postgres.MigrationsDir+"/"), "_", 2)[0])
		if err != nil {
			t.Fatalf("migration %s: %v", n, err)
		}
		latest = max(latest, v)
	}
	return latest
}
