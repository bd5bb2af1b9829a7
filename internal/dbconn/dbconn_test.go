package dbconn_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/dbconn"
	"github.com/authstack/authstack/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestConnectAndWait(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	env := map[string]string{"DATABASE_URL": url}
	getenv := func(k string) string { return env[k] }

	// DATABASE_URL when --db-url is empty; --wait on a live server connects.
	o := &dbconn.Options{Wait: true, WaitTimeout: 10 * time.Second, Getenv: getenv}
	conn, err := o.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var db string
	conn.QueryRow(ctx, "select current_database()").Scan(&db)
	conn.Close(ctx)
	if !strings.HasSuffix(url[:strings.Index(url, "?")], "/"+db) {
		t.Errorf("connected to %s, not DATABASE_URL's database", db)
	}

	// --db-url wins; a missing database is not retried and says why.
	bad := strings.Replace(url, "/"+db+"?", "/no_such_db?", 1)
	o = &dbconn.Options{URL: bad, Wait: true, WaitTimeout: time.Minute, Getenv: getenv}
	_, err = o.Connect(ctx)
	if err == nil || !strings.Contains(err.Error(), "3D000") || !strings.Contains(err.Error(), "no_such_db") {
		t.Errorf("missing database: %v", err)
	}

	// A malformed URL never shows its password.
	o = &dbconn.Options{URL: "postgres://u:sekrit-pw@[::1/x", Getenv: getenv}
	if _, err := o.Config(); err == nil || strings.Contains(err.Error(), "sekrit-pw") {
		t.Errorf("bad URL: %v", err)
	}
}
