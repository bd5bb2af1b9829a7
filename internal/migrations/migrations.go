// Package migrations applies the stack's schema migrations with
// golang-migrate v4 (pgx/v5 driver, iofs source): the embedded
// postgres/migrations, or a directory on disk.
//
// stackctl owns templating (golang-migrate refuses to): every migration is
// passed through Render before it runs, so {{JWT_SECRET}} and
// {{AUTHENTICATOR_PASSWORD}} become quoted SQL literals. Errors and log
// lines are redacted so that these values never appear in output;
// golang-migrate's own error text (which quotes the whole migration) is
// replaced by a short message naming the version, line and PostgreSQL error.
//
// In-process use:
//
//	err := migrations.Up(ctx, dbURL, migrations.VarsFromEnv(os.Getenv))
package migrations

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	pgxmigrate "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/authstack/authstack/postgres"
)

// Options configure a Migrator.
type Options struct {
	// Dir is a directory of migration files on disk; "" uses the embedded
	// postgres/migrations.
	Dir string
	// Vars are the template variables (see AllowedVars).
	Vars map[string]string
	// Log receives progress lines (may be nil).
	Log io.Writer
}

// Migrator wraps a golang-migrate instance with templating and redaction.
type Migrator struct {
	m      *migrate.Migrate
	src    *templSource
	db     *sql.DB
	redact *Redactor
	log    io.Writer
}

// Open connects with cfg and prepares the migrations.
func Open(ctx context.Context, cfg *pgx.ConnConfig, opts Options) (*Migrator, error) {
	var fsys fs.FS
	dir := postgres.MigrationsDir
	if opts.Dir != "" {
		st, err := os.Stat(opts.Dir)
		if err != nil {
			return nil, fmt.Errorf("migrations directory: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("migrations directory %s is not a directory", opts.Dir)
		}
		fsys, dir = os.DirFS(opts.Dir), "."
	} else {
		fsys = postgres.FS
	}
	inner, err := iofs.New(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations in %s: %w", describeDir(opts.Dir), err)
	}
	red := NewRedactor(opts.Vars)
	// Allowed variables that are not given render as '' (e.g. an unset
	// AUTHENTICATOR_PASSWORD leaves the password alone); Up still insists
	// on a valid JWT_SECRET.
	vars := map[string]string{}
	for _, k := range AllowedVars {
		vars[k] = ""
	}
	for k, v := range opts.Vars {
		vars[k] = v
	}
	src := &templSource{Driver: inner, vars: vars}

	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %s", Describe(cfg), red.String(err.Error()))
	}
	drv, err := pgxmigrate.WithInstance(db, &pgxmigrate.Config{})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migration driver: %s", red.String(err.Error()))
	}
	m, err := migrate.NewWithInstance("stackctl", src, "pgx5", drv)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %s", red.String(err.Error()))
	}
	mg := &Migrator{m: m, src: src, db: db, redact: red, log: opts.Log}
	m.Log = &logger{mg}
	return mg, nil
}

func describeDir(d string) string {
	if d == "" {
		return "the embedded postgres/migrations"
	}
	return d
}

// Describe names the server of cfg (host:port/database), without secrets.
func Describe(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
}

// Close releases the connection.
func (mg *Migrator) Close() error {
	_, dbErr := mg.m.Close()
	mg.db.Close()
	return dbErr
}

type logger struct{ mg *Migrator }

func (l *logger) Printf(format string, v ...any) {
	if l.mg.log != nil {
		fmt.Fprint(l.mg.log, l.mg.redact.String(fmt.Sprintf(format, v...)))
	}
}
func (l *logger) Verbose() bool { return false }

// DirtyError reports a failed migration that left the database dirty.
type DirtyError struct {
	Version int
	Err     error
}

func (e *DirtyError) Error() string {
	msg := fmt.Sprintf("database is dirty at version %d", e.Version)
	if e.Err != nil {
		msg = e.Err.Error() + "; " + msg
	}
	return msg + fmt.Sprintf(": fix the cause, check what migration %d left behind, then run `stackctl migrate force %d` (if it was fully rolled back, `stackctl migrate force %d`)",
		e.Version, e.Version, e.Previous())
}

func (e *DirtyError) Unwrap() error { return e.Err }

// Previous is the version before the dirty one: -1 (no version) below the
// first migration. The project's migrations are numbered 1, 2, 3, ….
func (e *DirtyError) Previous() int {
	if e.Version <= 1 {
		return -1
	}
	return e.Version - 1
}

// wrap turns golang-migrate errors into short, redacted ones.
func (mg *Migrator) wrap(err error) error {
	if err == nil || errors.Is(err, migrate.ErrNoChange) {
		return nil
	}
	var short migrate.ErrShortLimit
	if errors.As(err, &short) {
		return nil // fewer than N migrations were left: all of them ran
	}
	var de migrate.ErrDirty
	if errors.As(err, &de) {
		return &DirtyError{Version: de.Version}
	}
	var dbe database.Error
	var dbep *database.Error
	if errors.As(err, &dbep) {
		dbe = *dbep
	} else if !errors.As(err, &dbe) {
		return errors.New(mg.redact.String(err.Error()))
	}
	msg := dbe.Err
	if dbe.Line > 0 {
		msg += fmt.Sprintf(" (line %d)", dbe.Line)
	}
	if dbe.OrigErr != nil {
		msg += ": " + dbe.OrigErr.Error()
	}
	out := errors.New(mg.redact.String(msg))
	if v, dirty, verr := mg.m.Version(); verr == nil && dirty {
		return &DirtyError{Version: int(v), Err: out}
	}
	return out
}

