package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The demo page's sessions, "sign out everywhere" and change-password
// parts (migration 0007), and two tabs of one browser refreshing at once.
// Each test signs in as a user of its own.

// waitSessions waits until the page lists n sessions.
func (b *browser) waitSessions(n int) {
	b.t.Helper()
	b.waitJS("the session list", fmt.Sprintf(`document.body.dataset.sessions === '%d' && document.querySelectorAll('#sessions li').length === %d`, n, n))
}

// apiStatus is the status of GET /rest/task for an API client's session.
func apiStatus(t *testing.T, c *apiClient) int {
	t.Helper()
	res, _ := c.do("GET", "/rest/task", http.Header{"Accept": {"application/json"}}, "")
	return res.StatusCode
}

// TestTwoTabsRefreshAtOnce: two tabs of one Chromium profile (one cookie
// store) press "Refresh session" at the same moment. Both send the same
// refresh_token cookie; the database holds the user's row lock meanwhile
// so that both are in flight together, then lets them go. Both refreshes
// succeed (the second within REFRESH_TOKEN_REUSE_INTERVAL of the first),
// the session stays, and both tabs keep working.
func TestTwoTabsRefreshAtOnce(t *testing.T) {
	user, pass := theStack.addUser(t, "tabs")
	tab1 := newBrowser(t)
	signIn(t, tab1, user, pass)
	tab2 := tab1.newTab()
	tab2.navigate(theStack.page())
	tab2.waitView("app")
	tab2.waitJS("the task list", `/^Loaded/.test(document.getElementById('status').textContent)`)
	for _, tab := range []*browser{tab1, tab2} {
		tab.waitSessions(1)
		tab.do(clearStatusJS())
	}

	ctx := context.Background()
	db := theStack.db(t)
	lock, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx) //nolint:errcheck
	if _, err := lock.Exec(ctx, "select from auth.user where username = $1 for no key update", user); err != nil {
		t.Fatal(err)
	}
	for _, tab := range []*browser{tab1, tab2} {
		tab.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('refresh-button').click()`))
	}
	waiting := theStack.db(t)
	deadline := time.Now().Add(waitTimeout)
	for {
		var n int
		if err := waiting.QueryRow(ctx, `select count(*) from pg_stat_activity
			where wait_event_type = 'Lock' and query like '%refresh_token%' and datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d refreshes wait for the user's lock after %s, want both tabs' (2)", n, waitTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := lock.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	for i, tab := range []*browser{tab1, tab2} {
		tab.waitJS("the refresh", `document.getElementById('status').textContent === 'Session refreshed'`)
		if kind, text := tab.message(); kind != "" {
			t.Errorf("tab %d after refreshing at the same moment: %s %q", i+1, kind, text)
		}
		if got := eval[string](tab, `document.body.dataset.refreshes`); got != "1" {
			t.Errorf("tab %d: %s successful refreshes, want 1", i+1, got)
		}
	}
	// Both presented the same token: the family got two new tokens.
	var live, sessions int
	if err := waiting.QueryRow(ctx, `select count(*), count(distinct family) from auth.refresh_token
		where username = $1 and used_at is null`, user).Scan(&live, &sessions); err != nil {
		t.Fatal(err)
	}
	if live != 2 || sessions != 1 {
		t.Errorf("%d live refresh tokens in %d sessions; want 2 in 1 (both tabs presented the same cookie)", live, sessions)
	}
	// Both tabs carry on, and the session refreshes again later.
	for _, tab := range []*browser{tab1, tab2} {
		tab.do(clearStatusJS(), chromedpClick("reload-button"))
		tab.waitJS("reloaded tasks", `/^Loaded/.test(document.getElementById('status').textContent)`)
		tab.waitView("app")
	}
	tab1.do(clearStatusJS(), chromedpClick("refresh-button"))
	tab1.waitJS("another refresh", `document.getElementById('status').textContent === 'Session refreshed'`)
	if v := eval[string](tab1, `document.body.dataset.view`); v != "app" {
		t.Errorf("view %q after a later refresh, want app", v)
	}
	tab1.noPageErrors()
	tab2.noPageErrors()
}

// TestSessionsListAndEnd: the page lists the user's sessions, marks this
// browser's, and "End" on another one signs that client out at once.
func TestSessionsListAndEnd(t *testing.T) {
	user, pass := theStack.addUser(t, "sess")
	other := theStack.client(t)
	other.login(user, pass)
	b := newBrowser(t)
	signIn(t, b, user, pass)
	b.waitSessions(2)
	mine := eval[[]string](b, `Array.from(document.querySelectorAll('#sessions li.current')).map(li => li.querySelector('.what').textContent)`)
	if len(mine) != 1 || !strings.Contains(mine[0], "this browser") || !strings.Contains(mine[0], "Chrome") {
		t.Errorf("this browser's session: %q", mine)
	}
	if apiStatus(t, other) != http.StatusOK {
		t.Fatal("the other session does not work to begin with")
	}

	b.do(clearMessageJS(), chromedp.Click(chromedp.CSS(`#sessions li:not(.current) button.end`), chromedp.NodeVisible))
	b.waitJS("the message", `!document.getElementById('message').hidden`)
	if kind, text := b.message(); kind != "info" || !strings.Contains(text, "Session ended") {
		t.Errorf("after ending the other session: %s %q", kind, text)
	}
	b.waitSessions(1)
	if code := apiStatus(t, other); code != http.StatusUnauthorized {
		t.Errorf("the ended session's GET /rest/task: HTTP %d, want 401 at once", code)
	}

	// ending this browser's own session signs it out
	b.do(clearMessageJS(), chromedp.Click(chromedp.CSS(`#sessions li.current button.end`), chromedp.NodeVisible))
	b.waitView("login")
	if kind, text := b.message(); kind != "info" || !strings.Contains(text, "signed out") {
		t.Errorf("after ending this session: %s %q", kind, text)
	}
	if jar := b.cookies(); len(jar) != 0 {
		t.Errorf("cookies left after ending this session: %v", cookieNames(jar))
	}
	b.noPageErrors()
}

