package smoketest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPrintFormat(t *testing.T) {
	rep := &Report{Results: []Result{{Name: "login", Pass: true}, {Name: "refresh", Why: "status 500, want 204"}}, Passed: 1, Failed: 1}
	var b bytes.Buffer
	Print(&b, rep)
	want := "PASS login\nFAIL refresh: status 500, want 204\n1 passed, 1 failed\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	if rep.OK() {
		t.Error("a report with a failure is OK")
	}
	if (&Report{}).OK() {
		t.Error("a report with no checks is OK")
	}
}

func TestRedactTokens(t *testing.T) {
	tok := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl"
	got := redactTokens(`{"message":"bad token ` + tok + `"}; access_token=` + tok + `; Path=/`)
	if strings.Contains(got, tok) || strings.Count(got, "<token>") != 2 {
		t.Errorf("redactTokens left a token: %s", got)
	}
	if got := bodyHint([]byte(tok)); strings.Contains(got, tok) {
		t.Errorf("bodyHint shows a token: %s", got)
	}
}

func TestAlgNoneTokenShape(t *testing.T) {
	r := &runner{o: Options{Role: "basic_subscriber"}, user: "u1"}
	tok, err := r.algNone()
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || parts[2] != "" {
		t.Fatalf("alg none token %q: want header.payload. with an empty signature", tok)
	}
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var hdr map[string]string
	if err := json.Unmarshal(h, &hdr); err != nil || hdr["alg"] != "none" {
		t.Errorf("header %s", h)
	}
	p, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(p, &claims); err != nil || claims["sub"] != "u1" || claims["role"] != "basic_subscriber" {
		t.Errorf("claims %s", p)
	}
}

func TestExpiredNeedsTheSecret(t *testing.T) {
	r := &runner{o: Options{Role: "basic_subscriber"}, user: "u1"}
	if _, err := r.expired(); err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
		t.Errorf("expired() without a key: %v", err)
	}
	r.key = []byte("0123456789abcdef0123456789abcdef")
	tok, err := r.expired()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	var claims struct{ Exp int64 }
	if err := json.Unmarshal(p, &claims); err != nil || claims.Exp > time.Now().Add(-31*time.Second).Unix() {
		t.Errorf("expired token exp %d is within PostgREST's 30 s leeway", claims.Exp)
	}
}

func TestCleared(t *testing.T) {
	for _, tc := range []struct {
		c    http.Cookie
		want bool
	}{
		{http.Cookie{Name: "a", MaxAge: -1}, true}, // Max-Age=0 parses as -1
		{http.Cookie{Name: "a", Expires: time.Unix(0, 0)}, true},
		{http.Cookie{Name: "a", MaxAge: 3600}, false},
		{http.Cookie{Name: "a"}, false},
	} {
		if got := cleared(&tc.c); got != tc.want {
			t.Errorf("cleared(%+v) = %v", tc.c, got)
		}
	}
}
