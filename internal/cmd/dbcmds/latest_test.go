package dbcmds_test

import (
	"io/fs"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/authstack/authstack/postgres"
)

// embeddedMigrations returns the number of embedded migrations and the
// highest version, so that tests need no edit when a migration is added.
func embeddedMigrations(t *testing.T) (count int, latest string) {
	t.Helper()
	files, err := fs.Glob(postgres.FS, path.Join(postgres.MigrationsDir, "*.up.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v %v", files, err)
	}
	var v int
	for _, f := range files {
		n, err := strconv.Atoi(strings.SplitN(path.Base(f), "_", 2)[0])
		if err != nil {
			t.Fatalf("migration %s: %v", f, err)
		}
		v = max(v, n)
	}
	return len(files), strconv.Itoa(v)
}
