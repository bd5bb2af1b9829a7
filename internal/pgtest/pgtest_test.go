package pgtest

import (
	"context"
	"os"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestServerRunsUnprivileged(t *testing.T) {
	url := NewDatabase(t)
	pool := NewPool(t, url)
	var version string
	var isSuper bool
	if err := pool.QueryRow(context.Background(), "select current_setting('server_version_num'), current_setting('is_superuser')::bool").Scan(&version, &isSuper); err != nil {
		t.Fatal(err)
	}
	if !isSuper {
		t.Fatalf("test connection should be superuser")
	}
	// The server process must not run as root, whatever we are.
	pid := Server(t).Pid()
	st, err := os.Stat("/proc/" + itoa(pid))
	if err != nil {
		t.Fatal(err)
	}
	if uid := statUID(st); uid == 0 {
		t.Fatalf("postgres runs as root")
	}
}

func TestDatabasesAreIsolated(t *testing.T) {
	a := NewPool(t, NewDatabase(t))
	b := NewPool(t, NewDatabase(t))
	ctx := context.Background()
	if _, err := a.Exec(ctx, "create table only_in_a(x int)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(ctx, "select count(*) from pg_class where relname='only_in_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("table leaked between databases")
	}
}
