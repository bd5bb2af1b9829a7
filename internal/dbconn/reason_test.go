package dbconn

import (
	"context"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

// A timed-out last attempt (connect_timeout or the wait's deadline, under
// load) must not hide the reason an earlier attempt gave.
func TestKeepReasonPrefersRealReason(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	timeout := fmt.Errorf("dial: %w", context.DeadlineExceeded)
	osTimeout := &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
	cases := []struct {
		name      string
		last, err error
		want      error
	}{
		{"first attempt", nil, timeout, timeout},
		{"deadline after refused", refused, timeout, refused},
		{"i/o timeout after refused", refused, osTimeout, refused},
		{"refused after timeout", timeout, refused, refused},
		{"timeout after timeout", timeout, osTimeout, osTimeout},
	}
	for _, c := range cases {
		if got := keepReason(c.last, c.err); got != c.want {
			t.Errorf("%s: kept %v, want %v", c.name, got, c.want)
		}
	}
}
