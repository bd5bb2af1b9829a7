package authdb_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/postgrest/dbcall"
)

// hashOf is user's stored password hash.
func (s *stack) hashOf(t testing.TB, user string) string {
	t.Helper()
	var h string
	if err := s.super.QueryRow(context.Background(), "select password from auth.user where username = $1", user).Scan(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

// userAttempts is the throttle's count for user (0006).
func (s *stack) userAttempts(t testing.TB, kind, key string) int {
	t.Helper()
	var n int
	if err := s.super.QueryRow(context.Background(), "select attempts from auth.throttle_status($1, $2)", kind, key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// POST /rpc/change_password: the policy is checked first (nothing
// counted, nothing changed), a wrong old password is 403 and counted like
// a failed login until 429; the right one changes the password and ends
// every other session, keeping the current one.
func TestChangePassword(t *testing.T) {
	s := newOurs(t)
	cur, other := s.login(t, "demo", "demo"), s.login(t, "demo", "demo")
	alice := s.login(t, "alice", "alice")
	tok := cur["access_token"].Value
	hash := s.hashOf(t, "demo")

	for name, newPass := range map[string]string{
		"too short":      "short",
		"over 72 bytes":  strings.Repeat("é", 37),
		"the user name":  "DEMO",
		"empty":          "",
		"7 of 8 letters": "1234567",
	} {
		if name == "the user name" {
			s.app["password_min_length"] = "4"
		}
		_, err := s.callAs(t, tok, "change_password", map[string]any{"old_pass": "demo", "new_pass": newPass})
		if pe := dbcall.AsPgError(err); pe == nil || pe.Code != "22023" || pe.Message == "" {
			t.Errorf("new password %s: %v, want 22023 with a message", name, err)
		}
		delete(s.app, "password_min_length")
	}
	if s.hashOf(t, "demo") != hash || s.userAttempts(t, "user", "demo") != 0 {
		t.Fatal("a refused new password changed the password or was counted")
	}

	for i := 1; i <= 5; i++ {
		_, err := s.callAs(t, tok, "change_password", map[string]any{"old_pass": "wrong", "new_pass": "a-good-passphrase"})
		if pe := dbcall.AsPgError(err); pe == nil || pe.Code != "PT403" {
			t.Fatalf("wrong old password #%d: %v, want PT403", i, err)
		}
		if n := s.userAttempts(t, "user", "demo"); n != i {
			t.Fatalf("after %d wrong old passwords the throttle counts %d", i, n)
		}
	}
	_, err := s.callAs(t, tok, "change_password", map[string]any{"old_pass": "demo", "new_pass": "a-good-passphrase"})
	if rr, ok := dbcall.AsRaisedResponse(err); !ok || rr.Status != 429 {
		t.Fatalf("sixth try, right password: %v, want 429 (throttled like login)", err)
	}
	if _, err := s.call(t, "login", map[string]any{"user_": "demo", "pass": "demo"}, nil); err == nil {
		t.Fatal("login is not throttled by the wrong change_password attempts")
	}
	if s.hashOf(t, "demo") != hash || s.liveSessions(t, "demo") != 2 {
		t.Fatal("refused attempts changed the password or the sessions")
	}

	if _, err := s.super.Exec(context.Background(), "select auth.throttle_reset('user', 'demo')"); err != nil {
		t.Fatal(err)
	}
	res, err := s.callAs(t, tok, "change_password", map[string]any{"old_pass": "demo", "new_pass": "a-good-passphrase"})
	if err != nil || !res.Void || len(res.Values("Set-Cookie")) != 0 {
		t.Fatalf("change_password: %+v %v", res, err)
	}
	if s.userAttempts(t, "user", "demo") != 0 {
		t.Error("a successful change left the user's throttle entry")
	}
	if s.apiGET(t, tok) != nil || s.refresh(t, cur["refresh_token"].Value) == nil {
		t.Error("the current session ended with the password change")
	}
	if s.apiGET(t, other["access_token"].Value) == nil || s.refresh(t, other["refresh_token"].Value) != nil {
		t.Error("the other session survived the password change")
	}
	if s.apiGET(t, alice["access_token"].Value) != nil {
		t.Error("alice's session ended with demo's password change")
	}
	if _, err := s.call(t, "login", map[string]any{"user_": "demo", "pass": "demo"}, nil); code(err) != "PT401" {
		t.Errorf("old password still logs in: %v", err)
	}
	s.login(t, "demo", "a-good-passphrase")

	// anonymous callers cannot change anything
	if _, err := s.call(t, "change_password", map[string]any{"old_pass": "x", "new_pass": "y-long-enough"}, nil); code(err) != "PT401" {
		t.Errorf("change_password as anon: %v, want PT401", err)
	}
}

// signupReq is POST /rpc/signup from addr, as anon.
func (s *stack) signup(t testing.TB, user, pass, addr string) (*dbcall.Result, error) {
	t.Helper()
	h := http.Header{"X-Forwarded-For": {addr}}
	return dbcall.Call(context.Background(), s.api, s.request("/rpc/signup", nil, h), "auth.signup",
		map[string]any{"user_": user, "pass": pass})
}

func (s *stack) configureSignup(t testing.TB, enabled bool, role string) string {
	t.Helper()
	changed, err := authdb.ConfigureSignup(context.Background(), s.super, authdb.Signup{Enabled: enabled, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return changed
}

// Sign-up exists only when enabled (no function at all otherwise), runs
// with the configured role, which must be one users may have.
func TestSignupConfiguration(t *testing.T) {
	s := newOurs(t)
	ctx := context.Background()
	exists := func() bool {
		var ok bool
		s.super.QueryRow(ctx, "select to_regprocedure('auth.signup(text,text)') is not null").Scan(&ok)
		return ok
	}
	if exists() {
		t.Fatal("auth.signup exists before it was enabled")
	}
	if _, err := s.signup(t, "newbie", "a-long-password", "192.0.2.1"); code(err) != "42883" {
		t.Errorf("signup while disabled: %v, want 42883 (no such function)", err)
	}
	if _, err := s.super.Exec(ctx, "create role signup_admin superuser; grant signup_admin to authenticator"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.super.Exec(ctx, "drop role if exists signup_admin") })
	for _, role := range []string{"signup_admin", "no_such_role", "anon", "authenticator", "auth_owner"} {
		_, err := authdb.ConfigureSignup(ctx, s.super, authdb.Signup{Enabled: true, Role: role})
		if err == nil || !strings.Contains(err.Error(), "SIGNUP_ROLE="+role) || !strings.Contains(err.Error(), "nothing changed") {
			t.Errorf("role %s: %v, want a refusal naming SIGNUP_ROLE", role, err)
		}
		if exists() {
			t.Fatalf("role %s was refused but auth.signup exists", role)
		}
	}
	if got := s.configureSignup(t, true, "basic_subscriber"); got != "enabled" {
		t.Errorf("enable: %q", got)
	}
	if got := s.configureSignup(t, true, "basic_subscriber"); got != "unchanged" {
		t.Errorf("enable again: %q", got)
	}
	var grants string
	s.super.QueryRow(ctx, `select string_agg(grantee::regrole::text, ',' order by grantee::regrole::text) from
		(select (aclexplode(proacl)).grantee from pg_proc where oid = 'auth.signup(text,text)'::regprocedure) g`).Scan(&grants)
	if grants != "anon,auth_owner" {
		t.Errorf("auth.signup is executable by %s, want anon (and its owner)", grants)
	}
	if _, err := s.signup(t, "newbie", "a-long-password", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	var role string
	s.super.QueryRow(ctx, "select role from auth.user where username = 'newbie'").Scan(&role)
	if role != "basic_subscriber" {
		t.Errorf("signed-up user's role %q", role)
	}
	s.login(t, "newbie", "a-long-password")
	if got := s.configureSignup(t, false, ""); got != "disabled" || exists() {
		t.Errorf("disable: %q, function still there: %v", got, exists())
	}
	if got := s.configureSignup(t, false, ""); got != "unchanged" {
		t.Errorf("disable again: %q", got)
	}
}

// crypts counts pgcrypto's crypt() and gen_salt() calls made by f (the
// bcrypt work), with track_functions on the connection f runs on.
func crypts(t *testing.T, conn *pgx.Conn, f func()) (calls int64) {
	t.Helper()
	ctx := context.Background()
	n := func() int64 {
		conn.Exec(ctx, "select pg_stat_force_next_flush()")
		conn.Exec(ctx, "select 1")
		var v int64
		conn.QueryRow(ctx, "select coalesce(sum(calls), 0)::bigint from pg_stat_user_functions where funcname in ('crypt', 'gen_salt')").Scan(&v)
		return v
	}
	before := n()
	f()
	return n() - before
}

// Sign-up cannot tell whether a name is taken: a taken name (also in
// another letter case) gets the same answer as a new one after the same
// bcrypt work, and changes nothing; a name or password against the rules
// gets 400 whatever the name, uncounted.
func TestSignupCannotEnumerate(t *testing.T) {
	s := newOurs(t)
	s.configureSignup(t, true, "basic_subscriber")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "set track_functions = 'all'"); err != nil {
		t.Fatal(err)
	}
	signupOn := func(user string) (*dbcall.Result, error) {
		r := s.request("/rpc/signup", nil, http.Header{"X-Forwarded-For": {"192.0.2.50"}})
		r.Role = "anon"
		return dbcall.Call(ctx, conn, r, "auth.signup", map[string]any{"user_": user, "pass": "a-long-password"})
	}
	hash := s.hashOf(t, "demo")
	var answers []string
	work := map[string]int64{}
	for _, name := range []string{"brand-new", "demo", "DeMo"} {
		work[name] = crypts(t, conn, func() {
			res, err := signupOn(name)
			answers = append(answers, fmt.Sprintf("void=%v status=%d headers=%q err=%v", res != nil && res.Void, statusOf(res), headersOf(res), err))
		})
	}
	if answers[0] != answers[1] || answers[0] != answers[2] || !strings.Contains(answers[0], "void=true") {
		t.Errorf("answers differ between a new and a taken name:\n%s", strings.Join(answers, "\n"))
	}
	if work["brand-new"] != work["demo"] || work["demo"] != work["DeMo"] || work["demo"] == 0 {
		t.Errorf("bcrypt calls: new %d, taken %d, taken in other case %d; want equal and not 0", work["brand-new"], work["demo"], work["DeMo"])
	}
	if s.hashOf(t, "demo") != hash {
		t.Error("signup of a taken name changed its password")
	}
	var n int
	s.super.QueryRow(ctx, "select count(*) from auth.user where lower(username) = 'demo'").Scan(&n)
	if n != 1 {
		t.Errorf("%d users named demo in any case, want 1", n)
	}

	for name, args := range map[string][2]string{
		"short name":          {"ab", "a-long-password"},
		"long name":           {strings.Repeat("n", 65), "a-long-password"},
		"spaces around":       {" spaced", "a-long-password"},
		"control character":   {"tab\tname", "a-long-password"},
		"invisible character": {"zero\u200bwidth", "a-long-password"},
		"short password":      {"fine-name", "short"},
		"long password":       {"fine-name", strings.Repeat("p", 73)},
		"password is name":    {"fine-name", "Fine-Name"},
	} {
		for _, taken := range []bool{false, true} {
			user := args[0]
			if taken && name != "short name" && name != "long name" {
				if _, err := s.super.Exec(ctx, "insert into auth.user (username, password, role) values ($1, 'x', 'basic_subscriber') on conflict do nothing", user); err != nil {
					continue // a name the table itself refuses
				}
			}
			_, err := s.signup(t, user, args[1], "192.0.2.60")
			if pe := dbcall.AsPgError(err); pe == nil || pe.Code != "22023" {
				t.Errorf("%s (taken %v): %v, want 22023", name, taken, err)
			}
		}
	}
	if a := s.userAttempts(t, "addr", "signup:192.0.2.60"); a != 0 {
		t.Errorf("refused sign-ups were counted: %d", a)
	}
}

func statusOf(r *dbcall.Result) int {
	if r == nil {
		return -1
	}
	return r.Status
}

func headersOf(r *dbcall.Result) string {
	if r == nil {
		return ""
	}
	return r.RawHeaders
}

// Sign-ups are throttled per address, every attempt counting, also when
// they race: at most the limit get through.
func TestSignupThrottleRacing(t *testing.T) {
	s := newOurs(t)
	s.wide(t, 12)
	s.app["signup_max_attempts_addr"] = "5"
	s.app["login_max_concurrency"] = "16"
	s.configureSignup(t, true, "basic_subscriber")
	s.cheapHashes(t)
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.signup(t, fmt.Sprintf("racer-%02d", i), "a-long-password", "192.0.2.77")
			mu.Lock()
			got[outcome(err)]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if got["ok"] != 5 || got["ok"]+got["429 Too many sign-ups"] != 12 {
		t.Errorf("12 racing sign-ups from one address with a limit of 5: %v", got)
	}
	var n int
	s.super.QueryRow(context.Background(), "select count(*) from auth.user where username like 'racer-%'").Scan(&n)
	if n != 5 {
		t.Errorf("%d users created, want 5", n)
	}
	if _, err := s.signup(t, "another-one", "a-long-password", "192.0.2.78"); err != nil {
		t.Errorf("another address is throttled too: %v", err)
	}
	// the same new name at once from many addresses: one user
	got = race(8, func(i int) error {
		_, err := s.signup(t, "same-name", "a-long-password", fmt.Sprintf("192.0.2.%d", 100+i))
		return err
	})
	s.super.QueryRow(context.Background(), "select count(*) from auth.user where lower(username) = 'same-name'").Scan(&n)
	if got["ok"] != 8 || n != 1 {
		t.Errorf("8 racing sign-ups of one name: %v, %d users; want 8 identical answers and 1 user", got, n)
	}
}
