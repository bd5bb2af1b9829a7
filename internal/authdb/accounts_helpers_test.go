package authdb_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/authstack/authstack/internal/postgrest/dbcall"
)

// Helpers for the tests of migration 0007 (sessions, the pre-request
// function, logout scopes, change_password) and 0008 (sign-up): requests
// as PostgREST makes them for a bearer token it verified.

const preRequest = "auth.check_session"

// as is the request PostgREST makes for the verified access token tok:
// the token's role and claims, and the stack's pre-request function.
func (s *stack) as(t testing.TB, tok, method, path string) dbcall.Request {
	t.Helper()
	claims := s.claims(t, tok)
	r := s.request(path, nil, nil)
	r.Role, r.Claims, r.Method, r.PreRequest = claims["role"].(string), claims, method, preRequest
	r.ReadOnly = method == "GET"
	return r
}

// claims returns the payload of tok after checking its signature with the
// stack's secret, as PostgREST does before it sets request.jwt.claims.
func (s *stack) claims(t testing.TB, tok string) map[string]any {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(s.secret)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify([]byte(tok), jws.WithKey(jwa.HS256, key))
	if err != nil {
		t.Fatalf("access token does not verify: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// forge signs claims with the stack's secret: what only a holder of the
// secret can make (PostgREST would accept its signature).
func (s *stack) forge(t testing.TB, claims map[string]any) string {
	t.Helper()
	key, _ := base64.StdEncoding.DecodeString(s.secret)
	if _, ok := claims["exp"]; !ok {
		claims["exp"] = time.Now().Add(time.Hour).Unix()
	}
	b, _ := json.Marshal(claims)
	tok, err := jws.Sign(b, jws.WithKey(jwa.HS256, key))
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

// callAs runs POST /rpc/<fn> with the bearer token tok (pre-request first).
func (s *stack) callAs(t testing.TB, tok, fn string, args map[string]any) (*dbcall.Result, error) {
	t.Helper()
	return dbcall.Call(context.Background(), s.api, s.as(t, tok, "POST", "/rpc/"+fn), "auth."+fn, args)
}

// sessionRow is one row of GET /rpc/sessions.
type sessionRow struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	UserAgent  *string   `json:"user_agent"`
	IP         *string   `json:"ip"`
	Current    bool      `json:"current"`
}

// sessionsOf runs GET /rpc/sessions with the bearer token tok.
func (s *stack) sessionsOf(t testing.TB, tok string) ([]sessionRow, error) {
	t.Helper()
	ctx := context.Background()
	tx, err := dbcall.Begin(ctx, s.api, s.as(t, tok, "GET", "/rpc/sessions"))
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	var raw []byte
	if err := tx.QueryRow(ctx, "select coalesce(json_agg(s), '[]') from auth.sessions() s").Scan(&raw); err != nil {
		return nil, err
	}
	var rows []sessionRow
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	return rows, tx.Commit(ctx)
}

// apiGET runs the pre-request of GET /task with the bearer token tok, as
// every API request does: nil when the token may be used.
func (s *stack) apiGET(t testing.TB, tok string) error {
	t.Helper()
	ctx := context.Background()
	r := s.as(t, tok, "GET", "/task")
	r.Schema = "public"
	tx, err := dbcall.Begin(ctx, s.api, r)
	if err != nil {
		return err
	}
	return tx.Rollback(ctx)
}

// loginFrom logs user in with a User-Agent and a client address (the last
// X-Forwarded-For entry, as Caddy sets it).
func (s *stack) loginFrom(t testing.TB, user, pass, ua, addr string) map[string]*http.Cookie {
	t.Helper()
	h := http.Header{"User-Agent": {ua}, "X-Forwarded-For": {addr}}
	res, err := dbcall.Call(context.Background(), s.api, s.request("/rpc/login", nil, h), "auth.login",
		map[string]any{"user_": user, "pass": pass})
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return setCookies(t, res)
}

// refresh presents refresh token rt; it returns the new cookies (nil when
// refused with 401) or fails the test on anything else.
func (s *stack) refresh(t testing.TB, rt string) map[string]*http.Cookie {
	t.Helper()
	res, err := s.call(t, "refresh_token", nil, map[string]string{"refresh_token": rt})
	if code(err) == "PT401" || err == nil && res.Status == 401 {
		return nil
	}
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	return setCookies(t, res)
}

// sid is the session id an access token names.
func (s *stack) sid(t testing.TB, tok string) string {
	t.Helper()
	v, _ := s.claims(t, tok)["sid"].(string)
	if v == "" {
		t.Fatalf("access token without sid: %v", s.claims(t, tok))
	}
	return v
}

// liveSessions counts user's live sessions in the database.
func (s *stack) liveSessions(t testing.TB, user string) int {
	t.Helper()
	var n int
	if err := s.super.QueryRow(context.Background(), `select count(distinct family) from auth.refresh_token
		where used_at is null and expires_at > now() and username = $1`, user).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// ageUse makes refresh token rt look used `by` ago (its rotation long
// past), instead of waiting for the reuse interval.
func (s *stack) ageUse(t testing.TB, rt string, by time.Duration) {
	t.Helper()
	tag, err := s.super.Exec(context.Background(), `update auth.refresh_token
		set used_at = used_at - make_interval(secs => $2), created_at = created_at - make_interval(secs => $2)
		where token = encode(digest($1, 'sha256'), 'hex') and used_at is not null`, rt, by.Seconds())
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("age the use of a refresh token: %v (%d rows)", err, tag.RowsAffected())
	}
}
