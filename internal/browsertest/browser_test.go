package browsertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
)

// waitTimeout bounds every wait for a page state. It is a deadline for a
// condition, never a performance assertion.
const waitTimeout = 30 * time.Second

// browser is one headless Chromium with a fresh profile, and the page's
// JavaScript exceptions and console errors as they happen.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string // uncaught exceptions and console errors of the page
}

// newBrowser starts Chromium with a fresh --user-data-dir, a 1000x700
// viewport and LaunchFlags plus extraFlags. It fails the test (never skips)
// when Chromium is missing.
func newBrowser(t *testing.T, extraFlags ...string) *browser {
	t.Helper()
	exe, err := FindChromium()
	if err != nil {
		t.Fatal(err)
	}
	profile := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(exe), chromedp.UserDataDir(profile), chromedp.WindowSize(1000, 700)}
	for _, f := range append(slices.Clone(LaunchFlags), extraFlags...) {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if hasValue {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	// Cleanups run last-in first-out: the browser exits before t.TempDir
	// removes its profile.
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })

	b := &browser{t: t, ctx: ctx}
	if err := b.start(); err != nil {
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	return b
}

// newTab opens another tab of the same browser: the same profile, so the
// same cookie store (as a user's second tab).
func (b *browser) newTab() *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	tab := &browser{t: b.t, ctx: ctx}
	if err := tab.start(); err != nil {
		b.t.Fatalf("open a second tab: %v", err)
	}
	return tab
}

// start opens the tab with a 1000x700 viewport and records the page's
// JavaScript exceptions and console errors.
func (b *browser) start() error {
	// The window size leaves room for browser chrome; pin the viewport so the
	// screenshot is exactly 1000x700.
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(1000, 700)); err != nil {
		return err
	}
	return chromedp.Listen(b.ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.addProblem("exception: " + exceptionText(ev.ExceptionDetails))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
				}
				b.addProblem("console.error: " + strings.Join(parts, " "))
			}
		case *cdplog.EventEntryAdded:
			// Failed requests (the expected 401s) are source "network";
			// anything else at error level (a CSP violation, a script that
			// did not load) is a problem of the page.
			if e := ev.Entry; e != nil && e.Level == cdplog.EntryLevelError && e.Source != cdplog.EntrySourceNetwork {
				b.addProblem(string(e.Source) + ": " + e.Text + " " + e.URL)
			}
		}
	})
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "?"
	}
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		s += " " + d.Exception.Description
	}
	return fmt.Sprintf("%s (%s:%d)", s, d.URL, d.LineNumber)
}

func (b *browser) addProblem(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, s)
}

// noPageErrors fails the test when the page threw or logged an error.
func (b *browser) noPageErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.problems) > 0 {
		b.t.Errorf("the page reported errors:\n  %s", strings.Join(b.problems, "\n  "))
	}
}

// do runs browser steps. Every step is bounded by waitTimeout: a click on
// an element that never becomes visible fails the test instead of hanging.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v\npage state: %s", err, b.describe())
	}
}

func (b *browser) navigate(url string) {
	b.t.Helper()
	b.do(chromedp.Navigate(url))
}

// eval evaluates a JavaScript expression (promises awaited) and decodes it.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until the expression is truthy in the page. It survives
// navigations (an evaluation that fails while a new document loads is
// retried).
func (b *browser) waitJS(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		lastErr = err
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for %s (%s): not true after %s (last error: %v)\npage state: %s", what, expr, waitTimeout, lastErr, b.describe())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// click clicks the element with the given id.
func chromedpClick(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.ID(id), chromedp.NodeVisible)
}

// clearMessageJS hides the page's message, so a wait can see the next one.
func clearMessageJS() chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => { const m = document.getElementById('message'); m.hidden = true; m.textContent = ''; })()`)
}

// clearStatusJS empties the page's status line, so a wait can see the next one.
func clearStatusJS() chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`document.getElementById('status').textContent = ''`)
}

// blockStack makes the tab's requests to the stack paths matching pattern
// (URLPattern syntax, e.g. "/*") fail as network errors
// (Network.setBlockedURLs); "" lifts the block.
func (b *browser) blockStack(pattern string) {
	b.t.Helper()
	params := network.SetBlockedURLsParams{URLPatterns: []*network.BlockPattern{}}
	if pattern != "" {
		params.URLPatterns = []*network.BlockPattern{{URLPattern: theStack.URL + pattern, Block: true}}
	}
	if _, err := chromedp.Call(b.ctx, network.SetBlockedURLs, params); err != nil {
		b.t.Fatalf("Network.setBlockedURLs: %v", err)
	}
}

// clearCookies empties the browser's cookie store.
func (b *browser) clearCookies() {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		b.t.Fatalf("Network.clearBrowserCookies: %v", err)
	}
}

// describe summarises the page for failure messages.
func (b *browser) describe() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({url: location.href, view: document.body && document.body.dataset.view, message: (document.getElementById('message')||{}).textContent, text: document.body ? document.body.innerText.slice(0, 400) : ''})`))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	return s
}

