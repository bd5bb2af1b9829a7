package authdb_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/postgrest/dbcall"
)

// verifyJWT checks the token with jwx and the base64-decoded secret and
// returns its claims (numbers kept as json.Number).
func verifyJWT(t *testing.T, token, secret string) map[string]any {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify([]byte(token), jws.WithKey(jwa.HS256, key))
	if err != nil {
		t.Fatalf("JWT does not verify with the decoded secret: %v", err)
	}
	msg, err := jws.Parse([]byte(token))
	if err != nil {
		t.Fatal(err)
	}
	hdr := msg.Signatures()[0].ProtectedHeaders()
	if hdr.Algorithm() != jwa.HS256 || hdr.KeyID() != "" {
		t.Errorf("header alg=%v kid=%q", hdr.Algorithm(), hdr.KeyID())
	}
	if strings.ContainsAny(token, "=+/\n") {
		t.Errorf("token is not unpadded base64url: %s", token)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func TestGuideFlowsOnOurSchema(t *testing.T) {
	s := newOurs(t)
	ctx := context.Background()

	// Login: void (204), two cookies.
	res, err := s.call(t, "login", map[string]any{"user_": "demo", "pass": "demo"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Void || res.Status != 0 || len(res.Values("Set-Cookie")) != 2 {
		t.Fatalf("login result = %+v", res)
	}
	ck := setCookies(t, res)
	at, rt := ck["access_token"], ck["refresh_token"]
	if at == nil || rt == nil {
		t.Fatalf("cookies = %v", res.Values("Set-Cookie"))
	}
	for _, c := range []*http.Cookie{at, rt} {
		if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("%s attributes: %s", c.Name, c.String())
		}
	}
	if at.Path != "/" || at.MaxAge != 3600 || rt.Path != "/rpc/refresh_token" || rt.MaxAge != 30*24*3600 {
		t.Errorf("paths/max-age: %q %d, %q %d", at.Path, at.MaxAge, rt.Path, rt.MaxAge)
	}
	claims := verifyJWT(t, at.Value, s.secret)
	if claims["role"] != "basic_subscriber" || claims["username"] != "demo" || claims["sub"] != "demo" {
		t.Errorf("claims = %v", claims)
	}
	exp, ok := claims["exp"].(json.Number)
	if !ok || strings.ContainsAny(exp.String(), ".eE") {
		t.Fatalf("exp is not an integer: %#v", claims["exp"])
	}
	e, _ := exp.Int64()
	if d := e - time.Now().Unix(); d < 3600-60 || d > 3600+60 {
		t.Errorf("exp - now = %d, want about 3600", d)
	}

	// The token works for the app table: demo sees only demo's tasks.
	var owners []string
	tx, err := dbcall.Begin(ctx, s.api, dbcall.Request{Schema: "public", Role: "basic_subscriber", Claims: claims, Method: "GET", Path: "/task", ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := tx.Query(ctx, "select distinct owner from public.task")
	for rows.Next() {
		var o string
		rows.Scan(&o)
		owners = append(owners, o)
	}
	rows.Close()
	tx.Rollback(ctx)
	if len(owners) != 1 || owners[0] != "demo" {
		t.Errorf("demo sees tasks of %v", owners)
	}

	// Wrong password and unknown user: PT401, no cookies.
	for _, args := range []map[string]any{{"user_": "demo", "pass": "wrong"}, {"user_": "nobody", "pass": "demo"}, {"user_": "demo", "pass": nil}} {
		_, err := s.call(t, "login", args, nil)
		if pe := dbcall.AsPgError(err); pe == nil || pe.Code != "PT401" || pe.Message != "Invalid user or password" {
			t.Errorf("login %v: %v", args, err)
		}
	}

	// Refresh rotates both cookies.
	res, err = s.call(t, "refresh_token", nil, map[string]string{"refresh_token": rt.Value})
	if err != nil {
		t.Fatal(err)
	}
	ck2 := setCookies(t, res)
	if ck2["refresh_token"] == nil || ck2["refresh_token"].Value == rt.Value || ck2["access_token"] == nil {
		t.Fatalf("refresh cookies = %v", res.Values("Set-Cookie"))
	}
	verifyJWT(t, ck2["access_token"].Value, s.secret)

	// Logout with the access cookie: both cookies expired on their paths.
	res, err = s.call(t, "logout", nil, map[string]string{"access_token": ck2["access_token"].Value})
	if err != nil {
		t.Fatal(err)
	}
	out := setCookies(t, res)
	if out["access_token"].Path != "/" || out["access_token"].MaxAge >= 0 ||
		out["refresh_token"].Path != "/rpc/refresh_token" || out["refresh_token"].MaxAge >= 0 {
		t.Errorf("logout cookies = %v", res.Values("Set-Cookie"))
	}
	// Refresh after logout is refused (the server revoked the token).
	_, err = s.call(t, "refresh_token", nil, map[string]string{"refresh_token": ck2["refresh_token"].Value})
	if code(err) != "PT401" {
		t.Errorf("refresh after logout: %v", err)
	}
	// No cookie at all.
	if _, err := s.call(t, "refresh_token", nil, nil); code(err) != "PT401" {
		t.Errorf("refresh without cookie: %v", err)
	}
}

func TestRefreshReuseRevokesFamily(t *testing.T) {
	s := newOurs(t)
	first := s.login(t, "demo", "demo")["refresh_token"].Value
	other := s.login(t, "demo", "demo")["refresh_token"].Value // a second login (family)

	res, err := s.call(t, "refresh_token", nil, map[string]string{"refresh_token": first})
	if err != nil {
		t.Fatal(err)
	}
	second := setCookies(t, res)["refresh_token"].Value

	// Reusing the rotated token: 401 and the family is revoked.
	res, err = s.call(t, "refresh_token", nil, map[string]string{"refresh_token": first})
	if err != nil || res.Status != 401 {
		t.Fatalf("reuse: status %v err %v", res, err)
	}
	if c := setCookies(t, res)["refresh_token"]; c == nil || c.MaxAge >= 0 {
		t.Errorf("reuse answer does not clear the cookie: %v", res.Values("Set-Cookie"))
	}
	if _, err := s.call(t, "refresh_token", nil, map[string]string{"refresh_token": second}); code(err) != "PT401" {
		t.Errorf("token of the revoked family still works: %v", err)
	}
	// The other login's family is untouched.
	if _, err := s.call(t, "refresh_token", nil, map[string]string{"refresh_token": other}); err != nil {
		t.Errorf("other family revoked too: %v", err)
	}
}

func TestSettingsDriveTokensAndCookies(t *testing.T) {
	s := newOurs(t)
	s.app = map[string]string{"JWT_EXP": "120", "REFRESH_TOKEN_TTL": "600", "COOKIE_SECURE": "false", "COOKIE_SAMESITE": "strict"}
	ck := s.login(t, "demo", "demo")
	at, rt := ck["access_token"], ck["refresh_token"]
	if at.MaxAge != 120 || rt.MaxAge != 600 || at.Secure || rt.Secure || at.SameSite != http.SameSiteStrictMode {
		t.Errorf("cookies = %s / %s", at, rt)
	}
	exp, _ := verifyJWT(t, at.Value, s.secret)["exp"].(json.Number).Int64()
	if d := exp - time.Now().Unix(); d < 60 || d > 180 {
		t.Errorf("exp - now = %d, want about 120", d)
	}
	s.app = map[string]string{"cookie_samesite": "sideways"}
	if _, err := s.call(t, "login", map[string]any{"user_": "demo", "pass": "demo"}, nil); err == nil || !strings.Contains(err.Error(), "cookie_samesite") {
		t.Errorf("bad SameSite accepted: %v", err)
	}
}

func TestLoginThrottling(t *testing.T) {
	s := newOurs(t)
	s.app = map[string]string{"login_max_attempts_user": "3", "login_max_attempts_addr": "5", "login_window": "900"}
	ctx := context.Background()
	try := func(user, pass, addr string) error {
		h := http.Header{}
		if addr != "" {
			h.Set("X-Forwarded-For", "203.0.113.9, "+addr)
		}
		_, err := dbcall.Call(ctx, s.api, s.request("/rpc/login", nil, h), "auth.login", map[string]any{"user_": user, "pass": pass})
		return err
	}
	// Per user: 2 failures, a success resets, then 3 failures → throttled.
	for i := 0; i < 2; i++ {
		if code(try("demo", "bad", "")) != "PT401" {
			t.Fatal("expected PT401")
		}
	}
	if err := try("demo", "demo", ""); err != nil {
		t.Fatalf("success after 2 failures: %v", err)
	}
	for i := 0; i < 3; i++ {
		if c := code(try("demo", "bad", "")); c != "PT401" {
			t.Fatalf("failure %d: %s", i+1, c)
		}
	}
	err := try("demo", "demo", "") // even the right password
	rr, ok := dbcall.AsRaisedResponse(err)
	if !ok || rr.Status != 429 || rr.Code != "PT429" {
		t.Fatalf("throttled login: %v", err)
	}
	if n, err := strconv.Atoi(rr.Headers["Retry-After"]); err != nil || n < 1 || n > 900 {
		t.Errorf("Retry-After = %q", rr.Headers["Retry-After"])
	}
	// alice is not affected by demo's counter (counters are per exact name).
	if err := try("alice", "alice", ""); err != nil {
		t.Errorf("alice throttled by demo's failures: %v", err)
	}

	// Per client address (last X-Forwarded-For entry): 5 failures over
	// different user names, then the address is throttled.
	// (user names whose bucket is demo's, which is throttled, are skipped)
	var demoBucket string
	s.super.QueryRow(ctx, "select auth.throttle_seq('user', 'demo')::text").Scan(&demoBucket)
	for i, n := 0, 0; n < 5; i++ {
		name := "nouser" + strconv.Itoa(i)
		var b string
		s.super.QueryRow(ctx, "select auth.throttle_seq('user', $1)::text", name).Scan(&b)
		if b == demoBucket {
			continue
		}
		n++
		if c := code(try(name, "x", "198.51.100.7")); c != "PT401" {
			t.Fatalf("address failure %d: %s", n, c)
		}
	}
	if _, ok := dbcall.AsRaisedResponse(try("alice", "alice", "198.51.100.7")); !ok {
		t.Error("address not throttled after 5 failures")
	}
	if err := try("alice", "alice", "198.51.100.8"); err != nil {
		t.Errorf("another address throttled: %v", err)
	}
}

func TestExpiredRowsCleanedAtLogin(t *testing.T) {
	s := newOurs(t)
	ctx := context.Background()
	s.login(t, "demo", "demo")
	if _, err := s.super.Exec(ctx, "update auth.refresh_token set expires_at = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	s.login(t, "alice", "alice")
	var n int
	s.super.QueryRow(ctx, "select count(*) from auth.refresh_token where expires_at < now()").Scan(&n)
	if n != 0 {
		t.Errorf("%d expired rows left after login", n)
	}
}

func TestRotateSecretEndsSessions(t *testing.T) {
	s := newOurs(t)
	ctx := context.Background()
	old := s.login(t, "demo", "demo")
	next := newSecret(t)
	tx, err := s.super.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n, err := authdb.RotateSecret(ctx, tx, next)
	if err != nil || n != 1 {
		t.Fatalf("rotate: %d %v", n, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.call(t, "refresh_token", nil, map[string]string{"refresh_token": old["refresh_token"].Value}); code(err) != "PT401" {
		t.Errorf("old refresh token after rotate: %v", err)
	}
	// Logout with an access token signed by the old secret revokes nothing
	// (its signature no longer verifies) but still clears the cookies.
	fresh := s.login(t, "demo", "demo")
	verifyJWT(t, fresh["access_token"].Value, next)
	if _, err := s.call(t, "logout", nil, map[string]string{"access_token": old["access_token"].Value}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.call(t, "refresh_token", nil, map[string]string{"refresh_token": fresh["refresh_token"].Value}); err != nil {
		t.Errorf("a forged/stale access token revoked a live session: %v", err)
	}
	// A bad secret is refused by the table's check.
	if _, err := authdb.RotateSecret(ctx, s.super, "c2hvcnQ="); err == nil {
		t.Error("short secret stored")
	}
}
