package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
)

// The steps of TestCrossSiteRequestsCarryNoCookies (in flows_test.go) and
// the pages it serves.

// sendCrossSite serves the attacker's page on 127.0.0.1, opens it and
// returns the requests it sent to the stack. The server stays up until the
// test ends.
func sendCrossSite(t *testing.T, b *browser, reqs *requestLog) []loggedRequest {
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, csrfPage(theStack.URL))
	}))
	t.Cleanup(attacker.Close)
	if !strings.HasPrefix(attacker.URL, "http://127.0.0.1:") {
		t.Fatalf("attacker server at %s, want 127.0.0.1", attacker.URL)
	}

	// The attack: its page posts with fetch, then submits the form, which
	// navigates the tab to the stack's /rest/task.
	b.navigate(attacker.URL + "/evil")
	// Wait until the two fetches and the form POST have gone out (the form's
	// navigation ends on Chromium's error page for the 401, so watch the
	// DevTools network events rather than the page).
	var sent []loggedRequest
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(100 * time.Millisecond) {
		sent = reqs.matching(theStack.URL)
		n := 0
		for _, r := range sent {
			if r.HaveExtra && r.Method == "POST" {
				n++
			}
		}
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the attack page sent %d requests to the stack, want 3: %+v", n, sent)
		}
	}
	return sent
}

// checkCrossSiteCookies: no cross-site request carried a cookie, Chromium
// blocked both auth cookies for SameSite, and every attack reached the stack.
func checkCrossSiteCookies(t *testing.T, sent []loggedRequest) {
	byURL := map[string]int{}
	considered := map[string]bool{} // cookies Chromium had and weighed for some request
	for _, r := range sent {
		if !r.HaveExtra {
			continue
		}
		byURL[r.Method+" "+strings.TrimPrefix(r.URL, theStack.URL)]++
		for _, ac := range r.Cookies {
			if ac.Cookie != nil {
				considered[ac.Cookie.Name] = true
			}
		}
		var blocked []string
		for _, ac := range r.Cookies {
			if ac.Cookie != nil {
				blocked = append(blocked, fmt.Sprintf("%s%v", ac.Cookie.Name, ac.BlockedReasons))
			}
		}
		t.Logf("cross-site %s %s: Cookie header sent: %v; cookies considered: %v", r.Method, r.URL, r.Headers["cookie"] != "", blocked)
		if c, ok := r.Headers["cookie"]; ok {
			t.Errorf("cross-site %s %s carried a Cookie header (%d bytes)", r.Method, r.URL, len(c))
		}
		for _, ac := range r.Cookies {
			if ac.Cookie == nil || (ac.Cookie.Name != "access_token" && ac.Cookie.Name != "refresh_token") {
				continue
			}
			if len(ac.BlockedReasons) == 0 {
				t.Errorf("cross-site %s %s: Chromium included the %s cookie", r.Method, r.URL, ac.Cookie.Name)
			} else if !blockedForSameSite(ac.BlockedReasons) && !slices.Contains(ac.BlockedReasons, network.CookieBlockedReasonNotOnPath) {
				t.Errorf("cross-site %s %s: %s blocked for %v, want a SameSite reason", r.Method, r.URL, ac.Cookie.Name, ac.BlockedReasons)
			}
		}
	}
	// Both cookies were in the store and Chromium chose not to send them
	// (rather than having nothing to send).
	for _, name := range []string{"access_token", "refresh_token"} {
		if !considered[name] {
			t.Errorf("Chromium did not weigh the %s cookie for any cross-site request: was the user signed in?", name)
		}
	}
	for _, want := range []string{"POST /rest/task", "POST /rpc/refresh_token"} {
		if byURL[want] == 0 {
			t.Errorf("the attack page did not reach the stack with %s (saw %v)", want, byURL)
		}
	}
	if byURL["POST /rest/task"] < 2 {
		t.Errorf("want both the fetch and the form POST to /rest/task, saw %v", byURL)
	}
}

// checkNothingChanged: no task was added and the refresh token is the same;
// then the tab goes back to the demo page.
func checkNothingChanged(t *testing.T, b *browser, api *apiClient, before []string, refresh *network.Cookie) {
	// Nothing changed.
	after := titles(api.tasks())
	slices.Sort(before)
	slices.Sort(after)
	if !slices.Equal(before, after) {
		t.Errorf("tasks changed by the cross-site requests: before %q, after %q", before, after)
	}
	for _, title := range after {
		if strings.HasPrefix(title, "csrf") {
			t.Errorf("forged task %q exists", title)
		}
	}
	if jar := b.cookies(); jar["refresh_token"] == nil || jar["refresh_token"].Value != refresh.Value {
		t.Error("the cross-site refresh call rotated or removed the refresh token")
	}
	b.navigate(theStack.page())
	b.waitView("app")
	b.waitJS("the task list", `/^Loaded/.test(document.getElementById('status').textContent)`)
}

// checkSameSiteControl serves the fetch on a same-site origin, which does
// carry the cookies.
func checkSameSiteControl(t *testing.T, b *browser, reqs *requestLog) {
	// Control: the same page served on the same site (localhost, another
	// port) gets the cookies attached, so the checks above can fail.
	control := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, csrfFetchOnlyPage(theStack.URL))
	}))
	control.Start()
	t.Cleanup(control.Close)
	controlURL := strings.Replace(control.URL, "127.0.0.1", "localhost", 1)
	b.navigate(controlURL + "/same-site")
	b.waitJS("the same-site fetch to finish", `document.title === 'done'`)
	withCookie := 0
	for _, r := range reqs.matching(theStack.URL + "/rest/task") {
		if _, ok := r.Headers["cookie"]; ok && r.Method == "GET" {
			withCookie++
		}
	}
	if withCookie == 0 {
		t.Error("control: a same-site request carried no cookie either; the cross-site check proves nothing")
	}
}

// csrfPage is the attacker's page: a credentialed no-cors fetch to create a
// task and one to refresh the session, then an auto-submitted form POST.
func csrfPage(target string) string {
	return `<!doctype html><html><head><title>totally harmless</title></head><body>
<form id="f" method="POST" action="` + target + `/rest/task">
<input type="hidden" name="title" value="csrf-form">
</form>
<script>
const t = ` + "`" + target + "`" + `;
Promise.allSettled([
  fetch(t + '/rest/task', {method: 'POST', mode: 'no-cors', credentials: 'include',
    headers: {'Content-Type': 'text/plain'}, body: JSON.stringify({title: 'csrf-fetch'})}),
  fetch(t + '/rpc/refresh_token', {method: 'POST', mode: 'no-cors', credentials: 'include'}),
]).then(() => document.getElementById('f').submit());
</script></body></html>`
}

// csrfFetchOnlyPage is the control: a harmless credentialed GET.
func csrfFetchOnlyPage(target string) string {
	return `<!doctype html><html><head><title>control</title></head><body><script>
fetch(` + "`" + target + "/rest/task`" + `, {mode: 'no-cors', credentials: 'include'})
  .finally(() => { document.title = 'done'; });
</script></body></html>`
}

// blockedForSameSite reports whether one of Chromium's reasons is a SameSite
// one. The enum's names change between builds (SameSiteLax became
// SchemefulSameSiteLax), so the property is matched, not one spelling.
func blockedForSameSite(reasons []network.CookieBlockedReason) bool {
	for _, r := range reasons {
		if strings.Contains(strings.ToLower(string(r)), "samesite") {
			return true
		}
	}
	return false
}
