package pgserver

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SetPassword replaces the superuser's password of a stopped cluster
// without the old one and keeps the data; it refuses a running cluster and
// changes nothing then.
func TestSetPasswordKeepsData(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := &Cluster{DataDir: filepath.Join(t.TempDir(), "data"), Password: "old'pw", Settings: map[string]string{"fsync": "off"}}
	if err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	execSQL(t, c.URL("postgres"), "create table kept(v text); insert into kept values ('here')")

	const newPW = `new'pw\x"`
	if err := (&Cluster{DataDir: c.DataDir}).SetPassword(ctx, "postgres", newPW); !errors.Is(err, ErrClusterRunning) {
		t.Fatalf("SetPassword on a running cluster: %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	r := &Cluster{DataDir: c.DataDir}
	err := r.SetPassword(ctx, "postgres", newPW)
	if err != nil {
		t.Fatal(err)
	}
	c.Password = newPW
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var v string
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "select v from kept").Scan(&v); err != nil || v != "here" {
		t.Errorf("data after the reset: %q %v", v, err)
	}
	_, err = pgx.Connect(ctx, ConnURL("postgres", "old'pw", c.Host, c.Port, "postgres"))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28P01" {
		t.Errorf("old password after the reset: %v", err)
	}

	// a role that does not exist: an error, not a silent success
	_ = c.Stop()
	if err := r.SetPassword(ctx, "nosuch", "x"); err == nil || strings.Contains(err.Error(), "'x'") {
		t.Errorf("SetPassword of a missing role: %v", err)
	}
}

func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}
