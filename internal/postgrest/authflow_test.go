package postgrest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authstack/authstack/internal/authdb"
	"github.com/authstack/authstack/internal/migrations"
)

// flowSecret is a base64 secret as `stackctl secret gen` writes it.
var flowSecret = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef0123456789abcdef"))

func newStackEngine(t *testing.T) *engine { return newStackEngineTB(t) }

func newStackEngineTB(t testing.TB) *engine {
	t.Helper()
	return newEngineSetup(t, func(ctx context.Context, db string, pool *pgxpool.Pool) {
		// the migrations create and alter the cluster-wide roles
		clusterRoles.Lock()
		err := migrations.Up(ctx, db, map[string]string{"JWT_SECRET": flowSecret, "AUTHENTICATOR_PASSWORD": "authpw"})
		clusterRoles.Unlock()
		if err != nil {
			t.Fatalf("migrations: %v", err)
		}
		if err := authdb.AddUser(ctx, pool, "alice", "alice-password", "basic_subscriber"); err != nil {
			t.Fatalf("add user: %v", err)
		}
		if err := authdb.AddUser(ctx, pool, "bob", "bob-password", "basic_subscriber"); err != nil {
			t.Fatalf("add user: %v", err)
		}
		if _, err := pool.Exec(ctx, `insert into public.task(owner, title) values ('alice','alice task'),('bob','bob task');
			insert into public.task(owner, title) select 'bob', 'bulk ' || g from generate_series(1, 20) g;
			insert into public.task(owner, title) select 'alice', 'bulk ' || g from generate_series(1, 20) g;`); err != nil {
			t.Fatalf("tasks: %v", err)
		}
	}, func(env map[string]string) {
		env["PGRST_JWT_SECRET"] = flowSecret
		env["PGRST_JWT_SECRET_IS_BASE64"] = "true"
	})
}

func cookieValue(t *testing.T, h http.Header, name string) string {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	t.Fatalf("no %s cookie in %v", name, h.Values("Set-Cookie"))
	return ""
}

