package browsertest

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
)

// The demo users that `stackctl seed demo` creates.
const (
	demoUser, demoPass   = "demo", "demo"
	otherUser, otherPass = "alice", "alice"
)

func (s *testStack) page() string { return s.URL + "/demo/" }

// signIn opens the shared stack's demo page and signs in through the form.
func signIn(t *testing.T, b *browser, user, pass string) {
	t.Helper()
	signInAt(t, b, theStack.page(), user, pass)
}

func signInAt(t *testing.T, b *browser, page, user, pass string) {
	t.Helper()
	b.navigate(page)
	b.submitLogin(user, pass)
	b.waitView("app")
	b.waitJS("the task list", `document.getElementById('task-count').textContent !== ''`)
	if kind, text := b.message(); kind == "error" {
		t.Fatalf("signed in, but the page shows an error: %s", text)
	}
}

// checkAuthCookies asserts the attributes of both auth cookies in the cookie
// store, as the SQL documents them, and returns them.
func checkAuthCookies(t *testing.T, b *browser) (access, refresh *network.Cookie) {
	t.Helper()
	jar := b.cookies()
	now := float64(time.Now().Unix())
	want := []struct {
		name, path string
		maxAge     int
	}{
		{"access_token", "/", accessTokenTTL},
		{"refresh_token", "/rpc/refresh_token", refreshTokenTTL},
	}
	for _, w := range want {
		c, ok := jar[w.name]
		if !ok {
			t.Fatalf("cookie store has no %s cookie; it has %v", w.name, cookieNames(jar))
		}
		if c.Path != w.path {
			t.Errorf("%s: Path=%q, want %q", w.name, c.Path, w.path)
		}
		if c.Domain != "localhost" {
			t.Errorf("%s: Domain=%q, want host-only localhost", w.name, c.Domain)
		}
		if !c.HTTPOnly {
			t.Errorf("%s: not HttpOnly", w.name)
		}
		if c.SameSite != network.CookieSameSiteLax {
			t.Errorf("%s: SameSite=%q, want Lax", w.name, c.SameSite)
		}
		if c.Secure {
			t.Errorf("%s: Secure although the test stack runs with COOKIE_SECURE=false over http", w.name)
		}
		// Max-Age=N makes a persistent cookie expiring N seconds after it was
		// set: between "now - a little" and "now + N".
		if c.Session {
			t.Errorf("%s: a session cookie, want Max-Age=%d", w.name, w.maxAge)
		} else if left := c.Expires - now; left > float64(w.maxAge)+1 || left < -2 || (w.maxAge > 60 && left < float64(w.maxAge)-120) {
			t.Errorf("%s: expires in %.0f s, want Max-Age=%d", w.name, math.Round(left), w.maxAge)
		}
	}
	return jar["access_token"], jar["refresh_token"]
}

func cookieNames(jar map[string]*network.Cookie) []string {
	var names []string
	for n, c := range jar {
		names = append(names, n+"@"+c.Path)
	}
	slices.Sort(names)
	return names
}
