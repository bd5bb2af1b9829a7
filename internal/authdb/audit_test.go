package authdb_test

// Each audit finding S1–S14 (docs/deviations.md lists them) as a test
// with two subtests: "guide" (postgres/testdata/guide, the guide's SQL with
// only the minimal fixes) shows the vulnerability, "ours" shows it closed.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authstack/authstack/internal/pgtest"
	"github.com/authstack/authstack/internal/postgrest/dbcall"
)

// S1: SECURITY DEFINER functions without a pinned search_path let the
// stock authenticator role run code as the functions' owner (a temp domain
// named text shadows pg_catalog.text in plpgsql declarations).
func TestS1SearchPathHijack(t *testing.T) {
	both(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, pgtest.WithUser(s.url, "authenticator", ""))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `
			create function pg_temp.evil(v pg_catalog.text) returns boolean language plpgsql as $$
			begin
			  perform pg_catalog.set_config('s1.ran_as', current_user::pg_catalog.text, false);
			  return true;
			end $$;
			create domain pg_temp.text as pg_catalog.text check (pg_temp.evil(value));`)
		if err != nil {
			t.Fatal(err)
		}
		r := s.request("/rpc/logout", nil, nil)
		_, callErr := dbcall.Call(ctx, conn, r, "auth.logout", nil)
		var ranAs string
		if err := conn.QueryRow(ctx, "select coalesce(pg_catalog.current_setting('s1.ran_as', true), '')").Scan(&ranAs); err != nil {
			t.Fatal(err)
		}
		var super bool
		if ranAs != "" {
			conn.QueryRow(ctx, "select rolsuper from pg_catalog.pg_roles where rolname = $1", ranAs).Scan(&super)
		}
		switch s.kind {
		case "guide":
			if !super {
				t.Errorf("expected the hijack to run as a superuser, ran as %q (call err %v)", ranAs, callErr)
			}
		case "ours":
			if ranAs != "" || callErr != nil {
				t.Errorf("attacker code ran as %q (call err %v)", ranAs, callErr)
			}
		}
	})
}

// S2: logout must expire the refresh cookie on the path it was set with;
// a browser-like cookie jar shows what survives.
func TestS2LogoutCookiePaths(t *testing.T) {
	both(t, func(t *testing.T, s *stack) {
		jar, _ := cookiejar.New(nil)
		base := "https://localhost:8443"
		u := func(p string) *url.URL { x, _ := url.Parse(base + p); return x }
		toMap := func(cs []*http.Cookie) map[string]string {
			m := map[string]string{}
			for _, c := range cs {
				m[c.Name] = c.Value
			}
			return m
		}
		store := func(res *dbcall.Result, path string) {
			var cs []*http.Cookie
			for _, c := range setCookies(t, res) {
				cs = append(cs, c)
			}
			jar.SetCookies(u(path), cs)
		}
		res, err := s.call(t, "login", map[string]any{"user_": "demo", "pass": "demo"}, toMap(jar.Cookies(u("/rpc/login"))))
		if err != nil {
			t.Fatal(err)
		}
		store(res, "/rpc/login")
		res, err = s.call(t, "logout", nil, toMap(jar.Cookies(u("/rpc/logout"))))
		if err != nil {
			t.Fatal(err)
		}
		store(res, "/rpc/logout")
		left := toMap(jar.Cookies(u("/rpc/refresh_token")))
		_, refreshErr := s.call(t, "refresh_token", nil, left)
		switch s.kind {
		case "guide":
			if left["refresh_token"] == "" || refreshErr != nil {
				t.Errorf("expected the refresh cookie to survive logout and work: jar %v, err %v", left, refreshErr)
			}
		case "ours":
			if len(left) != 0 || code(refreshErr) != "PT401" {
				t.Errorf("after logout the jar still has %v (refresh err %v)", left, refreshErr)
			}
		}
	})
}

// S3: refresh tokens must be single use and revoked at logout.
func TestS3RefreshRevocation(t *testing.T) {
	both(t, func(t *testing.T, s *stack) {
		ck := s.login(t, "demo", "demo")
		rt := map[string]string{"refresh_token": ck["refresh_token"].Value}
		_, err1 := s.call(t, "refresh_token", nil, rt)
		res2, err2 := s.call(t, "refresh_token", nil, rt) // same token again
		if err1 != nil {
			t.Fatalf("first refresh: %v", err1)
		}
		ck2 := s.login(t, "demo", "demo")
		if _, err := s.call(t, "logout", nil, map[string]string{"access_token": ck2["access_token"].Value}); err != nil {
			t.Fatal(err)
		}
		_, err3 := s.call(t, "refresh_token", nil, map[string]string{"refresh_token": ck2["refresh_token"].Value})
		switch s.kind {
		case "guide":
			if err2 != nil || err3 != nil {
				t.Errorf("expected reuse and refresh-after-logout to work: %v / %v", err2, err3)
			}
		case "ours":
			if err2 != nil || res2.Status != 401 {
				t.Errorf("second use of a refresh token: status %v err %v", res2, err2)
			}
			if code(err3) != "PT401" {
				t.Errorf("refresh after logout: %v", err3)
			}
		}
	})
}

