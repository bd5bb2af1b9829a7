package browsertest

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestLoginShowsOwnTasksInHttpOnlyCookies signs in through the form: the page
// lists exactly the user's own tasks, JavaScript can't see either token, and
// the cookie store holds both with the documented attributes. It also saves
// the screenshot used in the README.
func TestLoginShowsOwnTasksInHttpOnlyCookies(t *testing.T) {
	b := newBrowser(t)
	signIn(t, b, demoUser, demoPass)
	checkAuthCookies(t, b)
	if dc := eval[string](b, `document.cookie`); strings.Contains(dc, "access_token") || strings.Contains(dc, "refresh_token") {
		t.Errorf("document.cookie exposes a token to JavaScript: %q", dc)
	}

	api := theStack.client(t)
	api.login(demoUser, demoPass)
	own := titles(api.tasks())
	other := theStack.client(t)
	other.login(otherUser, otherPass)
	others := titles(other.tasks())
	if len(own) == 0 || len(others) == 0 {
		t.Fatalf("the seed should give both %s and %s tasks; got %d and %d", demoUser, otherUser, len(own), len(others))
	}

	shown := b.taskTitles()
	slices.Sort(shown)
	slices.Sort(own)
	if !slices.Equal(shown, own) {
		t.Errorf("page shows %q, want %s's tasks %q", shown, demoUser, own)
	}
	for _, o := range others {
		if slices.Contains(shown, o) && !slices.Contains(own, o) {
			t.Errorf("page shows %s's task %q", otherUser, o)
		}
	}
	if who := eval[string](b, `document.getElementById('whoami').textContent`); who != demoUser {
		t.Errorf("signed in as %q, want %q", who, demoUser)
	}

	b.noPageErrors()

	saveScreenshot(t, b)
}

// TestDefaultCookieSettingsOnLocalhost starts a second stack with the cookie
// and token defaults a fresh `stackctl up` has (nothing set: Secure cookies,
// SameSite=Lax, one-hour access token) and signs in over plain http at
// http://localhost and at http://127.0.0.1. Chromium counts both loopback
// hosts as secure contexts, keeps the Secure cookies and sends them back, so
// the demo page works with the defaults on the machine that runs the stack.
// Under any other plain-http host name it drops them, and the page explains.
func TestDefaultCookieSettingsOnLocalhost(t *testing.T) {
	s, err := startStack(stackctlBin, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)

	for _, host := range []string{"localhost", "127.0.0.1"} {
		t.Run(host, func(t *testing.T) {
			b := newBrowser(t)
			signInAt(t, b, fmt.Sprintf("http://%s:%d/demo/", host, s.Port), demoUser, demoPass)
			if n := len(b.taskTitles()); n == 0 {
				t.Error("no tasks shown")
			}
			jar := b.cookies()
			now := float64(time.Now().Unix())
			for name, maxAge := range map[string]float64{"access_token": 3600, "refresh_token": 30 * 24 * 3600} {
				c, ok := jar[name]
				if !ok {
					t.Errorf("no %s cookie; store has %v", name, cookieNames(jar))
					continue
				}
				if !c.Secure || !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Domain != host {
					t.Errorf("%s: Secure=%v HttpOnly=%v SameSite=%q Domain=%q, want Secure, HttpOnly, Lax, %s", name, c.Secure, c.HTTPOnly, c.SameSite, c.Domain, host)
				}
				if left := c.Expires - now; left > maxAge+1 || left < maxAge-120 {
					t.Errorf("%s: expires in %.0f s, want the default Max-Age=%.0f", name, left, maxAge)
				}
			}
			b.noPageErrors()
		})
	}

	// The same defaults on a plain-http site that is not a loopback name
	// (app.test, resolved to 127.0.0.1 inside Chromium only): the browser
	// drops the Secure cookies, and the page says so instead of pretending
	// the session expired.
	t.Run("plain-http host", func(t *testing.T) {
		b := newBrowser(t, "--host-resolver-rules=MAP app.test 127.0.0.1")
		b.navigate(fmt.Sprintf("http://app.test:%d/demo/", s.Port))
		b.submitLogin(demoUser, demoPass)
		b.waitJS("an error message", `!document.getElementById('message').hidden`)
		if kind, text := b.message(); kind != "error" || !strings.Contains(text, "did not keep the session cookies") {
			t.Errorf("message %s %q, want the cookies-refused error", kind, text)
		}
		if v := eval[string](b, `document.body.dataset.view`); v != "login" {
			t.Errorf("view %q, want login", v)
		}
		if jar := b.cookies(); len(jar) != 0 {
			t.Errorf("cookie store holds %v; Secure cookies from a plain-http site should be dropped", cookieNames(jar))
		}
	})
}

