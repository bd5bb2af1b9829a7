package stack

import (
	"bytes"
	"strings"
	"testing"
)

// Access-log lines in the layout Caddy v2's http.log.access logger writes
// (logging.Logger "http.log.access.log0", fields of caddyhttp's
// LoggableHTTPRequest; duration in seconds).
const (
	caddyAccess401 = `{"level":"info","ts":1764680000.1234,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"51000","client_ip":"127.0.0.1","proto":"HTTP/1.1","method":"GET","host":"localhost:8000","uri":"/rest/task","headers":{"User-Agent":["curl/8.5.0"],"Accept":["*/*"],"Cookie":["REDACTED"]}},"bytes_read":0,"user_id":"","duration":0.000412,"size":0,"status":401,"resp_headers":{"Server":["Caddy"],"Content-Length":["0"]}}`
	caddyHealth    = `{"level":"info","ts":1764680000.2,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"51001","client_ip":"127.0.0.1","proto":"HTTP/1.1","method":"GET","host":"127.0.0.1:8000","uri":"/healthz","headers":{}},"bytes_read":0,"user_id":"","duration":0.00002,"size":2,"status":200,"resp_headers":{}}`
	caddyOther     = `{"level":"info","ts":1764680000.3,"logger":"tls.cache.maintenance","msg":"started background certificate maintenance"}`
)

func TestMuxShortensCaddyAccessLines(t *testing.T) {
	long := `/rest/task?q=` + strings.Repeat("b", 500) + "\n" + `caddy  | forged`
	withLong := strings.Replace(caddyAccess401, `"uri":"/rest/task"`, `"uri":"`+strings.ReplaceAll(long, "\n", `\n`)+`"`, 1)
	var out, file bytes.Buffer
	m := NewMux(&out)
	w := m.Writer(CompCaddy, &file)
	in := strings.Join([]string{caddyAccess401, caddyHealth, caddyOther, "plain line", withLong, ""}, "\n")
	if _, err := w.Write([]byte(in)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("stream has %d lines, want 4 (the probe left out):\n%s", len(lines), out.String())
	}
	if lines[0] != "caddy  | 401 GET /rest/task 0.4ms" {
		t.Errorf("access line shown as %q", lines[0])
	}
	if lines[1] != "caddy  | "+caddyOther || lines[2] != "caddy  | plain line" {
		t.Errorf("other lines changed: %q %q", lines[1], lines[2])
	}
	if len(lines[3]) > 260 || !strings.HasPrefix(lines[3], "caddy  | 401 GET /rest/task?q=bbb") || !strings.Contains(lines[3], "…") {
		t.Errorf("long URI not cut to ~200 chars: %d bytes %q", len(lines[3]), lines[3])
	}
	if file.String() != in {
		t.Error("caddy.log does not keep the lines as Caddy wrote them")
	}
	// other components, and the raw mux of `stackctl logs`, are untouched
	out.Reset()
	_, _ = NewMux(&out).Writer(CompAPI, nil).Write([]byte(caddyAccess401 + "\n"))
	_, _ = NewRawMux(&out).Writer(CompCaddy, nil).Write([]byte(caddyHealth + "\n"))
	if out.String() != "api    | "+caddyAccess401+"\n"+"caddy  | "+caddyHealth+"\n" {
		t.Errorf("non-console lines changed:\n%s", out.String())
	}
}

func FuzzConsoleLine(f *testing.F) {
	for _, s := range []string{caddyAccess401, caddyHealth, caddyOther, `{"logger":"http.log.access","request":{"method":"\u0000","uri":"\n"}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, l string) {
		out, keep := consoleLine(l)
		if !keep || out == l {
			return
		}
		if strings.ContainsAny(out, "\n\r\x1b") || len(out) > 400 {
			t.Fatalf("shortened line unsafe or long: %q", out)
		}
	})
}