// S4: the signing secret must not be readable by the API roles.
func TestS4SecretReadable(t *testing.T) {
	both(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		for _, role := range []string{"anon", "basic_subscriber"} {
			r := s.request("/", nil, nil)
			r.Role = role
			tx, err := dbcall.Begin(ctx, s.api, r)
			if err != nil {
				t.Fatal(err)
			}
			var guc string
			tx.QueryRow(ctx, "select coalesce(current_setting('pgrst.jwt_secret', true), '')").Scan(&guc)
			var table string
			_, tableErr := tx.Exec(ctx, "savepoint a")
			if tableErr == nil {
				tableErr = tx.QueryRow(ctx, "select secret from auth.jwt_secret").Scan(&table)
			}
			tx.Rollback(ctx)
			switch s.kind {
			case "guide":
				if guc != s.secret {
					t.Errorf("%s: expected to read the secret from the GUC", role)
				}
			case "ours":
				if guc == s.secret || table == s.secret || guc != "" {
					t.Errorf("%s can read the secret", role)
				}
				if code(tableErr) != "42501" {
					t.Errorf("%s reading auth.jwt_secret: %v", role, tableErr)
				}
			}
		}
	})
}

// S5: an unknown user must cost the same bcrypt work as a wrong password.
// Counted, not timed: pgcrypto's crypt() calls with track_functions = all.
func TestS5UnknownUserCostsBcrypt(t *testing.T) {
	both(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, s.url) // superuser: may set track_functions
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "set track_functions = 'all'"); err != nil {
			t.Fatal(err)
		}
		crypts := func() int64 {
			conn.Exec(ctx, "select pg_stat_force_next_flush()")
			conn.Exec(ctx, "select 1")
			var n int64
			conn.QueryRow(ctx, "select coalesce(sum(calls), 0)::bigint from pg_stat_user_functions where funcname = 'crypt'").Scan(&n)
			return n
		}
		login := func(user, pass string) int64 {
			before := crypts()
			r := s.request("/rpc/login", nil, nil)
			_, err := dbcall.Call(ctx, conn, r, "auth.login", map[string]any{"user_": user, "pass": pass})
			if code(err) != "PT401" {
				t.Fatalf("login %s: %v", user, err)
			}
			return crypts() - before
		}
		wrong := login("demo", "wrong")
		unknown := login("nobody", "wrong")
		if wrong != 1 {
			t.Fatalf("wrong password made %d crypt() calls, want 1 (stats not collected?)", wrong)
		}
		switch s.kind {
		case "guide":
			if unknown != 0 {
				t.Errorf("expected no bcrypt work for an unknown user, got %d", unknown)
			}
		case "ours":
			if unknown != 1 {
				t.Errorf("unknown user made %d crypt() calls, want 1", unknown)
			}
		}
	})
}

// S6: bcrypt cost must be at least 10.
func TestS6BcryptCost(t *testing.T) {
	both(t, func(t *testing.T, s *stack) {
		var hash string
		s.super.QueryRow(context.Background(), "select password from auth.user where username = 'demo'").Scan(&hash)
		switch s.kind {
		case "guide":
			if !strings.HasPrefix(hash, "$2a$06$") {
				t.Errorf("expected cost 6, hash prefix %.7s", hash)
			}
		case "ours":
			if !strings.HasPrefix(hash, "$2a$10$") {
				t.Errorf("hash prefix %.7s, want $2a$10$", hash)
			}
		}
	})
}

// S7: cookies need HttpOnly, SameSite, Secure and Max-Age.
func TestS7CookieAttributes(t *testing.T) {
	both(t, func(t *testing.T, s *stack) {
		for name, c := range s.login(t, "demo", "demo") {
			good := c.HttpOnly && c.Secure && c.SameSite == http.SameSiteLaxMode && c.MaxAge > 0
			if s.kind == "guide" && good {
				t.Errorf("%s: expected missing attributes, got %s", name, c)
			}
			if s.kind == "ours" && !good {
				t.Errorf("%s: %s", name, c)
			}
		}
	})
}

// S8: auth.user.role must not accept superusers or authenticator.
func TestS8PrivilegedRoles(t *testing.T) {
	both(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		var superName string
		s.super.QueryRow(ctx, "select current_user").Scan(&superName)
		for i, role := range []string{superName, "authenticator"} {
			_, err := s.super.Exec(ctx, "insert into auth.user (username, password, role) values ($1, 'pw', $2)", "priv"+string(rune('a'+i)), role)
			switch s.kind {
			case "guide":
				if err != nil {
					t.Errorf("expected role %s to be accepted: %v", role, err)
				}
			case "ours":
				if code(err) != "23503" {
					t.Errorf("role %s: %v", role, err)
				}
			}
		}
	})
}