// TestExpiredAccessTokenRefreshesTransparently waits until the browser drops
// the access_token cookie (its Max-Age is JWT_EXP seconds), reloads the
// tasks, and checks that the page called /rpc/refresh_token once and kept
// working, with a new access token and a rotated refresh token, and that the
// old refresh token is refused afterwards.
func TestExpiredAccessTokenRefreshesTransparently(t *testing.T) {
	b := newBrowser(t)
	signIn(t, b, demoUser, demoPass)
	access1, refresh1 := checkAuthCookies(t, b)
	before := b.taskTitles()
	if got := eval[string](b, `document.body.dataset.refreshes`); got != "0" {
		t.Fatalf("refreshes before expiry = %s, want 0", got)
	}

	b.waitCookieGone("access_token", accessTokenTTL*time.Second+10*time.Second)
	if _, ok := b.cookies()["refresh_token"]; !ok {
		t.Fatal("the refresh_token cookie went away with the access token")
	}

	b.do(clearStatusJS(), chromedpClick("reload-button"))
	b.waitJS("one transparent refresh", `document.body.dataset.refreshes === '1' && /^Loaded/.test(document.getElementById('status').textContent)`)
	b.waitView("app")
	if kind, text := b.message(); kind != "" {
		t.Errorf("page shows a %s message after the refresh: %q", kind, text)
	}
	if after := b.taskTitles(); !slices.Equal(after, before) {
		t.Errorf("tasks after refresh %q, before %q", after, before)
	}
	access2, refresh2 := checkAuthCookies(t, b)
	if access2.Value == access1.Value {
		t.Error("access token unchanged after the refresh")
	}
	if refresh2.Value == refresh1.Value {
		t.Error("refresh token not rotated: same value after /rpc/refresh_token")
	}
	b.noPageErrors()

	// Two API calls hit the expired session at once: the page shares one
	// refresh between them (refresh tokens are single-use, and presenting a
	// rotated one again would revoke the whole login), so both succeed and
	// the session survives.
	b.waitCookieGone("access_token", accessTokenTTL*time.Second+10*time.Second)
	b.do(clearStatusJS(), chromedp.Evaluate[chromedp.Void](`document.getElementById('reload-button').click(); document.getElementById('reload-button').click()`))
	b.waitJS("both reloads", `/^Loaded/.test(document.getElementById('status').textContent)`)
	b.waitView("app")
	if kind, text := b.message(); kind != "" {
		t.Errorf("two concurrent calls on an expired session: %s %q", kind, text)
	}
	_, refresh3 := checkAuthCookies(t, b)
	if refresh3.Value == refresh2.Value {
		t.Error("refresh token not rotated by the second refresh")
	}
	// A used refresh token presented again after REFRESH_TOKEN_REUSE_INTERVAL
	// (aged here instead of waited for) ends the session.
	theStack.ageSpent(t, refresh2.Value)
	if code := theStack.refreshWith(t, refresh2.Value); code != http.StatusUnauthorized {
		t.Errorf("used refresh token: HTTP %d, want 401", code)
	}
	b.noPageErrors()

	// The first refresh token is single-use too.
	if code := theStack.refreshWith(t, refresh1.Value); code != http.StatusUnauthorized {
		t.Errorf("old refresh token: HTTP %d, want 401", code)
	}
}

// TestRefreshButtonRotatesTokens: the "Refresh session" button sets a fresh
// access-token cookie and a rotated refresh token and reloads the list.
func TestRefreshButtonRotatesTokens(t *testing.T) {
	b := newBrowser(t)
	signIn(t, b, demoUser, demoPass)
	_, refresh1 := checkAuthCookies(t, b)
	b.do(clearStatusJS(), chromedpClick("refresh-button"))
	b.waitJS("the refresh", `document.body.dataset.refreshes === '1' && document.getElementById('status').textContent === 'Session refreshed'`)
	// (The new access token can equal the old one: within the same second
	// the claims, exp included, are the same. The new cookie is checked.)
	_, refresh2 := checkAuthCookies(t, b)
	if refresh2.Value == refresh1.Value {
		t.Error("the refresh button did not rotate the refresh token")
	}
	if kind, text := b.message(); kind != "" {
		t.Errorf("message after refresh: %s %q", kind, text)
	}
	b.noPageErrors()
}

