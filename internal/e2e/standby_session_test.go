package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/authstack/authstack/internal/pgserver"
)

// With reads on a standby (--pg-replicas 1), the pre-request runs there
// and sees sessions only once they are replayed. With replay paused: a
// session opened a moment ago still reads (the standby grace, migration
// 0007), the same session's token issued a minute ago does not (its
// session is unknown there), and once replay resumes it does.
func TestSessionOnPausedStandby(t *testing.T) {
	p := newProject(t)
	replicaPort, err := pgserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	p.env = append(p.env, "STACK_PG_REPLICA_PORT="+strconv.Itoa(replicaPort))
	p.mustRun(4*time.Minute, "up", "--detach", "--pg-replicas", "1")
	ctx := context.Background()
	standby, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/app?sslmode=disable", url.QueryEscape(p.envValue("POSTGRES_PASSWORD")), replicaPort))
	if err != nil {
		t.Fatal(err)
	}
	defer standby.Close(ctx)
	if _, err := standby.Exec(ctx, "select pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { standby.Exec(context.Background(), "select pg_wal_replay_resume()") })

	cookie := demoCookie(t, p.base()) // a new session the standby has not replayed
	get := func(cookie string) int {
		req, _ := http.NewRequest(http.MethodGet, p.base()+"/rest/task", nil)
		req.Header.Set("Cookie", cookie)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := get(cookie); s != 200 {
		t.Fatalf("GET /rest/task on the paused standby right after login: %d, want 200 (the standby grace)", s)
	}

	// the same session, in a token issued a minute ago (signed with the secret)
	parts := strings.Split(strings.TrimPrefix(cookie, "access_token="), ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims["exp"] = time.Now().Add(time.Hour - time.Minute).Unix()
	key, _ := base64.StdEncoding.DecodeString(p.envValue("JWT_SECRET"))
	b, _ := json.Marshal(claims)
	older, err := jws.Sign(b, jws.WithKey(jwa.HS256, key))
	if err != nil {
		t.Fatal(err)
	}
	if s := get("access_token=" + string(older)); s != 401 {
		t.Errorf("a minute-old token of a session the standby has not replayed: %d, want 401", s)
	}
	if _, err := standby.Exec(ctx, "select pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the standby knows the session once it replays", func() bool {
		return get("access_token="+string(older)) == 200
	})
}