// S9: refresh tokens must be stored hashed.
func TestS9RefreshTokenStorage(t *testing.T) {
	both(t, func(t *testing.T, s *stack) {
		rt := s.login(t, "demo", "demo")["refresh_token"].Value
		var stored string
		s.super.QueryRow(context.Background(), "select token from auth.refresh_token order by id desc limit 1").Scan(&stored)
		sum := sha256.Sum256([]byte(rt))
		switch s.kind {
		case "guide":
			if stored != rt {
				t.Errorf("expected the plain token stored")
			}
		case "ours":
			if stored == rt || stored != hex.EncodeToString(sum[:]) {
				t.Errorf("stored token is not the sha256 hex of the cookie")
			}
		}
	})
}

// S10: sign_raw must not guess whether the secret is base64.
func TestS10SecretGuessing(t *testing.T) {
	both(t, func(t *testing.T, s *stack) {
		var tok string
		err := s.super.QueryRow(context.Background(), "select auth.sign_raw('{}'::json, '$JWT_SECRET')").Scan(&tok)
		switch s.kind {
		case "guide":
			if err != nil || tok == "" {
				t.Errorf("expected a token signed with the raw text: %v", err)
			}
		case "ours":
			if err == nil {
				t.Errorf("a non-base64 secret was used: %s", tok)
			}
		}
	})
}

// S11: exp must follow the jwt_exp setting (default 3600), not 600.
func TestS11Expiry(t *testing.T) {
	both(t, func(t *testing.T, s *stack) {
		s.app = map[string]string{"jwt_exp": "3600"}
		tok := s.login(t, "demo", "demo")["access_token"].Value
		claims := verifyJWT(t, tok, s.secret)
		exp, _ := claims["exp"].(interface{ Int64() (int64, error) }).Int64()
		d := exp - time.Now().Unix()
		switch s.kind {
		case "guide":
			if d > 700 {
				t.Errorf("expected 600 s, got %d", d)
			}
		case "ours":
			if d < 3500 || d > 3700 {
				t.Errorf("exp - now = %d, want about 3600", d)
			}
		}
	})
}

// S12: internal helpers must not be executable by anon.
func TestS12ExecuteGrants(t *testing.T) {
	both(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		tx, err := dbcall.Begin(ctx, s.api, s.request("/rpc/generate_access_token", nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		var tok string
		err = tx.QueryRow(ctx, "select auth.generate_access_token('postgres', 'x', 'Z3Vlc3NlZA==')").Scan(&tok)
		switch s.kind {
		case "guide":
			if err != nil {
				t.Errorf("expected anon to run generate_access_token: %v", err)
			}
		case "ours":
			if code(err) != "42501" {
				t.Errorf("anon ran generate_access_token: %v", err)
			}
		}
	})
}

// S13: the refresh window must not depend on the request's TimeZone.
func TestS13Timezone(t *testing.T) {
	both(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		rt := s.login(t, "demo", "demo")["refresh_token"].Value
		var err error
		if s.kind == "guide" {
			_, err = s.super.Exec(ctx, "update auth.refresh_token set created_at = (now() at time zone 'UTC') - interval '30 days 2 hours'")
		} else {
			_, err = s.super.Exec(ctx, "update auth.refresh_token set created_at = now() - interval '30 days 2 hours', expires_at = now() - interval '2 hours'")
		}
		if err != nil {
			t.Fatal(err)
		}
		r := s.request("/rpc/refresh_token", map[string]string{"refresh_token": rt}, nil)
		r.Timezone = "Etc/GMT+12" // Prefer: timezone=Etc/GMT+12
		_, err = dbcall.Call(ctx, s.api, r, "auth.refresh_token", nil)
		switch s.kind {
		case "guide":
			if err != nil {
				t.Errorf("expected the expired token to be accepted under Etc/GMT+12: %v", err)
			}
		case "ours":
			if code(err) != "PT401" {
				t.Errorf("expired token accepted: %v", err)
			}
		}
	})
}

// S14: passwords over 72 bytes must be rejected.
func TestS14LongPasswords(t *testing.T) {
	both(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		_, err := s.super.Exec(ctx, "insert into auth.user (username, password, role) values ('longpw', repeat('a', 100), 'basic_subscriber')")
		switch s.kind {
		case "guide":
			if err != nil {
				t.Fatalf("expected a 100-byte password to be accepted: %v", err)
			}
			// and any suffix after byte 72 logs in
			if _, err := s.call(t, "login", map[string]any{"user_": "longpw", "pass": strings.Repeat("a", 72) + "DIFFERENT"}, nil); err != nil {
				t.Errorf("expected truncation to let the wrong suffix in: %v", err)
			}
		case "ours":
			if code(err) != "23514" {
				t.Errorf("100-byte password: %v", err)
			}
		}
	})
}
