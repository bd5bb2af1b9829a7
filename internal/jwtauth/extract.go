package jwtauth

import (
	"net/http"
	"strings"
)

// candidates collects the raw token strings of a request in caddy-jwt's
// order: query parameters, then headers, then cookies, then — always, even
// when not configured — the Authorization header. Empty values are skipped.
func (ja *JWTAuth) candidates(r *http.Request) []string {
	var out []string
	if len(ja.FromQuery) > 0 {
		q := r.URL.Query()
		for _, name := range ja.FromQuery {
			if v := q.Get(name); v != "" {
				out = append(out, v)
			}
		}
	}
	for _, name := range ja.FromHeader {
		if v := r.Header.Get(name); v != "" {
			out = append(out, v)
		}
	}
	for _, name := range ja.FromCookies {
		// r.Cookie returns the first cookie with exactly this name.
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			out = append(out, c.Value)
		}
	}
	if v := r.Header.Get("Authorization"); v != "" {
		out = append(out, v)
	}
	return out
}

// normalizeToken cuts a leading "bearer " (seven characters, any case) and
// trims surrounding whitespace.
func normalizeToken(s string) string {
	const prefix = "bearer "
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		s = s[len(prefix):]
	}
	return strings.TrimSpace(s)
}

// maskToken shortens a token for logs: up to six bytes are kept whole,
// longer ones keep the first and last len/3 bytes (at most 16) around "…".
func maskToken(s string) string {
	if len(s) <= 6 {
		return s
	}
	n := min(len(s)/3, 16)
	return s[:n] + "…" + s[len(s)-n:]
}
