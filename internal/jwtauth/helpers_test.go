package jwtauth_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authstack/authstack/internal/caddyrun"
	"github.com/authstack/authstack/internal/pgserver"
)

// secretB64 is the JWT secret as the stack stores it (base64 of 32 bytes);
// secret is what the module (and PostgreSQL) MAC with: the decoded bytes.
var (
	secret    = []byte("0123456789abcdef0123456789ABCDEF")
	secretB64 = base64.StdEncoding.EncodeToString(secret)
)

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// macToken builds a compact JWS by hand, the way auth.sign_raw does in SQL:
// base64url (unpadded) header and payload, HMAC over "h.p" with key.
func macToken(alg string, key []byte, header map[string]any, claims any) string {
	if header == nil {
		header = map[string]any{"alg": alg, "typ": "JWT"}
	}
	signing := b64url(mustJSON(header)) + "." + b64url(mustJSON(claims))
	var h func() hash.Hash
	switch alg {
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		h = sha256.New
	}
	m := hmac.New(h, key)
	m.Write([]byte(signing))
	return signing + "." + b64url(m.Sum(nil))
}

// sqlToken mints a token exactly as auth.generate_access_token does:
// HS256 over the decoded secret, claims role, username, sub (string) and
// an integer exp.
func sqlToken(user string, ttl time.Duration) string {
	return macToken("HS256", secret, nil, map[string]any{
		"role": "basic_subscriber", "username": user, "sub": user,
		"exp": time.Now().Add(ttl).Unix(),
	})
}

func freePort(t testing.TB) int {
	t.Helper()
	p, err := pgserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// site is a running Caddy config on 127.0.0.1.
type site struct {
	base    string
	logFile string
}

// startSite loads a Caddyfile whose site block is http://127.0.0.1:<port>
// with body inside, into real Caddy. Logs go to a JSON file.
func startSite(t testing.TB, body string) *site {
	t.Helper()
	port := freePort(t)
	logFile := filepath.Join(t.TempDir(), "caddy.log")
	cf := fmt.Sprintf(`{
	admin off
	persist_config off
	log {
		output file %s
		format json
		level DEBUG
	}
}

http://127.0.0.1:%d {
%s
}
`, logFile, port, body)
	cfg, _, err := caddyrun.AdaptBytes([]byte(cf), filepath.Join(t.TempDir(), "Caddyfile"))
	if err != nil {
		t.Fatalf("adapt: %v\n%s", err, cf)
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Cleanup(func() { _ = caddy.Stop() })
	s := &site{base: fmt.Sprintf("http://127.0.0.1:%d", port), logFile: logFile}
	waitUp(t, s.base)
	return s
}

func waitUp(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("caddy did not listen on %s: %v", base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// loadErr adapts and loads a Caddyfile that is expected to fail, returning
// the adapt or load error.
func loadErr(t *testing.T, body string) error {
	t.Helper()
	cf := fmt.Sprintf("{\n\tadmin off\n\tpersist_config off\n}\nhttp://127.0.0.1:%d {\n%s\n}\n", freePort(t), body)
	cfg, _, err := caddyrun.AdaptBytes([]byte(cf), filepath.Join(t.TempDir(), "Caddyfile"))
	if err != nil {
		return err
	}
	err = caddy.Load(cfg, true)
	if err == nil {
		_ = caddy.Stop()
	}
	return err
}

type req struct {
	path    string
	cookies []string // raw "name=value" pairs, in order
	headers map[string]string
}

type resp struct {
	status int
	body   string
	header http.Header
}

var client = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (s *site) do(t testing.TB, r req) resp {
	t.Helper()
	path := r.path
	if path == "" {
		path = "/"
	}
	hr, err := http.NewRequest(http.MethodGet, s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.cookies) > 0 {
		hr.Header.Set("Cookie", strings.Join(r.cookies, "; "))
	}
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	res, err := client.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, body: string(b), header: res.Header}
}

func (s *site) logs(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(s.logFile)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func itoa(n int) string { return fmt.Sprint(n) }
