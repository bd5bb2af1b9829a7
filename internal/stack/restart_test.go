package stack

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestParseRestartPolicy(t *testing.T) {
	for _, c := range []struct {
		in   string
		mode string
		max  int
	}{
		{"no", RestartNo, 0},
		{"on-failure", RestartOnFailure, DefaultMaxRestarts},
		{"on-failure:3", RestartOnFailure, 3},
		{"always", RestartAlways, 0},
	} {
		p, err := ParseRestartPolicy(c.in)
		if err != nil || p.Mode != c.mode || p.MaxRestarts != c.max {
			t.Errorf("ParseRestartPolicy(%q) = %+v, %v; want %s max %d", c.in, p, err, c.mode, c.max)
		}
		if back, err := ParseRestartPolicy(p.String()); err != nil || back != p {
			t.Errorf("%q: String() %q does not parse back: %+v, %v", c.in, p.String(), back, err)
		}
	}
	for _, bad := range []string{"", "yes", "On-failure", "on-failure:", "on-failure:0", "on-failure:-1", "on-failure:x", "no:3", "always:2", "on-failure:99999999999999999999"} {
		if _, err := ParseRestartPolicy(bad); err == nil || !strings.Contains(err.Error(), "--restart") {
			t.Errorf("ParseRestartPolicy(%q): err %v, want an error naming --restart", bad, err)
		}
	}
}

func TestRestartDelay(t *testing.T) {
	p := DefaultRestartPolicy()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, w := range want {
		if got := p.Delay(i + 1); got != w {
			t.Errorf("Delay(%d) = %s, want %s", i+1, got, w)
		}
	}
	if got := p.Delay(1 << 30); got != p.MaxDelay {
		t.Errorf("Delay(huge) = %s, want the cap %s", got, p.MaxDelay)
	}
}

func TestExitReason(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want string
	}{
		{[]string{"sh", "-c", "exit 3"}, "exit status 3"},
		{[]string{"sh", "-c", "kill -9 $$"}, "killed by signal 9"},
		{[]string{"true"}, "exit status 0"},
	} {
		err := exec.Command(c.argv[0], c.argv[1:]...).Run()
		if got := ExitReason(err); !strings.HasPrefix(got, c.want) {
			t.Errorf("%v: ExitReason = %q, want %q", c.argv, got, c.want)
		}
	}
}