// TestReopenedPageResumesSession: a page opened later (new tab, browser
// restarted: no page state, access cookie gone, refresh cookie still there)
// resumes the session with one refresh instead of asking to sign in.
func TestReopenedPageResumesSession(t *testing.T) {
	b := newBrowser(t)
	signIn(t, b, demoUser, demoPass)
	want := b.taskTitles()
	b.do(chromedp.Evaluate[chromedp.Void](`sessionStorage.clear()`), chromedp.Navigate("about:blank"))
	b.waitCookieGone("access_token", accessTokenTTL*time.Second+10*time.Second)

	b.navigate(theStack.page())
	b.waitView("app")
	b.waitJS("the task list", `/^Loaded/.test(document.getElementById('status').textContent)`)
	if got := b.taskTitles(); !slices.Equal(got, want) {
		t.Errorf("resumed page shows %q, want %q", got, want)
	}
	if got := eval[string](b, `document.body.dataset.refreshes`); got != "1" {
		t.Errorf("refreshes = %s, want 1", got)
	}
	if who := eval[string](b, `document.getElementById('whoami').textContent`); who != demoUser {
		t.Errorf("resumed as %q, want %q (from the rows' owner)", who, demoUser)
	}
	if kind, text := b.message(); kind != "" {
		t.Errorf("resumed page shows %s %q", kind, text)
	}
	b.noPageErrors()
}

// TestSessionExpiredReturnsToLogin: with both cookies gone (the refresh
// cookie expired too), an API call's 401 leads to one failed refresh and the
// login form with a "session expired" message.
func TestSessionExpiredReturnsToLogin(t *testing.T) {
	b := newBrowser(t)
	signIn(t, b, demoUser, demoPass)
	b.clearCookies()
	b.do(chromedpClick("reload-button"))
	b.waitView("login")
	kind, text := b.message()
	if kind != "error" || !strings.Contains(text, "session has expired") {
		t.Errorf("message = %s %q, want the session-expired error", kind, text)
	}
	if n := len(b.taskTitles()); n != 0 {
		t.Errorf("%d tasks still on screen after the session expired", n)
	}
	b.noPageErrors()
}

// TestOfflineIsNotSessionExpiry: when the server can't be reached the page
// says so and keeps the session, also when it is the refresh call that fails;
// once the network is back it carries on.
func TestOfflineIsNotSessionExpiry(t *testing.T) {
	b := newBrowser(t)
	signIn(t, b, demoUser, demoPass)
	before := b.taskTitles()

	expectNetworkError := func(when string) {
		t.Helper()
		b.do(clearMessageJS(), chromedpClick("reload-button"))
		b.waitJS("an error message", `!document.getElementById('message').hidden`)
		if kind, text := b.message(); kind != "error" || !strings.HasPrefix(text, "Cannot reach the server") {
			t.Errorf("%s: message %s %q, want the network error", when, kind, text)
		}
		if v := eval[string](b, `document.body.dataset.view`); v != "app" {
			t.Errorf("%s: view %q, want app (a network error is not a sign-out)", when, v)
		}
	}
	expectWorking := func(when string) {
		t.Helper()
		b.do(clearStatusJS(), chromedpClick("reload-button"))
		b.waitJS("reloaded tasks", `/^Loaded/.test(document.getElementById('status').textContent)`)
		if kind, text := b.message(); kind != "" {
			t.Errorf("%s: message %s %q", when, kind, text)
		}
		if after := b.taskTitles(); !slices.Equal(after, before) {
			t.Errorf("%s: tasks %q, want %q", when, after, before)
		}
	}

	b.blockStack("/*")
	expectNetworkError("whole stack unreachable")
	b.blockStack("")
	expectWorking("back online")

	// The access token expires; the API answers 401 but the refresh call
	// can't get through.
	b.waitCookieGone("access_token", accessTokenTTL*time.Second+10*time.Second)
	b.blockStack("/rpc/refresh_token")
	expectNetworkError("refresh unreachable")
	if _, ok := b.cookies()["refresh_token"]; !ok {
		t.Fatal("the failed refresh cost the refresh token")
	}
	b.blockStack("")
	expectWorking("refresh reachable again")
	if got := eval[string](b, `document.body.dataset.refreshes`); got != "1" {
		t.Errorf("refreshes = %s, want 1", got)
	}
}

// TestLogoutClearsBothCookies: after the logout button the cookie store holds
// neither cookie (the guide's logout used Path=/ for both and so never
// cleared the /rpc/refresh_token one), a refresh attempt from the page
// fails, and the refresh token is dead on the server too.
func TestLogoutClearsBothCookies(t *testing.T) {
	b := newBrowser(t)
	signIn(t, b, demoUser, demoPass)
	_, refresh := checkAuthCookies(t, b)

	b.do(chromedpClick("logout-button"))
	b.waitView("login")
	if kind, text := b.message(); kind != "info" || !strings.Contains(text, "signed out") {
		t.Errorf("message after logout = %s %q", kind, text)
	}
	jar := b.cookies()
	for _, name := range []string{"access_token", "refresh_token"} {
		if c, ok := jar[name]; ok {
			t.Errorf("after logout the cookie store still holds %s (path %s)", name, c.Path)
		}
	}

	status := eval[int](b, `fetch('/rpc/refresh_token', {method: 'POST', credentials: 'same-origin', headers: {'Content-Profile': 'auth'}}).then(r => r.status)`)
	if status != http.StatusUnauthorized {
		t.Errorf("refresh from the page after logout: HTTP %d, want 401", status)
	}
	if code := theStack.refreshWith(t, refresh.Value); code != http.StatusUnauthorized {
		t.Errorf("the pre-logout refresh token still works on the server: HTTP %d, want 401", code)
	}

	// A reload shows the login form, with no message: nobody is signed in.
	b.navigate(theStack.page())
	b.waitView("login")
	if kind, text := b.message(); kind != "" {
		t.Errorf("fresh page after logout shows %s %q", kind, text)
	}
}

