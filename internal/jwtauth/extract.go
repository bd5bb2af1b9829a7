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
	out = append(out, getTokensFromQuery(r, ja.FromQuery)...)
	out = append(out, getTokensFromHeader(r, ja.FromHeader)...)
	out = append(out, getTokensFromCookies(r, ja.FromCookies)...)
	return append(out, getTokensFromHeader(r, []string{"Authorization"})...)
}

// getTokensFromQuery returns the non-empty values of the named query
// parameters (the first value of each), in the order of names.
func getTokensFromQuery(r *http.Request, names []string) []string {
	out := []string{}
	if len(names) == 0 {
		return out
	}
	q := r.URL.Query()
	for _, name := range names {
		if v := q.Get(name); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// getTokensFromHeader returns the non-empty values of the named headers
// (the first value of each), in the order of names.
func getTokensFromHeader(r *http.Request, names []string) []string {
	out := []string{}
	for _, name := range names {
		if v := r.Header.Get(name); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// getTokensFromCookies returns the non-empty values of the named cookies
// (for each name, the first cookie with exactly that name).
func getTokensFromCookies(r *http.Request, names []string) []string {
	out := []string{}
	for _, name := range names {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			out = append(out, c.Value)
		}
	}
	return out
}

// normToken cuts a leading "bearer " (seven characters, any case) and
// trims surrounding whitespace.
func normToken(s string) string {
	const prefix = "bearer "
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		s = s[len(prefix):]
	}
	return strings.TrimSpace(s)
}

// desensitizedTokenString shortens a token for logs: up to six bytes are
// kept whole, longer ones keep the first and last len/3 bytes (at most 16)
// around "…".
func desensitizedTokenString(s string) string {
	if len(s) <= 6 {
		return s
	}
	n := min(len(s)/3, 16)
	return s[:n] + "…" + s[len(s)-n:]
}
