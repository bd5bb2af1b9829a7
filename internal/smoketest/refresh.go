package smoketest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// checkRefresh uses the login's refresh token once and returns the new
// tokens.
func (r *runner) checkRefresh(ctx context.Context, s1 session, loggedIn bool) (s2 session, refreshed bool) {
	// refresh: a new access token; the used refresh token is refused afterwards
	refreshed = r.check("refresh", func() error {
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
	return s2, refreshed
}

// checkLogout logs in again, logs out as a browser would, and presents
// that session's refresh token afterwards.
func (r *runner) checkLogout(ctx context.Context) {
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
