package postgrest

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

// writeWithReason sends an error whose status carries a custom reason
// phrase (RAISE 'PTxyz' message, RAISE SQLSTATE 'PGRST' status_text;
// Error.hs pgErrorStatus@v16.2). net/http only writes standard phrases, so
// on HTTP/1.x the connection is taken over, the response written as is and
// the connection closed. It returns false (nothing written) when that is
// not possible or not needed; the caller then writes e normally.
func writeWithReason(w http.ResponseWriter, r *http.Request, e *apierr.Error) bool {
	reason := e.Reason
	if reason == "" || reason == http.StatusText(e.Status) || r.ProtoMajor != 1 ||
		strings.ContainsAny(reason, "\r\n") || e.Status < 100 || e.Status > 999 {
		return false
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	// Unread request bytes would make the close below reset the
	// connection before the client reads the answer.
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	conn, buf, err := hj.Hijack()
	if err != nil {
		return false
	}
	defer conn.Close()
	h := w.Header().Clone()
	body := e.PrepareHeader(h)
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("Connection", "close")
	bw := bufio.NewWriter(conn)
	_ = buf // the server's buffered reader/writer is not needed after the takeover
	fmt.Fprintf(bw, "HTTP/1.1 %03d %s\r\n", e.Status, reason)
	_ = h.Write(bw)
	bw.WriteString("\r\n")
	if r.Method != http.MethodHead {
		bw.Write(body)
	}
	_ = bw.Flush()
	return true
}