// TestGuideAuthFlows runs the guide's flows over HTTP against the project's
// own migrations (docs/database.md "The auth schema"; README.md).
func TestGuideAuthFlows(t *testing.T) {
	t.Parallel()
	e := newStackEngine(t)
	authPost := map[string]string{"Content-Profile": "auth", "Content-Type": "application/json"}

	// wrong password: 401 PT401 + WWW-Authenticate: Bearer, no cookies
	r := e.do("POST", "/rpc/login", authPost, `{"user_":"alice","pass":"wrong"}`)
	if r.status != 401 || !jsonEq(r.body, errBody("PT401", "Invalid user or password", nil, nil)) ||
		r.header.Get("WWW-Authenticate") != "Bearer" || len(r.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("wrong password: %d %s %v", r.status, r.body, r.header)
	}

	// login: 204, two Set-Cookie in order, no Content-Type
	r = e.do("POST", "/rpc/login", authPost, `{"user_":"alice","pass":"alice-password"}`)
	if r.status != 204 || r.body != "" || r.header.Get("Content-Type") != "" {
		t.Fatalf("login: %d %q %v", r.status, r.body, r.header)
	}
	sc := r.header.Values("Set-Cookie")
	if len(sc) != 2 || !strings.HasPrefix(sc[0], "access_token=") || !strings.HasPrefix(sc[1], "refresh_token=") {
		t.Fatalf("login cookies: %q", sc)
	}
	access := cookieValue(t, r.header, "access_token")
	refresh := cookieValue(t, r.header, "refresh_token")

	// the access token verifies with the engine's JWT check (HS256, integer exp)
	user := map[string]string{"Authorization": "Bearer " + access}
	r = e.do("GET", "/task?select=owner,title&title=not.like.bulk*", user, "")
	if r.status != 200 || !jsonEq(r.body, `[{"owner":"alice","title":"alice task"}]`) {
		t.Fatalf("GET /task as alice: %d %s", r.status, r.body)
	}
	// insert through RLS, owner defaulted from sub
	r = e.do("POST", "/task", merge(user, map[string]string{"Prefer": "return=representation"}), `{"title":"new"}`)
	if r.status != 201 || !strings.Contains(r.body, `"owner":"alice"`) {
		t.Fatalf("insert: %d %s", r.status, r.body)
	}
	// writing for someone else violates the policy: 403
	r = e.do("POST", "/task", user, `{"title":"x","owner":"bob"}`)
	if r.status != 403 || !strings.Contains(r.body, `"code":"42501"`) || r.header.Get("WWW-Authenticate") != "" {
		t.Fatalf("RLS violation: %d %s %v", r.status, r.body, r.header)
	}
	// anonymous: 401 with WWW-Authenticate: Bearer
	r = e.do("GET", "/task", nil, "")
	if r.status != 401 || r.header.Get("WWW-Authenticate") != "Bearer" || !strings.Contains(r.body, "permission denied for table task") {
		t.Fatalf("anon GET /task: %d %s", r.status, r.body)
	}

	// refresh: 204, new pair, old refresh token rejected afterwards
	r = e.do("POST", "/rpc/refresh_token", merge(authPost, map[string]string{"Cookie": "refresh_token=" + refresh}), "")
	if r.status != 204 || len(r.header.Values("Set-Cookie")) != 2 {
		t.Fatalf("refresh: %d %s %v", r.status, r.body, r.header)
	}
	access2 := cookieValue(t, r.header, "access_token")
	refresh2 := cookieValue(t, r.header, "refresh_token")
	if refresh2 == refresh {
		t.Fatal("refresh token not rotated")
	}
	r = e.do("GET", "/task?select=title&order=id", map[string]string{"Authorization": "Bearer " + access2}, "")
	if r.status != 200 || !strings.Contains(r.body, "alice task") {
		t.Fatalf("GET with refreshed token: %d %s", r.status, r.body)
	}

	// logout: 204, cookies cleared; the refresh token no longer works
	r = e.do("POST", "/rpc/logout", merge(authPost, map[string]string{"Cookie": "access_token=" + access2 + "; refresh_token=" + refresh2}), "")
	if r.status != 204 || len(r.header.Values("Set-Cookie")) != 2 {
		t.Fatalf("logout: %d %s %v", r.status, r.body, r.header)
	}
	for _, c := range r.header.Values("Set-Cookie") {
		if !strings.Contains(c, "Max-Age=0") && !strings.Contains(strings.ToLower(c), "max-age=0") {
			t.Errorf("logout cookie not expired: %q", c)
		}
	}
	r = e.do("POST", "/rpc/refresh_token", merge(authPost, map[string]string{"Cookie": "refresh_token=" + refresh2}), "")
	if r.status != 401 || !strings.Contains(r.body, `"code":"PT401"`) || r.header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("refresh after logout: %d %s", r.status, r.body)
	}

	// a token minted by the database carries an integer exp and the role
	parts := strings.Split(access, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		t.Fatal(err)
	}
	if claims["role"] != "basic_subscriber" {
		t.Errorf("claims %v", claims)
	}
	if n, ok := claims["exp"].(json.Number); !ok || strings.Contains(n.String(), ".") {
		t.Errorf("exp not an integer: %v", claims["exp"])
	}

	// POST /rpc/login with only Accept-Profile looks in public: 404 PGRST202
	r = e.do("POST", "/rpc/login", map[string]string{"Accept-Profile": "auth"}, `{"user_":"alice","pass":"alice-password"}`)
	if r.status != 404 || !strings.Contains(r.body, "PGRST202") {
		t.Fatalf("accept-profile on POST: %d %s", r.status, r.body)
	}
}

func flowKey() []byte {
	b, _ := base64.StdEncoding.DecodeString(flowSecret)
	return b
}
