// Package postgres embeds the database migrations (golang-migrate naming,
// templated by stackctl: see internal/migrations) and the seed SQL.
package postgres

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// FS holds migrations/*.sql and seed/*.sql.
//
//go:embed migrations/*.sql seed/*.sql
var FS embed.FS

// MigrationsDir and SeedDir are the directories inside FS.
const (
	MigrationsDir = "migrations"
	SeedDir       = "seed"
)

// LatestVersion is the highest version among the embedded migrations
// (their names start with the version: 0006_login_throttle.up.sql).
func LatestVersion() (int, error) {
	names, err := fs.Glob(FS, path.Join(MigrationsDir, "*.up.sql"))
	if err != nil {
		return 0, err
	}
	latest := 0
	for _, n := range names {
		v, err := strconv.Atoi(strings.SplitN(path.Base(n), "_", 2)[0])
		if err != nil {
			return 0, fmt.Errorf("migration %s: the name does not start with a version", n)
		}
		latest = max(latest, v)
	}
	if latest == 0 {
		return 0, fmt.Errorf("no migrations embedded in %s", MigrationsDir)
	}
	return latest, nil
}
