package authdb_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/benchrun"
)

// Login and refresh through the PostgREST-style transaction (dbcall, as
// authenticator switching to anon) against the bcrypt floor: one raw
// crypt() verification of the same stored hash (cost 10) on the same kind
// of connection. Compare ns/op: login/crypt is the login overhead ratio.

func BenchmarkCryptFloor(b *testing.B) {
	s := newOurs(b)
	ctx := context.Background()
	var hash string
	if err := s.super.QueryRow(ctx, "select password from auth.user where username = 'demo'").Scan(&hash); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var ok bool
		if err := s.api.QueryRow(ctx, "select public.crypt($1, $2) = $2", "demo", hash).Scan(&ok); err != nil || !ok {
			b.Fatal(err, ok)
		}
	}
}

func BenchmarkLogin(b *testing.B) {
	s := newOurs(b)
	args := map[string]any{"user_": "demo", "pass": "demo"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.call(b, "login", args, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoginWrongPassword(b *testing.B) {
	s := newOurs(b)
	s.app = map[string]string{"login_max_attempts_user": "0", "login_max_attempts_addr": "0"}
	args := map[string]any{"user_": "demo", "pass": "wrong"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.call(b, "login", args, nil); code(err) != "PT401" {
			b.Fatal(err)
		}
	}
}

func BenchmarkRefresh(b *testing.B) {
	s := newOurs(b)
	rt := s.login(b, "demo", "demo")["refresh_token"].Value
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := s.call(b, "refresh_token", nil, map[string]string{"refresh_token": rt})
		if err != nil {
			b.Fatal(err)
		}
		rt = setCookies(b, res)["refresh_token"].Value
	}
}

// BenchmarkLoginVsFloor interleaves one raw crypt() and one login per
// iteration, so that load changes on the machine hit both alike, and
// reports the ratio of the medians (login/floor) and of the totals.
func BenchmarkLoginVsFloor(b *testing.B) {
	s := newOurs(b)
	ctx := context.Background()
	var hash string
	if err := s.super.QueryRow(ctx, "select password from auth.user where username = 'demo'").Scan(&hash); err != nil {
		b.Fatal(err)
	}
	args := map[string]any{"user_": "demo", "pass": "demo"}
	// b.N logins beyond the session cap would end the (oldest) session
	// that is refreshed below.
	s.app["max_sessions_per_user"] = "0"
	rt := s.login(b, "demo", "demo")["refresh_token"].Value
	var floor, login, refresh []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		var ok bool
		if err := s.api.QueryRow(ctx, "select public.crypt($1, $2) = $2", "demo", hash).Scan(&ok); err != nil || !ok {
			b.Fatal(err, ok)
		}
		t1 := time.Now()
		if _, err := s.call(b, "login", args, nil); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		res, err := s.call(b, "refresh_token", nil, map[string]string{"refresh_token": rt})
		if err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		rt = setCookies(b, res)["refresh_token"].Value
		floor, login, refresh = append(floor, t1.Sub(t0)), append(login, t2.Sub(t1)), append(refresh, t3.Sub(t2))
	}
	b.StopTimer()
	mf, ml, mr := median(floor), median(login), median(refresh)
	b.ReportMetric(float64(mf.Microseconds())/1000, "floor-ms")
	b.ReportMetric(float64(ml.Microseconds())/1000, "login-ms")
	b.ReportMetric(float64(mr.Microseconds())/1000, "refresh-ms")
	b.ReportMetric(float64(ml)/float64(mf), "login/floor")
	b.ReportMetric(float64(sum(login))/float64(sum(floor)), "login/floor-total")
	b.ReportMetric(float64(mr)/float64(mf), "refresh/floor")
}

func median(d []time.Duration) time.Duration {
	c := append([]time.Duration(nil), d...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	return c[len(c)/2]
}

func sum(d []time.Duration) (s time.Duration) {
	for _, x := range d {
		s += x
	}
	return s
}

// BenchmarkLoginOverhead measures what login adds to bcrypt: the user's
// hash is replaced by a cost-4 hash (trigger bypassed), and one raw crypt()
// of it is interleaved with one login. overhead-ms = median(login) -
// median(crypt); login overhead at cost 10 = overhead-ms / floor-ms of
// BenchmarkLoginVsFloor.
func BenchmarkLoginOverhead(b *testing.B) {
	s := newOurs(b)
	ctx := context.Background()
	if _, err := s.super.Exec(ctx, `alter table auth.user disable trigger encrypt_pass;
		update auth.user set password = public.crypt('demo', public.gen_salt('bf', 4)) where username = 'demo';
		alter table auth.user enable trigger encrypt_pass`); err != nil {
		b.Fatal(err)
	}
	var hash string
	if err := s.super.QueryRow(ctx, "select password from auth.user where username = 'demo'").Scan(&hash); err != nil {
		b.Fatal(err)
	}
	args := map[string]any{"user_": "demo", "pass": "demo"}
	var floor, login []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		var ok bool
		if err := s.api.QueryRow(ctx, "select public.crypt($1, $2) = $2", "demo", hash).Scan(&ok); err != nil || !ok {
			b.Fatal(err, ok)
		}
		t1 := time.Now()
		if _, err := s.call(b, "login", args, nil); err != nil {
			b.Fatal(err)
		}
		floor, login = append(floor, t1.Sub(t0)), append(login, time.Since(t1))
	}
	b.StopTimer()
	b.ReportMetric(float64(median(floor).Microseconds())/1000, "crypt4-ms")
	b.ReportMetric(float64(median(login).Microseconds())/1000, "login4-ms")
	b.ReportMetric(float64((median(login)-median(floor)).Microseconds())/1000, "overhead-ms")
}

// BenchmarkPreRequest measures what auth.check_session (the db-pre-request
// function, migration 0007) costs on an authenticated
// `GET /task?select=*&limit=10`: engines on the same database without a
// pre-request function, with an empty one (public.bench_noop: the extra
// statement PostgREST sends, alone) and with auth.check_session, the same
// access token (from a real login, so it carries a sid), interleaved in
// rounds at the same concurrency. It reports each rate and the time ratios
// against no pre-request (1.05 = 5% slower).
func BenchmarkPreRequest(b *testing.B) {
	s := newOurs(b)
	ctx := context.Background()
	if _, err := s.super.Exec(ctx, `insert into public.task (owner, title) select 'demo', 'bench ' || g from generate_series(1, 20) g;
		create function public.bench_noop() returns void language sql as '';
		grant execute on function public.bench_noop() to public`); err != nil {
		b.Fatal(err)
	}
	tok := s.login(b, "demo", "demo")["access_token"].Value
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	get := func(base string) func() error {
		return func() error {
			req, _ := http.NewRequest("GET", base+"/task?select=*&limit=10", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		}
	}
	names := []string{"none", "noop", "check_session"}
	engines := []func() error{
		get(serveAPI(b, s)),
		get(serveAPI(b, s, "PGRST_DB_PRE_REQUEST=public.bench_noop")),
		get(serveAPI(b, s, "PGRST_DB_PRE_REQUEST="+preRequest)),
	}
	for _, f := range engines {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			d := benchrun.Interleave(b, clients, 30, engines...)
			for e, name := range names {
				b.ReportMetric(float64(b.N)/d[e].Seconds(), name+"-req/s")
			}
			b.ReportMetric(d[1].Seconds()/d[0].Seconds(), "noop/none")
			b.ReportMetric(d[2].Seconds()/d[0].Seconds(), "check/none")
			b.ReportMetric(d[2].Seconds()/d[1].Seconds(), "check/noop")
		})
	}
}