// TestTaskTitleHTMLIsText: a task whose title is HTML is shown as text.
func TestTaskTitleHTMLIsText(t *testing.T) {
	const evil = `<img src=x onerror="window.__xss=1"><b id="xss-bold">bold</b><script>window.__xss=2</script>`
	api := theStack.client(t)
	api.login(demoUser, demoPass)
	api.addTask(evil)

	b := newBrowser(t)
	signIn(t, b, demoUser, demoPass)
	if !slices.Contains(b.taskTitles(), evil) {
		t.Fatalf("the page does not show the title as text; titles: %q", b.taskTitles())
	}
	if n := eval[int](b, `document.querySelectorAll('#tasks img, #tasks b, #tasks script, #xss-bold').length`); n != 0 {
		t.Errorf("the title became %d element(s) in the page", n)
	}
	if v := eval[bool](b, `window.__xss !== undefined`); v {
		t.Error("the title's script ran")
	}
	b.noPageErrors()
}

// TestCrossSiteRequestsCarryNoCookies: while the user is signed in at
// http://localhost:<port>, a page on another site (http://127.0.0.1:<other>)
// sends a fetch and auto-submits a form POST to the stack. Chromium sends no
// cookie with them (SameSite=Lax), the gateway refuses them, and nothing
// changes: no task is created and the session's refresh token still works.
// A control page on the same site (localhost, another port) shows that the
// same requests do carry the cookies there, so the check can fail.
func TestCrossSiteRequestsCarryNoCookies(t *testing.T) {
	b := newBrowser(t)
	signIn(t, b, demoUser, demoPass)
	api := theStack.client(t)
	api.login(demoUser, demoPass)
	before := titles(api.tasks())
	// A fresh access cookie (it lives only JWT_EXP seconds), so that the
	// browser holds both cookies when the attack runs.
	b.do(clearStatusJS(), chromedpClick("refresh-button"))
	b.waitJS("the refresh", `document.getElementById('status').textContent === 'Session refreshed'`)
	_, refresh := checkAuthCookies(t, b)

	reqs := b.logRequests()
	sent := sendCrossSite(t, b, reqs)
	checkCrossSiteCookies(t, sent)
	checkNothingChanged(t, b, api, before, refresh)
	checkSameSiteControl(t, b, reqs)
}

var retryRE = regexp.MustCompile(`Too many login attempts\. Try again in (\d+) (second|seconds|minutes)\.`)

// TestLoginErrors throttles a user of its own, so that the order of the
// tests does not matter.
//
// A wrong password shows its message; repeating it until
// the SQL throttle answers 429 shows "too many attempts" with the
// Retry-After wait, and then even the right password is refused.
func TestLoginErrors(t *testing.T) {
	user, pass := theStack.addUser(t, "throttled")
	b := newBrowser(t)
	b.navigate(theStack.page())
	b.waitView("login")

	b.submitLogin(user, "wrong password")
	b.waitJS("an error message", `!document.getElementById('message').hidden`)
	if kind, text := b.message(); kind != "error" || text != "Wrong username or password." {
		t.Fatalf("wrong password: message %s %q", kind, text)
	}

	var last string
	for i := 0; i < 30; i++ {
		b.do(clearMessageJS())
		b.submitLogin(user, fmt.Sprintf("wrong password %d", i))
		b.waitJS("an error message", `!document.getElementById('message').hidden`)
		_, last = b.message()
		if strings.HasPrefix(last, "Too many") {
			break
		}
		if last != "Wrong username or password." {
			t.Fatalf("attempt %d: unexpected message %q", i, last)
		}
	}
	m := retryRE.FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("never throttled; last message %q", last)
	}
	if atoi(m[1]) <= 0 {
		t.Errorf("Retry-After shown as %s %s", m[1], m[2])
	}

	b.do(clearMessageJS())
	b.submitLogin(user, pass)
	b.waitJS("an error message", `!document.getElementById('message').hidden`)
	if _, text := b.message(); !strings.HasPrefix(text, "Too many login attempts") {
		t.Errorf("right password while throttled: %q, want the throttle message", text)
	}
	if v := eval[string](b, `document.body.dataset.view`); v != "login" {
		t.Errorf("view %q while throttled", v)
	}
	b.noPageErrors()
}