// TestSignOutEverywhere: the button ends every session of the user, this
// browser's and the others'.
func TestSignOutEverywhere(t *testing.T) {
	user, pass := theStack.addUser(t, "everywhere")
	other := theStack.client(t)
	other.login(user, pass)
	bystander := theStack.client(t)
	bystander.login(demoUser, demoPass)
	b := newBrowser(t)
	signIn(t, b, user, pass)
	b.waitSessions(2)

	b.do(chromedpClick("signout-all-button"))
	b.waitView("login")
	if kind, text := b.message(); kind != "info" || !strings.Contains(text, "signed out everywhere") {
		t.Errorf("message %s %q", kind, text)
	}
	if code := apiStatus(t, other); code != http.StatusUnauthorized {
		t.Errorf("another session of the user after signing out everywhere: HTTP %d, want 401", code)
	}
	if code := apiStatus(t, bystander); code != http.StatusOK {
		t.Errorf("another user's session: HTTP %d, want 200", code)
	}
	if jar := b.cookies(); len(jar) != 0 {
		t.Errorf("cookies left: %v", cookieNames(jar))
	}
	b.noPageErrors()
}

// TestChangePasswordForm: a wrong current password and a new one against
// the rules get their messages and change nothing; repeated wrong ones are
// throttled like logins; the right one changes the password, ends the
// other sessions and keeps this one.
func TestChangePasswordForm(t *testing.T) {
	user, pass := theStack.addUser(t, "pwchange")
	other := theStack.client(t)
	other.login(user, pass)
	b := newBrowser(t)
	signIn(t, b, user, pass)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// the wrong attempts counted for 127.0.0.1 too; later tests log in from there
		theStack.stackctl(ctx, "--env-file", theStack.envFile, "throttle", "reset", "--addr", "127.0.0.1")
	})

	submit := func(old, new string) (kind, text string) {
		t.Helper()
		b.do(clearMessageJS(),
			chromedp.SetValue(chromedp.ID("old-password"), old),
			chromedp.SetValue(chromedp.ID("new-password"), new),
			chromedp.Click(chromedp.ID("password-button")))
		b.waitJS("the answer", `!document.getElementById('message').hidden`)
		return b.message()
	}
	if kind, text := submit("not my password", "a-brand-new-one"); kind != "error" || text != "The current password is wrong." {
		t.Errorf("wrong current password: %s %q", kind, text)
	}
	if kind, text := submit(pass, "short"); kind != "error" || !strings.Contains(text, "at least 8 characters") {
		t.Errorf("too short: %s %q", kind, text)
	}
	if apiStatus(t, other) != http.StatusOK {
		t.Fatal("a refused change ended the other session")
	}
	for i := 0; i < 10; i++ {
		if _, text := submit("still wrong", "a-brand-new-one"); strings.HasPrefix(text, "Too many attempts. Try again in") {
			break
		} else if text != "The current password is wrong." || i == 9 {
			t.Fatalf("wrong attempt %d: %q, want the throttle within the login limit", i, text)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := theStack.stackctl(ctx, "--env-file", theStack.envFile, "throttle", "reset", "--user", user); err != nil {
		t.Fatalf("throttle reset: %v\n%s", err, out)
	}

	if kind, text := submit(pass, "a-brand-new-one"); kind != "info" || !strings.Contains(text, "Password changed") {
		t.Fatalf("right password: %s %q", kind, text)
	}
	b.waitSessions(1)
	if code := apiStatus(t, other); code != http.StatusUnauthorized {
		t.Errorf("the other session after the change: HTTP %d, want 401", code)
	}
	b.do(clearStatusJS(), chromedpClick("reload-button"))
	b.waitJS("reloaded tasks", `/^Loaded/.test(document.getElementById('status').textContent)`)
	if v := eval[string](b, `document.body.dataset.view`); v != "app" {
		t.Errorf("this browser was signed out by its own password change (view %q)", v)
	}
	fresh := theStack.client(t)
	fresh.login(user, "a-brand-new-one")
	if eval[string](b, `document.getElementById('old-password').value + document.getElementById('new-password').value`) != "" {
		t.Error("the password fields keep the passwords after the change")
	}
	b.noPageErrors()
}