// Up applies n pending migrations (all when n <= 0). JWT_SECRET must be
// valid, and every pending migration must render, before anything runs.
func (mg *Migrator) Up(n int) error {
	if err := CheckVars(mg.src.vars); err != nil {
		return err
	}
	if err := mg.preflight(true); err != nil {
		return err
	}
	if n <= 0 {
		return mg.wrap(mg.m.Up())
	}
	return mg.wrap(nothingLeft(mg.m.Steps(n)))
}

// Down reverts n migrations (all when n <= 0).
func (mg *Migrator) Down(n int) error {
	if err := mg.preflight(false); err != nil {
		return err
	}
	if n <= 0 {
		return mg.wrap(mg.m.Down())
	}
	return mg.wrap(nothingLeft(mg.m.Steps(-n)))
}

// nothingLeft maps Steps' "no migration in that direction" to no change.
func nothingLeft(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Force sets the version without running anything and clears dirty
// (-1 means no version).
func (mg *Migrator) Force(v int) error { return mg.wrap(mg.m.Force(v)) }

// HasVersion reports whether a migration has version v.
func (mg *Migrator) HasVersion(v uint) (bool, error) {
	all, err := mg.Status()
	if err != nil {
		return false, err
	}
	for _, s := range all {
		if s.Version == v {
			return true, nil
		}
	}
	return false, nil
}

// Version returns the current version; ok is false when none is applied.
func (mg *Migrator) Version() (v uint, dirty, ok bool, err error) {
	v, dirty, err = mg.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, false, nil
	}
	if err != nil {
		return 0, false, false, mg.wrap(err)
	}
	return v, dirty, true, nil
}

// Status is one migration's state.
type Status struct {
	Version    uint
	Identifier string
	Applied    bool
	Dirty      bool
}

// Status lists every migration with its state.
func (mg *Migrator) Status() ([]Status, error) {
	cur, dirty, ok, err := mg.Version()
	if err != nil {
		return nil, err
	}
	var out []Status
	v, err := mg.src.First()
	for err == nil {
		_, ident, rerr := mg.src.Driver.ReadUp(v)
		if rerr != nil {
			ident = "(no up file)"
		}
		s := Status{Version: v, Identifier: ident, Applied: ok && v <= cur}
		if ok && v == cur && dirty {
			s.Dirty = true
		}
		out = append(out, s)
		v, err = mg.src.Next(v)
	}
	if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return out, nil
}

// preflight renders every up (or down) migration so that a missing or
// malformed variable stops before anything runs.
func (mg *Migrator) preflight(up bool) error {
	v, err := mg.src.First()
	for err == nil {
		var rerr error
		if up {
			_, _, rerr = mg.src.ReadUp(v)
		} else {
			_, _, rerr = mg.src.ReadDown(v)
		}
		if rerr != nil && !errors.Is(rerr, os.ErrNotExist) && !errors.Is(rerr, fs.ErrNotExist) {
			return rerr
		}
		v, err = mg.src.Next(v)
	}
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// templSource renders each migration with the template variables.
type templSource struct {
	source.Driver
	vars map[string]string
}

func (s *templSource) read(r io.ReadCloser, ident string, version uint, err error) (io.ReadCloser, string, error) {
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, "", err
	}
	out, err := Render(string(b), s.vars)
	if err != nil {
		return nil, "", fmt.Errorf("migration %d_%s: %w", version, ident, err)
	}
	return io.NopCloser(bytes.NewReader([]byte(out))), ident, nil
}

func (s *templSource) ReadUp(version uint) (io.ReadCloser, string, error) {
	r, ident, err := s.Driver.ReadUp(version)
	return s.read(r, ident, version, err)
}

func (s *templSource) ReadDown(version uint) (io.ReadCloser, string, error) {
	r, ident, err := s.Driver.ReadDown(version)
	return s.read(r, ident, version, err)
}

// Up applies every pending embedded migration to the database at dbURL
// ("" = libpq PG* variables).
func Up(ctx context.Context, dbURL string, vars map[string]string) error {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return fmt.Errorf("database URL: %w", err)
	}
	mg, err := Open(ctx, cfg, Options{Vars: vars})
	if err != nil {
		return err
	}
	defer mg.Close()
	return mg.Up(0)
}

var nameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)
var fileRe = regexp.MustCompile(`^([0-9]+)_.*\.(up|down)\.sql$`)

// Create writes an empty numbered up/down pair NNNN_name.{up,down}.sql in
// dir (numbered after the highest existing version) and returns the paths.
func Create(dir, name string) ([]string, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if !nameRe.MatchString(name) {
		return nil, fmt.Errorf("migration name %q: use lower-case letters, digits and _", name)
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("migrations directory %s does not exist: create it (mkdir -p %s) or give --path", dir, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("migrations directory: %w", err)
	}
	var maxV uint64
	width := 4
	for _, e := range entries {
		m := fileRe.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		v, _ := strconv.ParseUint(m[1], 10, 64)
		if v > maxV {
			maxV = v
		}
		if len(m[1]) > width {
			width = len(m[1])
		}
	}
	base := fmt.Sprintf("%0*d_%s", width, maxV+1, name)
	var paths []string
	for _, dirn := range []string{"up", "down"} {
		p := filepath.Join(dir, base+"."+dirn+".sql")
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return paths, err
		}
		fmt.Fprintf(f, "-- %s (%s)\n", base, dirn)
		if err := f.Close(); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths, nil
}
