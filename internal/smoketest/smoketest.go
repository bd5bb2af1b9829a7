// Package smoketest runs the guide's curl flows end to end through Caddy,
// plus the checks that prove the security fixes, against a running stack
// (native or Docker). Each check is a named pass/fail; tokens are never
// part of any message.
package smoketest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// Options configure a run.
type Options struct {
	// BaseURL of the gateway, e.g. http://localhost:8000.
	BaseURL string
	// DBURL is a superuser URL of the stack's database. With it the run
	// uses a throwaway user (created and removed); without it, the demo user.
	DBURL string
	// JWTSecret (standard base64) lets the run verify signatures and mint
	// an expired token signed with the real key.
	JWTSecret string
	// Role the test user has (default basic_subscriber).
	Role string
	// Client is the HTTP client (default: 10 s timeout, no redirects).
	Client *http.Client
}

// Result is one check.
type Result struct {
	Name string `json:"name"`
	Pass bool   `json:"pass"`
	Why  string `json:"why,omitempty"`
}

// Report is a whole run.
type Report struct {
	URL       string   `json:"url"`
	User      string   `json:"user"`
	Throwaway bool     `json:"throwaway_user"`
	Notes     []string `json:"notes,omitempty"`
	Results   []Result `json:"results"`
	Passed    int      `json:"passed"`
	Failed    int      `json:"failed"`
	Elapsed   float64  `json:"elapsed_seconds"`
}

// OK reports whether every check passed.
func (r *Report) OK() bool { return r.Failed == 0 && r.Passed > 0 }

type runner struct {
	o      Options
	rep    *Report
	client *http.Client
	user   string
	pass   string
	key    []byte
	taskID int64
	// accessMaxAge is the access cookie's Max-Age (s), compared with exp.
	accessMaxAge int
	// db is the superuser connection of a run with a throwaway user.
	db *pgx.Conn
	// forgetAddr is the address whose throttle counted the run's wrong
	// password (see throttle.go).
	forgetAddr string
	wrongSent  bool
}

func (r *runner) check(name string, fn func() error) bool {
	err := fn()
	res := Result{Name: name, Pass: err == nil}
	if err != nil {
		res.Why = err.Error()
		r.rep.Failed++
	} else {
		r.rep.Passed++
	}
	r.rep.Results = append(r.rep.Results, res)
	return err == nil
}

// Run runs every check and returns the report; err is only for a run that
// could not start at all (bad options, database unreachable when given).
func Run(ctx context.Context, o Options) (*Report, error) {
	t0 := time.Now()
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if o.BaseURL == "" {
		o.BaseURL = "http://localhost:8000"
	}
	if !strings.HasPrefix(o.BaseURL, "http://") && !strings.HasPrefix(o.BaseURL, "https://") {
		return nil, fmt.Errorf("--url %q: want http://host:port", o.BaseURL)
	}
	if o.Role == "" {
		o.Role = "basic_subscriber"
	}
	r := &runner{o: o, rep: &Report{URL: o.BaseURL}}
	r.client = o.Client
	if r.client == nil {
		r.client = &http.Client{Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if err := r.reachable(ctx); err != nil {
		return nil, err
	}
	if o.JWTSecret != "" {
		k, err := base64.StdEncoding.DecodeString(o.JWTSecret)
		if err != nil {
			return nil, errors.New("JWT_SECRET is not standard base64: fix it in .env (stackctl secret gen --force)")
		}
		r.key = k
	} else {
		r.note("JWT_SECRET not available: signatures are not verified and the expired-token check cannot sign a token")
	}
	if o.DBURL != "" {
		cleanup, err := r.createUser(ctx)
		if err != nil {
			return nil, err
		}
		defer cleanup()
	} else {
		r.user, r.pass = "demo", "demo"
		r.note("no database URL (--db-url or DATABASE_URL): using the demo user demo/demo instead of a throwaway user")
	}
	r.rep.User = r.user
	r.all(ctx)
	r.rep.Elapsed = time.Since(t0).Seconds()
	return r.rep, nil
}

// reachable fails early, with one clear message, when nothing answers at
// the URL (instead of thirteen FAIL lines saying the same).
func (r *runner) reachable(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.o.BaseURL+"/rest/", nil)
	if err != nil {
		return fmt.Errorf("--url %q: %v", r.o.BaseURL, err)
	}
	res, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("nothing answers at %s (%v): is the stack running? (`stackctl status`, `stackctl up`)", r.o.BaseURL, err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return nil
}

func (r *runner) note(s string) { r.rep.Notes = append(r.rep.Notes, s) }

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// createUser adds a throwaway user with one task, and returns its removal.
func (r *runner) createUser(ctx context.Context) (func(), error) {
	conn, err := pgx.Connect(ctx, r.o.DBURL)
	if err != nil {
		return nil, fmt.Errorf("connect to the database for the throwaway user: %w", redactURL(err, r.o.DBURL))
	}
	r.user, r.pass = "smoke_"+randHex(6), randHex(16)
	tx, err := conn.Begin(ctx)
	if err == nil {
		_, err = tx.Exec(ctx, "insert into auth.user (username, password, role) values ($1, $2, $3)", r.user, r.pass, r.o.Role)
	}
	if err == nil {
		err = tx.QueryRow(ctx, "insert into public.task (owner, title) values ($1, 'smoke-test task') returning id", r.user).Scan(&r.taskID)
	}
	if err == nil {
		err = tx.Commit(ctx)
	}
	if err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("create the throwaway user: %w", err)
	}
	r.rep.Throwaway = true
	r.db = conn
	return func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.forgetWrongLogin(cctx)
		// tasks and refresh tokens go with the user (on delete cascade)
		if _, err := conn.Exec(cctx, "delete from auth.user where username = $1", r.user); err != nil {
			r.note("could not remove the throwaway user " + r.user + ": " + err.Error())
		}
		conn.Close(cctx)
	}, nil
}

