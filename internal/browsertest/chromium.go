// Package browsertest proves the stack's cookie flows in a real browser
// engine: headless Chromium, driven over the Chrome DevTools Protocol with
// github.com/chromedp/chromedp, against the native stack (`stackctl up`)
// serving the demo page from caddy/demo. The tests live in this package's
// _test files; this file only finds the browser.
package browsertest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// SkipEnv is the environment variable that skips the browser tests when set
// to 1. NoBrowserEnv=1, which tells scripts/install-deps.sh not to install
// Chromium, skips them too. Without either, a missing Chromium is a test
// failure, never a skip.
const (
	SkipEnv      = "BROWSERTEST_SKIP"
	NoBrowserEnv = "NO_BROWSER"
)

// SkipRequested reports whether the environment opts out of the browser
// tests, and which variable did.
func SkipRequested() (string, bool) {
	for _, name := range []string{SkipEnv, NoBrowserEnv} {
		if os.Getenv(name) == "1" {
			return name, true
		}
	}
	return "", false
}

// ChromiumEnv names an explicit browser binary (overrides the PATH lookup).
const ChromiumEnv = "CHROMIUM"

// ErrNoChromium is returned by FindChromium when no browser is installed.
var ErrNoChromium = errors.New("chromium not found: install Debian's `chromium` package " +
	"(apt-get install -y chromium; scripts/install-deps.sh does it), set " + ChromiumEnv +
	" to a Chromium/Chrome binary, or set " + SkipEnv + "=1 to skip the browser tests")

// FindChromium returns the path of a Chromium (or Chrome) binary: $CHROMIUM
// when set, else the first of chromium, chromium-browser, google-chrome on
// PATH.
func FindChromium() (string, error) {
	if p := strings.TrimSpace(os.Getenv(ChromiumEnv)); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%s=%q: %w", ChromiumEnv, p, err)
		}
		return path, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", ErrNoChromium
}

// LaunchFlags are the Chromium command-line flags the tests use (besides
// --user-data-dir, which is a fresh directory per browser). --no-sandbox is
// needed when running as root, as CI containers do.
var LaunchFlags = []string{
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--no-default-browser-check",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--disable-extensions",
	"--disable-dev-shm-usage",
	"--hide-scrollbars",
	"--mute-audio",
	"--password-store=basic",
	"--use-mock-keychain",
	"--force-color-profile=srgb",
}
