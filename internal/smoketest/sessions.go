package smoketest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// sessionChecks run after a refresh: the session endpoints through the
// gateway, and what presenting the spent refresh token (s1) again does.
// Within REFRESH_TOKEN_REUSE_INTERVAL it is accepted on purpose (two tabs
// refreshing at once, migration 0007); after it, the session ends and the
// API refuses its access token at once. With a database connection the
// run makes the token's use look a day old instead of waiting.
func (r *runner) sessionChecks(ctx context.Context, s1, s2 session, refreshed bool) {
	r.check("sessions listed", func() error {
		if !refreshed {
			return errors.New("no refresh")
		}
		p, err := r.do(ctx, http.MethodGet, "/rpc/sessions",
			map[string]string{"Accept-Profile": "auth", "Cookie": "access_token=" + s2.access}, "")
		if err != nil {
			return err
		}
		if err := p.want(200); err != nil {
			return err
		}
		var rows []struct {
			ID      string `json:"id"`
			Current bool   `json:"current"`
		}
		if err := json.Unmarshal(p.body, &rows); err != nil {
			return fmt.Errorf("GET /rpc/sessions is not a JSON list: %v", err)
		}
		for _, row := range rows {
			if row.Current && row.ID != "" {
				return nil
			}
		}
		return fmt.Errorf("GET /rpc/sessions lists %d sessions, none marked current", len(rows))
	})

	if r.db == nil {
		r.note("no database URL: the spent refresh token is not checked after REFRESH_TOKEN_REUSE_INTERVAL (within it, presenting it again is accepted on purpose)")
		return
	}
	spent := r.check("spent refresh token refused after the reuse interval", func() error {
		if !refreshed {
			return errors.New("no refresh")
		}
		tag, err := r.db.Exec(ctx, `update auth.refresh_token set used_at = used_at - interval '1 day'
			where token = encode(public.digest($1, 'sha256'), 'hex') and used_at is not null`, s1.refresh)
		if err != nil {
			return fmt.Errorf("age the spent token: %v", err)
		}
		if tag.RowsAffected() != 1 {
			return errors.New("the spent refresh token is not in auth.refresh_token as used")
		}
		p, err := r.refresh(ctx, s1.refresh)
		if err != nil {
			return err
		}
		if p.status != 401 {
			return fmt.Errorf("reusing the spent refresh token a day later answered %d, want 401", p.status)
		}
		return nil
	})
	r.check("ended session's access token refused at once", func() error {
		if !spent {
			return errors.New("the session did not end")
		}
		p, err := r.do(ctx, http.MethodGet, "/rest/task", map[string]string{"Cookie": "access_token=" + s2.access}, "")
		if err != nil {
			return err
		}
		switch {
		case p.status == 200:
			return errors.New("the API still accepts the ended session's access token: set PGRST_DB_PRE_REQUEST=auth.check_session for the API")
		case p.status != 401 || len(p.body) == 0:
			return fmt.Errorf("status %d%s, want the API's 401 (the token itself is valid for Caddy until it expires)", p.status, bodyHint(p.body))
		}
		return nil
	})
}