// view is the page's current view: "login" or "app" (body[data-view]).
func (b *browser) waitView(view string) {
	b.t.Helper()
	b.waitJS("the "+view+" view", fmt.Sprintf(`document.body && document.body.dataset.view === %q`, view))
}

// message returns the visible message and its kind ("error", "info"), or "".
func (b *browser) message() (kind, text string) {
	b.t.Helper()
	m := eval[map[string]string](b, `(() => { const m = document.getElementById('message'); return m.hidden ? {kind: '', text: ''} : {kind: m.dataset.kind || '', text: m.textContent}; })()`)
	return m["kind"], m["text"]
}

// login fills in and submits the page's login form.
func (b *browser) submitLogin(user, pass string) {
	b.t.Helper()
	b.waitView("login")
	b.do(
		chromedp.SetValue(chromedp.ID("username"), user),
		chromedp.SetValue(chromedp.ID("password"), pass),
		chromedp.Click(chromedp.ID("login-button")),
	)
}

// taskTitles returns the titles the page shows, in order.
func (b *browser) taskTitles() []string {
	b.t.Helper()
	return eval[[]string](b, `Array.from(document.querySelectorAll('#tasks li .title')).map(e => e.textContent)`)
}

// cookies returns every cookie in the browser's cookie store (all paths), as
// read over CDP (Storage.getCookies), keyed by name.
func (b *browser) cookies() map[string]*network.Cookie {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		b.t.Fatalf("Storage.getCookies: %v", err)
	}
	out := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		if prev, dup := out[c.Name]; dup {
			b.t.Errorf("two %s cookies in the store: path %q and path %q", c.Name, prev.Path, c.Path)
		}
		out[c.Name] = c
	}
	return out
}

// waitCookieGone waits until the browser has dropped the named cookie (its
// Max-Age ran out).
func (b *browser) waitCookieGone(name string, within time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		if _, ok := b.cookies()[name]; !ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("the browser still holds the %s cookie after %s", name, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (b *browser) screenshot() []byte {
	b.t.Helper()
	buf, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	return buf
}

// requestLog records, for every request the tab sends, its URL, method and
// the raw headers Chromium put on the wire, and the cookies it considered and
// why it left them out (Network.requestWillBeSentExtraInfo).
type requestLog struct {
	mu    sync.Mutex
	reqs  map[network.RequestID]*loggedRequest
	order []network.RequestID
}

type loggedRequest struct {
	URL, Method string
	Headers     map[string]string // lower-case names
	HaveExtra   bool
	Cookies     []*network.AssociatedCookie
}

func (b *browser) logRequests() *requestLog {
	b.t.Helper()
	l := &requestLog{reqs: map[network.RequestID]*loggedRequest{}}
	get := func(id network.RequestID) *loggedRequest {
		r, ok := l.reqs[id]
		if !ok {
			r = &loggedRequest{Headers: map[string]string{}}
			l.reqs[id] = r
			l.order = append(l.order, id)
		}
		return r
	}
	if err := chromedp.Listen(b.ctx, func(ev any) {
		l.mu.Lock()
		defer l.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			r := get(ev.RequestID)
			r.URL, r.Method = ev.Request.URL, ev.Request.Method
		case *network.EventRequestWillBeSentExtraInfo:
			r := get(ev.RequestID)
			r.HaveExtra = true
			for k, v := range ev.Headers {
				r.Headers[strings.ToLower(k)] = fmt.Sprint(v)
			}
			r.Cookies = append(r.Cookies, ev.AssociatedCookies...)
		}
	}); err != nil {
		b.t.Fatal(err)
	}
	return l
}

// matching returns a copy of the logged requests whose URL starts with prefix.
func (l *requestLog) matching(prefix string) []loggedRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []loggedRequest
	for _, id := range l.order {
		r := l.reqs[id]
		if strings.HasPrefix(r.URL, prefix) {
			out = append(out, *r)
		}
	}
	return out
}
