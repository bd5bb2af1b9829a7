package authdb_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/postgrest/dbcall"
	"github.com/authstack/authstack/internal/postgrest/response"
)

// cheapHashes replaces the demo users' bcrypt hashes by cost-4 ones
// (trigger bypassed) so that tests doing many logins stay quick.
func (s *stack) cheapHashes(t testing.TB) {
	t.Helper()
	if _, err := s.super.Exec(context.Background(), `alter table auth.user disable trigger encrypt_pass;
		update auth.user set password = public.crypt(username, public.gen_salt('bf', 4));
		alter table auth.user enable trigger encrypt_pass`); err != nil {
		t.Fatal(err)
	}
}

// liveTokens counts unused, unexpired refresh tokens (of user, or of
// everyone when user is "").
func (s *stack) liveTokens(t testing.TB, user string) int {
	t.Helper()
	var n int
	if err := s.super.QueryRow(context.Background(), `select count(*) from auth.refresh_token
		where used_at is null and expires_at > now() and ($1 = '' or username = $1)`, user).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// open runs POST /rpc/<fn> as anon in a PostgREST-style transaction that
// stays open, and returns it with the Set-Cookie lines the call produced.
func (s *stack) open(t *testing.T, fn string, cookies map[string]string) (pgx.Tx, map[string]*http.Cookie) {
	t.Helper()
	ctx := context.Background()
	tx, err := dbcall.Begin(ctx, s.api, s.request("/rpc/"+fn, cookies, nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(ctx) })
	if _, err := tx.Exec(ctx, "select auth."+fn+"()"); err != nil {
		t.Fatalf("%s in the open transaction: %v", fn, err)
	}
	raw, _, err := dbcall.ResponseGUCs(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := response.ParseGucHeaders(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tx, setCookies(t, &dbcall.Result{Headers: hs})
}

// against runs op on a connection of pool in the background and waits
// until op has returned or is waiting for a lock that another session
// holds. blocked says which; wait returns op's error.
func (s *stack) against(t *testing.T, pool *pgxpool.Pool, op func(ctx context.Context, c *pgxpool.Conn) error) (wait func() error, blocked bool) {
	t.Helper()
	ctx := context.Background()
	c, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pid := c.Conn().PgConn().PID()
	done := make(chan error, 1)
	go func() {
		defer c.Release()
		done <- op(ctx, c)
	}()
	var res error
	wait = func() error { return res }
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case res = <-done:
			return wait, false
		default:
		}
		var waiting bool
		if err := s.super.QueryRow(ctx, "select coalesce(bool_or(wait_event_type = 'Lock'), false) from pg_stat_activity where pid = $1", pid).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			return func() error { res = <-done; return res }, true
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the concurrent operation neither finished nor waited for a lock within 60s")
	return nil, false
}

// refreshRefused checks that a refresh token no longer gives a session.
func (s *stack) refreshRefused(t *testing.T, rt string) {
	t.Helper()
	res, err := s.call(t, "refresh_token", nil, map[string]string{"refresh_token": rt})
	if err == nil && res.Status != 401 {
		t.Errorf("the refresh token issued during the revocation still refreshes (status %d)", res.Status)
	} else if err != nil && code(err) != "PT401" {
		t.Errorf("refresh after revocation: %v", err)
	}
}

// TestRevocationSeesConcurrentRefresh: a refresh has inserted its new token
// but not committed yet when a revocation runs. The revocation must wait
// for it and delete the new token too (0003 deleted only what its snapshot
// showed, and the new token survived).
func TestRevocationSeesConcurrentRefresh(t *testing.T) {
	ops := map[string]func(t *testing.T, s *stack, ck map[string]*http.Cookie) (pool *pgxpool.Pool, op func(context.Context, *pgxpool.Conn) error){
		"logout": func(t *testing.T, s *stack, ck map[string]*http.Cookie) (*pgxpool.Pool, func(context.Context, *pgxpool.Conn) error) {
			return s.api, func(ctx context.Context, c *pgxpool.Conn) error {
				res, err := dbcall.Call(ctx, c, s.request("/rpc/logout", map[string]string{"access_token": ck["access_token"].Value}, nil), "auth.logout", nil)
				if err == nil && (!res.Void || res.Status != 0) {
					return errors.New("logout did not answer 204")
				}
				return err
			}
		},
		"passwd": func(t *testing.T, s *stack, ck map[string]*http.Cookie) (*pgxpool.Pool, func(context.Context, *pgxpool.Conn) error) {
			return s.super, func(ctx context.Context, c *pgxpool.Conn) error {
				return authdb.SetPassword(ctx, c, "demo", "new-demo-pw")
			}
		},
		"del": func(t *testing.T, s *stack, ck map[string]*http.Cookie) (*pgxpool.Pool, func(context.Context, *pgxpool.Conn) error) {
			return s.super, func(ctx context.Context, c *pgxpool.Conn) error { return authdb.DeleteUser(ctx, c, "demo") }
		},
		"rotate": func(t *testing.T, s *stack, ck map[string]*http.Cookie) (*pgxpool.Pool, func(context.Context, *pgxpool.Conn) error) {
			secret := newSecret(t)
			return s.super, func(ctx context.Context, c *pgxpool.Conn) error {
				return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error { _, err := authdb.RotateSecret(ctx, tx, secret); return err })
			}
		},
		"reuse": func(t *testing.T, s *stack, ck map[string]*http.Cookie) (*pgxpool.Pool, func(context.Context, *pgxpool.Conn) error) {
			// ck holds the used parent of the token being refreshed.
			return s.api, func(ctx context.Context, c *pgxpool.Conn) error {
				res, err := dbcall.Call(ctx, c, s.request("/rpc/refresh_token", map[string]string{"refresh_token": ck["refresh_token"].Value}, nil), "auth.refresh_token", nil)
				if err == nil && res.Status != 401 {
					return errors.New("reuse was not refused")
				}
				return err
			}
		},
	}
	for name, mk := range ops {
		t.Run(name, func(t *testing.T) {
			s := newOurs(t)
			ck := s.login(t, "demo", "demo")
			s.login(t, "alice", "alice") // another user's session, for rotate
			presented := ck
			if name == "reuse" {
				res, err := s.call(t, "refresh_token", nil, map[string]string{"refresh_token": ck["refresh_token"].Value})
				if err != nil {
					t.Fatal(err)
				}
				presented = setCookies(t, res) // ck's refresh token is now used
			}
			txA, issued := s.open(t, "refresh_token", map[string]string{"refresh_token": presented["refresh_token"].Value})
			if issued["refresh_token"] == nil {
				t.Fatal("the held refresh issued no token")
			}
			pool, op := mk(t, s, ck)
			wait, blocked := s.against(t, pool, op)
			if err := txA.Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := wait(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !blocked {
				t.Errorf("%s did not wait for the refresh holding the user's lock", name)
			}
			who := "demo"
			if name == "rotate" {
				who = ""
			}
			if n := s.liveTokens(t, who); n != 0 {
				t.Errorf("%d live refresh token(s) survived %s", n, name)
			}
			s.refreshRefused(t, issued["refresh_token"].Value)
		})
	}
}

// TestRefreshAfterConcurrentRevocation: the revocation holds its locks when
// the refresh starts; the refresh must then find its token revoked.
func TestRefreshAfterConcurrentRevocation(t *testing.T) {
	s := newOurs(t)
	ck := s.login(t, "demo", "demo")
	txB, _ := s.open(t, "logout", map[string]string{"access_token": ck["access_token"].Value})
	wait, blocked := s.against(t, s.api, func(ctx context.Context, c *pgxpool.Conn) error {
		_, err := dbcall.Call(ctx, c, s.request("/rpc/refresh_token", map[string]string{"refresh_token": ck["refresh_token"].Value}, nil), "auth.refresh_token", nil)
		return err
	})
	if !blocked {
		t.Error("the refresh did not wait for the logout holding the user's lock")
	}
	if err := txB.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := wait(); code(err) != "PT401" {
		t.Errorf("refresh racing a logout that went first: %v, want PT401", err)
	}
	if n := s.liveTokens(t, "demo"); n != 0 {
		t.Errorf("%d live refresh token(s) after logout", n)
	}
}

// TestRefreshRacingRefresh: the same token presented twice at once gives
// at most one new session; the second is reuse and revokes the family.
func TestRefreshRacingRefresh(t *testing.T) {
	s := newOurs(t)
	ck := s.login(t, "demo", "demo")
	rt := map[string]string{"refresh_token": ck["refresh_token"].Value}
	txA, issued := s.open(t, "refresh_token", rt)
	wait, blocked := s.against(t, s.api, func(ctx context.Context, c *pgxpool.Conn) error {
		res, err := dbcall.Call(ctx, c, s.request("/rpc/refresh_token", rt, nil), "auth.refresh_token", nil)
		if err == nil && res.Status != 401 {
			return errors.New("the second refresh of one token was not refused")
		}
		return err
	})
	if !blocked {
		t.Error("the second refresh did not wait for the first")
	}
	if err := txA.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if n := s.liveTokens(t, "demo"); n != 0 {
		t.Errorf("%d live refresh token(s) after reuse, want 0 (the family is revoked)", n)
	}
	s.refreshRefused(t, issued["refresh_token"].Value)
}

// TestIssueTokensRechecksUser: auth.issue_tokens re-reads the user under
// the lock. A login that verified a hash (or read a role) that a
// concurrent `user passwd` (or role change) then replaced opens no session
// when it passes that hash (the 4-argument form); the role is checked in
// both forms.
func TestIssueTokensRechecksUser(t *testing.T) {
	s := newOurs(t)
	ctx := context.Background()
	var old string
	if err := s.super.QueryRow(ctx, "select password from auth.user where username = 'demo'").Scan(&old); err != nil {
		t.Fatal(err)
	}
	issue := func(sql string, args ...any) error {
		return pgx.BeginFunc(ctx, s.super, func(tx pgx.Tx) error { _, err := tx.Exec(ctx, sql, args...); return err })
	}
	if err := issue("select auth.issue_tokens('demo', 'basic_subscriber', gen_random_uuid(), $1)", old); err != nil {
		t.Fatalf("current hash: %v", err)
	}
	if err := authdb.SetPassword(ctx, s.super, "demo", "changed"); err != nil {
		t.Fatal(err)
	}
	if err := issue("select auth.issue_tokens('demo', 'basic_subscriber', gen_random_uuid(), $1)", old); code(err) != "PT401" {
		t.Errorf("stale hash: %v, want PT401", err)
	}
	if err := issue("select auth.issue_tokens('demo', 'anon', gen_random_uuid())"); code(err) != "PT401" {
		t.Errorf("stale role: %v, want PT401", err)
	}
	if err := issue("select auth.issue_tokens('nobody', 'basic_subscriber', gen_random_uuid())"); code(err) != "PT401" {
		t.Errorf("deleted user: %v, want PT401", err)
	}
	if n := s.liveTokens(t, "demo"); n != 0 {
		t.Errorf("%d live tokens, want 0 (passwd revoked the first, the others were refused)", n)
	}
}