func redactURL(err error, url string) error {
	msg := err.Error()
	if i := strings.Index(url, "://"); i >= 0 {
		if j := strings.Index(url[i+3:], "@"); j >= 0 {
			if k := strings.Index(url[i+3:i+3+j], ":"); k >= 0 {
				msg = strings.ReplaceAll(msg, url[i+3+k+1:i+3+j], "***")
			}
		}
	}
	return errors.New(msg)
}

// resp is an HTTP answer, read whole.
type resp struct {
	status  int
	header  http.Header
	body    []byte
	cookies map[string]*http.Cookie
}

func (r *runner) do(ctx context.Context, method, path string, hdr map[string]string, body string) (*resp, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.o.BaseURL+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	out := &resp{status: res.StatusCode, header: res.Header, body: b, cookies: map[string]*http.Cookie{}}
	for _, c := range res.Cookies() {
		out.cookies[c.Name] = c
	}
	return out, nil
}

func (p *resp) want(code int) error {
	if p.status != code {
		return fmt.Errorf("status %d, want %d%s", p.status, code, bodyHint(p.body))
	}
	return nil
}

func bodyHint(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return " (body: " + redactTokens(s) + ")"
}

// redactTokens hides anything that looks like a JWT.
func redactTokens(s string) string {
	f := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(" \t\n\"';,=", r) })
	for _, w := range f {
		if strings.Count(w, ".") == 2 && strings.HasPrefix(w, "eyJ") {
			s = strings.ReplaceAll(s, w, "<token>")
		}
	}
	return s
}

var authHdr = map[string]string{"Content-Profile": "auth", "Content-Type": "application/json"}

func (r *runner) login(ctx context.Context, user, pass string) (*resp, error) {
	b, _ := json.Marshal(map[string]string{"user_": user, "pass": pass})
	return r.do(ctx, http.MethodPost, "/rpc/login", authHdr, string(b))
}

// tokens of one login.
type session struct{ access, refresh string }

