// Package postgres embeds the database migrations (golang-migrate naming,
// templated by stackctl: see internal/migrations) and the seed SQL.
package postgres

import "embed"

// FS holds migrations/*.sql and seed/*.sql.
//
//go:embed migrations/*.sql seed/*.sql
var FS embed.FS

// MigrationsDir and SeedDir are the directories inside FS.
const (
	MigrationsDir = "migrations"
	SeedDir       = "seed"
)
