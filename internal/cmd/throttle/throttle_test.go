package throttle_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/cmd/throttle"
	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/migrations"
	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/internal/postgrest/dbcall"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type env struct {
	t   *testing.T
	url string
	api dbcall.Beginner
}

func newEnv(t *testing.T) *env {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	b := make([]byte, 32)
	rand.Read(b)
	if err := migrations.Up(ctx, url, map[string]string{"JWT_SECRET": base64.StdEncoding.EncodeToString(b)}); err != nil {
		t.Fatal(err)
	}
	super := pgtest.NewPool(t, url)
	if err := authdb.SeedDemo(ctx, super); err != nil {
		t.Fatal(err)
	}
	// The command reads the limits from the engine's variables.
	t.Setenv("PGRST_APP_SETTINGS_LOGIN_MAX_ATTEMPTS_USER", "3")
	t.Setenv("PGRST_APP_SETTINGS_LOGIN_MAX_ATTEMPTS_ADDR", "20")
	t.Setenv("PGRST_APP_SETTINGS_LOGIN_WINDOW", "600")
	return &env{t: t, url: url, api: pgtest.NewPool(t, pgtest.WithUser(url, "authenticator", ""))}
}

// fail makes n wrong-password logins for user from addr, as the API does.
func (e *env) fail(user, addr string, n int) {
	for i := 0; i < n; i++ {
		h := http.Header{"X-Forwarded-For": {addr}}
		_, err := dbcall.Call(context.Background(), e.api, dbcall.Request{Schema: "auth", Role: "anon", Method: "POST",
			Path: "/rpc/login", Headers: h, AppSettings: map[string]string{"login_max_attempts_user": "3", "login_window": "600"}},
			"auth.login", map[string]any{"user_": user, "pass": "wrong"})
		if err == nil {
			e.t.Fatal("wrong password accepted")
		}
	}
}

// run executes `stackctl throttle <args>` as cmd/stackctl wires it.
func (e *env) run(args ...string) (string, error) {
	var out, errOut bytes.Buffer
	f := &cmdutil.Factory{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, EnvFile: os.DevNull}
	root := &cobra.Command{Use: "stackctl", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(throttle.NewCmd(f))
	root.SetArgs(append(append([]string{"throttle"}, args...), "--db-url", e.url))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestStatus(t *testing.T) {
	e := newEnv(t)
	e.fail("Demo", "192.0.2.1", 3) // locked: the limit is 3 (names in lower case)
	e.fail("alice", "192.0.2.1", 1)

	out, err := e.run("status", "--user", "DEMO", "--addr", "192.0.2.1", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Entries []throttle.Entry }
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got.Entries) != 2 {
		t.Fatalf("entries: %s", out)
	}
	u, a := got.Entries[0], got.Entries[1]
	if u.Kind != "user" || u.Attempts != 3 || u.LockedForS < 1 || u.LockedForS > 600 || u.WindowStart == nil ||
		u.WindowEnd.Sub(*u.WindowStart).Seconds() != 600 {
		t.Errorf("user entry: %+v", u)
	}
	if a.Kind != "addr" || a.Attempts != 4 || a.LockedForS != 0 {
		t.Errorf("address entry (limit 20): %+v", a)
	}

	out, err = e.run("status", "--user", "nobody-here")
	if err != nil || !strings.Contains(out, "not locked") || !strings.Contains(out, "nobody-here") {
		t.Errorf("unknown key: %q %v", out, err)
	}

	out, err = e.run("status", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var sum throttle.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := map[string][2]int{"user": {2, 1}, "addr": {1, 0}} // live, locked
	for _, k := range sum.Kinds {
		if w := want[k.Kind]; k.Live != w[0] || k.Locked != w[1] || k.Slots < 1 {
			t.Errorf("summary %+v, want live/locked %v", k, w)
		}
	}
	if len(sum.Kinds) != 2 || len(sum.LockedUsers) != 1 || sum.LockedUsers[0].Username != "demo" || sum.LockedUsers[0].Attempts != 3 {
		t.Errorf("summary: %s", out)
	}
	if out, err := e.run("status"); err != nil || !strings.Contains(out, "locked-out users:") || !strings.Contains(out, "demo") {
		t.Errorf("text summary: %q %v", out, err)
	}
	if _, err := e.run("status", "-o", "yaml"); err == nil {
		t.Error("-o yaml accepted")
	}
}

func TestReset(t *testing.T) {
	e := newEnv(t)
	e.fail("demo", "192.0.2.1", 3)
	e.fail("alice", "192.0.2.2", 2)

	if _, err := e.run("reset"); err == nil || !strings.Contains(err.Error(), "--all") {
		t.Errorf("reset without a key: %v", err)
	}
	if _, err := e.run("reset", "--all", "--user", "demo"); err == nil {
		t.Error("--all with --user accepted")
	}

	out, err := e.run("reset", "--user", "DEMO", "--addr", "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `user name "DEMO": 3 counted attempts cleared`) ||
		!strings.Contains(out, `address "192.0.2.9" had no live throttle entry; nothing reset`) {
		t.Errorf("reset output: %q", out)
	}
	// demo is free again, alice's and the addresses' entries are untouched.
	for key, want := range map[[2]string]int{{"user", "demo"}: 0, {"user", "alice"}: 2, {"addr", "192.0.2.1"}: 3} {
		out, err := e.run("status", "--"+key[0], key[1], "-o", "json")
		var got struct{ Entries []throttle.Entry }
		if err != nil || json.Unmarshal([]byte(out), &got) != nil || len(got.Entries) != 1 || got.Entries[0].Attempts != want {
			t.Errorf("%v after reset: %s %v, want %d attempts", key, out, err, want)
		}
	}

	out, err = e.run("reset", "--all")
	if err != nil || !strings.Contains(out, "1 live user-name entries and 2 live address entries cleared") {
		t.Errorf("reset --all: %q %v", out, err)
	}
	out, err = e.run("status", "-o", "json")
	if err != nil || strings.Contains(out, `"live": 1`) || strings.Contains(out, `"live": 2`) {
		t.Errorf("after reset --all: %s %v", out, err)
	}
}

func TestMissingSchemaSaysWhatToDo(t *testing.T) {
	url := pgtest.NewDatabase(t)
	e := &env{t: t, url: url}
	_, err := e.run("status")
	if err == nil || !strings.Contains(err.Error(), "stackctl migrate up") {
		t.Errorf("status without the schema: %v", err)
	}
}
