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
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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

// all runs the checks in the order they are reported; the later ones use
// the sessions the earlier ones opened.
func (r *runner) all(ctx context.Context) {
	r.checkOpenAPI(ctx)
	r.checkWrongPassword(ctx)
	s1, loggedIn := r.checkLogin(ctx)
	r.checkOwnTasks(ctx, s1, loggedIn)
	r.checkGatewayRefuses(ctx)
	s2, refreshed := r.checkRefresh(ctx, s1, loggedIn)
	r.sessionChecks(ctx, s1, s2, refreshed)
	r.checkLogout(ctx)
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
