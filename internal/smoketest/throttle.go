package smoketest

import (
	"context"
	"net"
	"net/http/httptrace"
)

// The wrong-password check counts one failed login against the address
// the gateway sees (auth.client_addr: the last X-Forwarded-For entry,
// which Caddy sets to the peer). Repeated runs from one machine would add
// up to the address limit and lock every login from it out, so with a
// database URL the run takes its own attempt back (auth.throttle_forget),
// and only when the count shows that attempt was counted for the address
// its connection came from.

// loopbackAddrs are the addresses a local run's gateway can see.
var loopbackAddrs = []string{"127.0.0.1", "::1"}

// addrAttempts reads the address throttle for each of addrs (nil without
// a database connection).
func (r *runner) addrAttempts(ctx context.Context, addrs []string) map[string]int {
	if r.db == nil {
		return nil
	}
	out := map[string]int{}
	for _, a := range addrs {
		var n int
		if err := r.db.QueryRow(ctx, "select attempts from auth.throttle_status('addr', $1)", a).Scan(&n); err != nil {
			return nil
		}
		out[a] = n
	}
	return out
}

// traceLocalIP records the local address of the connection a request used.
func traceLocalIP(ctx context.Context, ip *string) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if host, _, err := net.SplitHostPort(info.Conn.LocalAddr().String()); err == nil {
			*ip = host
		}
	}})
}

// wrongLogin runs the failed login and remembers what to take back.
func (r *runner) wrongLogin(ctx context.Context) (*resp, error) {
	before := r.addrAttempts(ctx, loopbackAddrs)
	var ip string
	r.wrongSent = true
	p, err := r.login(traceLocalIP(ctx, &ip), r.user, r.pass+"-wrong")
	if err != nil || before == nil {
		return p, err
	}
	if _, known := before[ip]; known {
		if after := r.addrAttempts(ctx, []string{ip}); after != nil && after[ip] == before[ip]+1 {
			r.forgetAddr = ip
		}
	}
	return p, err
}

// forgetWrongLogin takes the run's failed attempt back from the address
// throttle and clears the throwaway user's entry.
func (r *runner) forgetWrongLogin(ctx context.Context) {
	if r.db == nil {
		return
	}
	if _, err := r.db.Exec(ctx, "select auth.throttle_reset('user', $1)", r.user); err != nil {
		r.note("could not clear the throwaway user's login throttle entry: " + err.Error())
	}
	switch {
	case r.forgetAddr != "":
		if _, err := r.db.Exec(ctx, "select auth.throttle_forget('addr', $1, 1)", r.forgetAddr); err != nil {
			r.note("could not take the wrong-password attempt back from the address throttle: " + err.Error())
		}
	case r.wrongSent:
		r.note("the wrong-password attempt was not seen on a local address: it stays in the address throttle (`stackctl throttle status`)")
	}
}
