package migrations_test

import (
	"io/fs"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/authstack/authstack/postgres"
)

// latestVersion is the highest version among the embedded migrations, so
// that tests need no edit when a migration is added.
func latestVersion(t *testing.T) int64 {
	t.Helper()
	files, err := fs.Glob(postgres.FS, path.Join(postgres.MigrationsDir, "*.up.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v %v", files, err)
	}
	var latest int64
	for _, f := range files {
		v, err := strconv.ParseInt(strings.SplitN(path.Base(f), "_", 2)[0], 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", f, err)
		}
		latest = max(latest, v)
	}
	return latest
}
