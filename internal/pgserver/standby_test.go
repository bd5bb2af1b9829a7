package pgserver

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BaseBackup makes a hot standby that streams from the primary through a
// replication slot: Start returns once it serves read-only queries (a hot
// standby's postmaster.pid says "ready" too), a row committed on the
// primary appears on it, it refuses writes, and the replication password is
// not in its command line.
func TestBaseBackupStandby(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	primary := &Cluster{DataDir: filepath.Join(dir, "data"), Password: "super-pw", Settings: map[string]string{"fsync": "off"}}
	if err := primary.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := primary.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = primary.Stop() })
	execSQL(t, primary.URL("postgres"), "create role repl login replication password 'repl-pw'; create table t(v text); insert into t values ('before')")

	standby := &Cluster{DataDir: filepath.Join(dir, "standby"), Password: "super-pw", Settings: map[string]string{"fsync": "off"}}
	if err := standby.BaseBackup(ctx, Primary{Host: "127.0.0.1", Port: primary.Port, User: "repl", Password: "wrong", Slot: "s1"}); err == nil {
		t.Fatal("BaseBackup with a wrong password succeeded")
	}
	if err := os.RemoveAll(standby.DataDir); err != nil {
		t.Fatal(err)
	}
	if err := standby.BaseBackup(ctx, Primary{Host: "127.0.0.1", Port: primary.Port, User: "repl", Password: "repl-pw", Slot: "s1"}); err != nil {
		t.Fatal(err)
	}
	if err := standby.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = standby.Stop() })
	if b, err := os.ReadFile("/proc/" + itoa(standby.Pid()) + "/cmdline"); err != nil || strings.Contains(string(b), "repl-pw") {
		t.Fatalf("the standby's command line holds the password (or is unreadable: %v)", err)
	}

	sconn, err := pgx.Connect(ctx, standby.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer sconn.Close(ctx)
	var inRecovery bool
	if err := sconn.QueryRow(ctx, "select pg_is_in_recovery()").Scan(&inRecovery); err != nil || !inRecovery {
		t.Fatalf("pg_is_in_recovery on the standby = %v, %v", inRecovery, err)
	}
	if _, err := sconn.Exec(ctx, "insert into t values ('x')"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a write on the standby: %v, want a read-only transaction error", err)
	}
	execSQL(t, primary.URL("postgres"), "insert into t values ('after')")
	deadline := time.Now().Add(time.Minute)
	for {
		var n int
		if err := sconn.QueryRow(ctx, "select count(*) from t where v = 'after'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a row committed on the primary never reached the standby")
		}
		time.Sleep(20 * time.Millisecond)
	}
	pconn, err := pgx.Connect(ctx, primary.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer pconn.Close(ctx)
	var active bool
	if err := pconn.QueryRow(ctx, "select active from pg_replication_slots where slot_name = 's1'").Scan(&active); err != nil || !active {
		t.Fatalf("slot s1 active = %v, %v", active, err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