func (r *runner) all(ctx context.Context) {
	// public OpenAPI root
	r.check("openapi without cookie", func() error {
		p, err := r.do(ctx, http.MethodGet, "/rest/", nil, "")
		if err != nil {
			return err
		}
		if err := p.want(200); err != nil {
			return err
		}
		var doc map[string]any
		if err := json.Unmarshal(p.body, &doc); err != nil {
			return fmt.Errorf("body is not JSON: %v", err)
		}
		if doc["swagger"] == nil && doc["openapi"] == nil {
			return errors.New("body is not an OpenAPI document (no swagger/openapi key)")
		}
		return nil
	})

	r.check("wrong password", func() error {
		p, err := r.wrongLogin(ctx)
		if err != nil {
			return err
		}
		if err := p.want(401); err != nil {
			return err
		}
		var e struct{ Code, Message string }
		if err := json.Unmarshal(p.body, &e); err != nil || e.Code != "PT401" {
			return fmt.Errorf("body has no PT401 code%s", bodyHint(p.body))
		}
		if _, ok := p.cookies["access_token"]; ok {
			return errors.New("a failed login set an access_token cookie")
		}
		return nil
	})

	var s1 session
	loggedIn := r.check("login", func() error {
		p, err := r.login(ctx, r.user, r.pass)
		if err != nil {
			return err
		}
		if err := p.want(204); err != nil {
			return err
		}
		var err2 error
		s1, err2 = r.sessionCookies(p)
		return err2
	})
	if loggedIn {
		r.check("jwt claims", func() error { return r.checkClaims(s1.access) })
	}

	r.check("task with cookie", func() error {
		if !loggedIn {
			return errors.New("no login")
		}
		p, err := r.do(ctx, http.MethodGet, "/rest/task", map[string]string{"Cookie": "access_token=" + s1.access}, "")
		if err != nil {
			return err
		}
		if err := p.want(200); err != nil {
			return err
		}
		var rows []map[string]any
		if err := json.Unmarshal(p.body, &rows); err != nil {
			return fmt.Errorf("body is not a JSON array: %v", err)
		}
		for _, row := range rows {
			if row["owner"] != r.user {
				return fmt.Errorf("a row of %v is visible to %s: row-level security is not in force", row["owner"], r.user)
			}
		}
		if r.taskID != 0 && (len(rows) != 1 || fmt.Sprint(rows[0]["id"]) != strconv.FormatInt(r.taskID, 10)) {
			return fmt.Errorf("got %d rows, want exactly the user's one task", len(rows))
		}
		if r.taskID == 0 && len(rows) == 0 {
			return errors.New("the demo user sees no task (is the demo seed loaded?)")
		}
		return nil
	})

	r.check("task without cookie (401 from Caddy)", func() error {
		p, err := r.do(ctx, http.MethodGet, "/rest/task", nil, "")
		if err != nil {
			return err
		}
		if err := p.want(401); err != nil {
			return err
		}
		if len(p.body) != 0 || p.header.Get("Content-Profile") != "" || p.header.Get("WWW-Authenticate") != "" {
			return fmt.Errorf("the 401 came from PostgREST, not from Caddy's jwtauth (body or PostgREST headers present)%s", bodyHint(p.body))
		}
		return nil
	})

	for _, bad := range []struct {
		name string
		tok  func() (string, error)
	}{
		{"forged token", r.forged},
		{"expired token", r.expired},
		{"alg none token", r.algNone},
	} {
		r.check(bad.name, func() error {
			tok, err := bad.tok()
			if err != nil {
				return err
			}
			p, err := r.do(ctx, http.MethodGet, "/rest/task", map[string]string{"Cookie": "access_token=" + tok}, "")
			if err != nil {
				return err
			}
			return p.want(401)
		})
	}

	// refresh: a new access token; the used refresh token is refused afterwards
	var s2 session
	refreshed := r.check("refresh", func() error {
		if !loggedIn {
			return errors.New("no login")
		}
		p, err := r.refresh(ctx, s1.refresh)
		if err != nil {
			return err
		}
		if err := p.want(204); err != nil {
			return err
		}
		c := p.cookies["access_token"]
		if c == nil || c.Value == "" {
			return errors.New("no new access_token cookie")
		}
		s2.access = c.Value
		if rc := p.cookies["refresh_token"]; rc != nil {
			s2.refresh = rc.Value
		}
		if err := r.checkClaims(s2.access); err != nil {
			return fmt.Errorf("new access token: %v", err)
		}
		q, err := r.do(ctx, http.MethodGet, "/rest/task", map[string]string{"Cookie": "access_token=" + s2.access}, "")
		if err != nil {
			return err
		}
		if q.status != 200 {
			return fmt.Errorf("the new access token is refused: status %d", q.status)
		}
		return nil
	})
	r.sessionChecks(ctx, s1, s2, refreshed)

	// logout: both cookies cleared on their paths; refresh refused afterwards
	var s3 session
	r.check("logout", func() error {
		p, err := r.login(ctx, r.user, r.pass)
		if err != nil {
			return err
		}
		if err := p.want(204); err != nil {
			return fmt.Errorf("login before logout: %v", err)
		}
		if s3, err = r.sessionCookies(p); err != nil {
			return err
		}
		// what a browser sends to /rpc/logout: the refresh cookie's path does not match
		q, err := r.do(ctx, http.MethodPost, "/rpc/logout",
			map[string]string{"Content-Profile": "auth", "Cookie": "access_token=" + s3.access}, "")
		if err != nil {
			return err
		}
		if err := q.want(204); err != nil {
			return err
		}
		for name, path := range map[string]string{"access_token": "/", "refresh_token": "/rpc/refresh_token"} {
			c := q.cookies[name]
			if c == nil {
				return fmt.Errorf("logout does not clear %s", name)
			}
			if c.Value != "" || !cleared(c) {
				return fmt.Errorf("logout's %s cookie is not an expired empty cookie", name)
			}
			if c.Path != path {
				return fmt.Errorf("logout clears %s on path %q, but it was set on %q (the browser keeps it)", name, c.Path, path)
			}
		}
		return nil
	})
	r.check("refresh after logout refused", func() error {
		if s3.refresh == "" {
			return errors.New("no login before logout")
		}
		p, err := r.refresh(ctx, s3.refresh)
		if err != nil {
			return err
		}
		if p.status != 401 {
			return fmt.Errorf("refresh after logout answered %d, want 401", p.status)
		}
		return nil
	})
}

func cleared(c *http.Cookie) bool {
	return c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now()))
}

