package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authstack/authstack/internal/dotenv"
	"github.com/authstack/authstack/internal/pgserver"
)

// dbSecret reads auth.jwt_secret through the stack's superuser.
func (p *project) dbSecret() string {
	p.t.Helper()
	f, err := dotenv.Load(filepath.Join(p.dir, ".env"))
	if err != nil {
		p.t.Fatal(err)
	}
	pw, _ := f.Get("POSTGRES_PASSWORD")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgserver.ConnURL("postgres", pw, "127.0.0.1", p.pgPort, "app"))
	if err != nil {
		p.t.Fatal(err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, "select secret from auth.jwt_secret").Scan(&s); err != nil {
		p.t.Fatal(err)
	}
	return s
}

// On a running native stack, `secret rotate` refuses and changes nothing
// (its engine and Caddy would keep the old secret); `status` notices a
// .env secret the running components do not use; `down` from a
// subdirectory stops the stack.
func TestSecretRotateOnRunningStack(t *testing.T) {
	p := newProject(t)
	p.mustRun(3*time.Minute, "up", "--detach")
	// The socket trusts whoever reaches it: only the cluster's own user may.
	sock := filepath.Join(p.dir, ".stack", "sock", fmt.Sprintf(".s.PGSQL.%d", p.pgPort))
	if st, err := os.Stat(sock); err != nil {
		t.Errorf("PostgreSQL socket: %v", err)
	} else if st.Mode().Perm()&0o077 != 0 {
		t.Errorf("PostgreSQL socket %s has mode %v, want no group/other access", sock, st.Mode())
	}
	envPath := filepath.Join(p.dir, ".env")
	before, _ := os.ReadFile(envPath)
	dbBefore := p.dbSecret()

	out, code := p.run(time.Minute, "secret", "rotate")
	if code == 0 || !strings.Contains(out, "stackctl down") || !strings.Contains(out, "nothing was changed") {
		t.Errorf("rotate on a running stack: exit %d\n%s", code, out)
	}
	if after, _ := os.ReadFile(envPath); string(after) != string(before) {
		t.Error("a refused rotate changed .env")
	}
	if p.dbSecret() != dbBefore {
		t.Error("a refused rotate changed auth.jwt_secret")
	}
	if s, code := p.status(); code != 0 || !s.Healthy {
		t.Errorf("status after a refused rotate: exit %d %+v", code, s)
	}

	// .env moves on without the running components: status says so.
	p.mustRun(time.Minute, "secret", "gen", "--force")
	out, code = p.run(time.Minute, "status")
	if code != 1 || !strings.Contains(out, "MISMATCH") || strings.Contains(out, dbBefore) {
		t.Errorf("status with a changed .env secret: exit %d\n%s", code, out)
	}

	// down from a subdirectory finds the project and stops its stack.
	c := exec.Command(stackctlBin, "down")
	c.Dir, c.Env = filepath.Join(p.dir, "caddy", "demo"), p.env
	b, err := c.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "stack stopped") {
		t.Errorf("down from caddy/demo: %v\n%s", err, b)
	}
	if _, code := p.run(time.Minute, "status"); code != 3 {
		t.Errorf("status after down from a subdirectory: exit %d, want 3", code)
	}
}
