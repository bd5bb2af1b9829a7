package browsertest

import (
	"fmt"
	"os"
	"testing"
)

// TestMain starts one native stack for every test of the package and stops
// it afterwards. A missing Chromium fails the package (with the package name
// to install); only BROWSERTEST_SKIP=1 (or NO_BROWSER=1) skips it.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if name, skip := SkipRequested(); skip {
		fmt.Fprintf(os.Stderr, "browsertest: skipped because %s=1\n", name)
		return 0
	}
	if _, err := FindChromium(); err != nil {
		fmt.Fprintf(os.Stderr, "browsertest: FAIL: %v\n", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "browsertest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "browsertest:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	bin, err := buildStackctl(tmp)
	if err != nil {
		fmt.Fprintf(os.Stderr, "browsertest: FAIL: %v\n", err)
		return 1
	}
	stackctlBin = bin
	s, err := startStack(bin, tmp, testSettings)
	if err != nil {
		fmt.Fprintf(os.Stderr, "browsertest: FAIL: starting the native stack: %v\n", err)
		return 1
	}
	defer s.stop()
	theStack = s
	return m.Run()
}