func (r *runner) refresh(ctx context.Context, tok string) (*resp, error) {
	return r.do(ctx, http.MethodPost, "/rpc/refresh_token",
		map[string]string{"Content-Profile": "auth", "Cookie": "refresh_token=" + tok}, "")
}

// sessionCookies checks the two login cookies' attributes.
func (r *runner) sessionCookies(p *resp) (session, error) {
	var s session
	for _, want := range []struct{ name, path string }{{"access_token", "/"}, {"refresh_token", "/rpc/refresh_token"}} {
		c := p.cookies[want.name]
		if c == nil || c.Value == "" {
			return s, fmt.Errorf("no %s cookie", want.name)
		}
		switch {
		case c.Path != want.path:
			return s, fmt.Errorf("%s cookie has Path=%q, want %q", want.name, c.Path, want.path)
		case !c.HttpOnly:
			return s, fmt.Errorf("%s cookie is not HttpOnly", want.name)
		case c.SameSite != http.SameSiteLaxMode && c.SameSite != http.SameSiteStrictMode:
			return s, fmt.Errorf("%s cookie has no SameSite=Lax or Strict", want.name)
		case c.MaxAge <= 0:
			return s, fmt.Errorf("%s cookie has no positive Max-Age", want.name)
		}
		if want.name == "access_token" {
			s.access = c.Value
		} else {
			s.refresh = c.Value
		}
	}
	if exp := p.cookies["access_token"].MaxAge; exp > 0 {
		r.accessMaxAge = exp
	}
	return s, nil
}

// checkClaims decodes (and, with the secret, verifies) an access token.
func (r *runner) checkClaims(tok string) error {
	msg, err := jws.Parse([]byte(tok))
	if err != nil {
		return errors.New("the access token is not a JWS")
	}
	if sigs := msg.Signatures(); len(sigs) != 1 || sigs[0].ProtectedHeaders().Algorithm() != jwa.HS256 {
		return errors.New("the access token is not HS256")
	}
	var opts []jwt.ParseOption
	if r.key != nil {
		opts = append(opts, jwt.WithKey(jwa.HS256, r.key), jwt.WithValidate(true))
	} else {
		opts = append(opts, jwt.WithVerify(false), jwt.WithValidate(true))
	}
	t, err := jwt.Parse([]byte(tok), opts...)
	if err != nil {
		return fmt.Errorf("the access token does not verify: %v", err)
	}
	if t.Subject() != r.user {
		return fmt.Errorf("sub is %q, want %q", t.Subject(), r.user)
	}
	if v, _ := t.Get("username"); v != r.user {
		return fmt.Errorf("username claim is %v, want %q", v, r.user)
	}
	if v, _ := t.Get("role"); v != r.o.Role {
		return fmt.Errorf("role claim is %v, want %q", v, r.o.Role)
	}
	left := time.Until(t.Expiration())
	if left <= 0 {
		return errors.New("exp is not in the future")
	}
	if r.accessMaxAge > 0 {
		if d := left - time.Duration(r.accessMaxAge)*time.Second; d > 5*time.Second || d < -60*time.Second {
			return fmt.Errorf("exp is %s away but the cookie's Max-Age is %ds", left.Round(time.Second), r.accessMaxAge)
		}
	}
	return nil
}

func (r *runner) claims(exp time.Time) map[string]any {
	return map[string]any{"role": r.o.Role, "username": r.user, "sub": r.user, "exp": exp.Unix()}
}

func sign(claims map[string]any, key []byte) (string, error) {
	t := jwt.New()
	for k, v := range claims {
		if err := t.Set(k, v); err != nil {
			return "", err
		}
	}
	b, err := jwt.Sign(t, jwt.WithKey(jwa.HS256, key))
	return string(b), err
}

func (r *runner) forged() (string, error) {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return sign(r.claims(time.Now().Add(time.Hour)), k)
}

func (r *runner) expired() (string, error) {
	if r.key == nil {
		return "", errors.New("needs JWT_SECRET (from .env or the environment) to sign an expired token with the real key")
	}
	return sign(r.claims(time.Now().Add(-2*time.Minute)), r.key)
}

func (r *runner) algNone() (string, error) {
	enc := base64.RawURLEncoding
	h := enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	c, _ := json.Marshal(r.claims(time.Now().Add(time.Hour)))
	return h + "." + enc.EncodeToString(c) + ".", nil
}

// Print writes the report as `PASS name` / `FAIL name: why` lines and the
// summary `N passed, N failed`.
func Print(w io.Writer, rep *Report) {
	for _, res := range rep.Results {
		if res.Pass {
			fmt.Fprintf(w, "PASS %s\n", res.Name)
		} else {
			fmt.Fprintf(w, "FAIL %s: %s\n", res.Name, res.Why)
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", rep.Passed, rep.Failed)
}
