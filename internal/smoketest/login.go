package smoketest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// tokens of one login.
type session struct{ access, refresh string }

// checkWrongPassword: a wrong password is a 401 with no cookie (see
// throttle.go for the attempt it leaves in the login throttle).
func (r *runner) checkWrongPassword(ctx context.Context) {
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
}

// checkLogin logs in and checks the cookies and the access token's claims.
func (r *runner) checkLogin(ctx context.Context) (s1 session, loggedIn bool) {
	loggedIn = r.check("login", func() error {
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
	return s1, loggedIn
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
