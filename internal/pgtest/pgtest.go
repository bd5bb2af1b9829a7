// Package pgtest gives tests a real PostgreSQL server: one private cluster
// per test binary (initdb into a temporary directory, a random free port on
// 127.0.0.1, run as an unprivileged user when the tests run as root), and a
// fresh database per test.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and in a test:
//
//	url := pgtest.NewDatabase(t)             // empty database, superuser URL
//	pool := pgtest.NewPool(t, url)           // pgx pool closed at cleanup
//
// When the server binaries are missing the tests fail (they do not skip)
// with the package to install: CI must install them.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authstack/authstack/internal/pgserver"
)

var (
	mu      sync.Mutex
	cluster *pgserver.Cluster
	tmpDir  string
	dbSeq   atomic.Int64
)

// Main starts the package's PostgreSQL server lazily (on the first
// NewDatabase), runs the tests and stops the server.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Server returns the package's running cluster, starting it if needed.
func Server(tb testing.TB) *pgserver.Cluster {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if cluster != nil {
		return cluster
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	c := &pgserver.Cluster{
		DataDir: filepath.Join(dir, "data"),
		Settings: map[string]string{
			"fsync":                   "off",
			"synchronous_commit":      "off",
			"full_page_writes":        "off",
			"max_connections":         "200",
			"shared_buffers":          "64MB",
			"log_min_messages":        "warning",
			"log_min_error_statement": "panic",
			"unix_socket_permissions": "0777",
			"timezone":                "UTC",
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if err := c.Init(ctx); err != nil {
		os.RemoveAll(dir)
		tb.Fatalf("pgtest: %v", err)
	}
	if err := c.Start(ctx); err != nil {
		os.RemoveAll(dir)
		tb.Fatalf("pgtest: %v", err)
	}
	cluster, tmpDir = c, dir
	return c
}

// Stop stops the server and removes its directory. Main calls it.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if cluster != nil {
		_ = cluster.Stop()
		cluster = nil
	}
	if tmpDir != "" {
		os.RemoveAll(tmpDir)
		tmpDir = ""
	}
}

// NewDatabase creates an empty database on the package's server and returns
// its superuser URL. The database is dropped when the test ends.
// Roles are cluster-wide, so migrations must create them idempotently.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	c := Server(tb)
	name := fmt.Sprintf("t%d_%d_%s", os.Getpid(), dbSeq.Add(1), sanitize(tb.Name()))
	if len(name) > 63 {
		name = name[:63]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		tb.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "create database "+pgx.Identifier{name}.Sanitize()+" template template0"); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "drop database if exists "+pgx.Identifier{name}.Sanitize()+" with (force)")
	})
	return c.URL(name)
}

// NewPool opens a pgx pool on url, closed when the test ends.
func NewPool(tb testing.TB, url string) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		tb.Fatalf("pgtest: pool: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// WithUser returns url with its user and password replaced.
func WithUser(url, user, password string) string {
	rest := url[strings.Index(url, "@"):]
	cred := user
	if password != "" {
		cred += ":" + password
	}
	return "postgres://" + cred + rest
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
