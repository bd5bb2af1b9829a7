package smoketest

// The checks of what the gateway and the API let through: the public root,
// the user's own rows with a cookie, and 401 from Caddy without a valid
// token (with the tokens those checks forge).

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// checkOpenAPI: the API root is reachable without a cookie.
func (r *runner) checkOpenAPI(ctx context.Context) {
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
}

// checkOwnTasks: with the login's cookie, the user sees their own tasks only.
func (r *runner) checkOwnTasks(ctx context.Context, s1 session, loggedIn bool) {
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
}

// checkGatewayRefuses: Caddy answers 401 to a request without a cookie or
// with a forged, expired or alg none token.
func (r *runner) checkGatewayRefuses(ctx context.Context) {
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
