package smoketest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

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

func (r *runner) refresh(ctx context.Context, tok string) (*resp, error) {
	return r.do(ctx, http.MethodPost, "/rpc/refresh_token",
		map[string]string{"Content-Profile": "auth", "Cookie": "refresh_token=" + tok}, "")
}

func cleared(c *http.Cookie) bool {
	return c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now()))
}
