package dbcmds_test

import (
	"testing"

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
