package stack

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxConsoleURI bounds the URI shown for one request in the terminal.
const maxConsoleURI = 200

// healthPaths are the probes (Caddy's /healthz, the engine's /ready and
// /live) that the terminal stream leaves out: a supervisor or a load
// balancer would otherwise fill it.
var healthPaths = map[string]bool{"/healthz": true, "/ready": true, "/live": true}

// caddyAccess is the part of a Caddy access-log entry the terminal shows
// (the JSON layout of Caddy v2's http.log.access logger: request.method,
// request.uri, status, duration in seconds).
type caddyAccess struct {
	Logger  string `json:"logger"`
	Request struct {
		Method string `json:"method"`
		URI    string `json:"uri"`
	} `json:"request"`
	Status   int             `json:"status"`
	Duration json.RawMessage `json:"duration"`
}

// consoleLine shortens a Caddy access-log line to "401 GET /rest/task
// 0.4ms"; keep is false for a health probe. Any other line is returned as
// it is. Lines are at most maxLine bytes (LineWriter), so decoding is bounded.
func consoleLine(l string) (out string, keep bool) {
	if !strings.HasPrefix(l, "{") || !strings.Contains(l, `"http.log.access`) {
		return l, true
	}
	var a caddyAccess
	if err := json.Unmarshal([]byte(l), &a); err != nil || !strings.HasPrefix(a.Logger, "http.log.access") || a.Request.Method == "" {
		return l, true
	}
	path, _, _ := strings.Cut(a.Request.URI, "?")
	if healthPaths[path] {
		return "", false
	}
	return fmt.Sprintf("%d %s %s %s", a.Status, printable(a.Request.Method, 16),
		printable(a.Request.URI, maxConsoleURI), duration(a.Duration)), true
}

// duration renders Caddy's duration: seconds as a number by default, or
// a string with another duration_format.
func duration(raw json.RawMessage) string {
	var s float64
	if err := json.Unmarshal(raw, &s); err == nil {
		if s < 1 {
			return fmt.Sprintf("%.1fms", s*1000)
		}
		return fmt.Sprintf("%.2fs", s)
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return printable(str, 32)
	}
	return "-"
}

// printable cuts s to max bytes (on a rune boundary, marked "…") and
// replaces control characters, so a request cannot forge terminal lines.
func printable(s string, max int) string {
	cut := false
	if len(s) > max {
		s, cut = s[:max], true
		// drop a rune cut in two (at most 3 bytes of it)
		for i := 0; i < 3 && len(s) > 0; i++ {
			if r, n := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || n != 1 {
				break
			}
			s = s[:len(s)-1]
		}
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if cut {
		s += "…"
	}
	return s
}
