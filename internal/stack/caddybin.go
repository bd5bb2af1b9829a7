package stack

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// JWTModule is the Caddy module ID caddy/Caddyfile's `jwtauth` directive
// needs: caddy-jwt v1.1.1 registers it (its module.go), and so does the
// project's own jwtauth module.
const JWTModule = "http.authentication.providers.jwt"

// CaddyCheckTimeout bounds `caddy list-modules` in CheckCaddyBinary.
const CaddyCheckTimeout = 15 * time.Second

// maxListModules caps what list-modules may print (Caddy's own list is a
// few KiB).
const maxListModules = 1 << 20

// CaddyArgv is the command the supervisor starts Caddy with: the built-in
// `stackctl caddy run` (bin == "" or "builtin"), or an external Caddy
// binary with the same Caddyfile and an explicit adapter (`caddy run`
// infers it only for files named Caddyfile*, as ours is; explicit is safer).
func CaddyArgv(c *Config, bin string) []string {
	if bin == "" || bin == "builtin" {
		return []string{c.Exe, "caddy", "run", "--config", c.Caddyfile}
	}
	return []string{bin, "run", "--config", c.Caddyfile, "--adapter", "caddyfile"}
}

// CheckCaddyBinary runs `bin list-modules` (at most timeout, output capped)
// and fails, saying what is missing and how to build one, unless bin is a
// Caddy with the JWT module.
func CheckCaddyBinary(ctx context.Context, bin string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "list-modules")
	// its own process group, so a wrapper script's children are killed too
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	out := &capped{max: maxListModules}
	cmd.Stdout = out
	cmd.Stderr = out
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("--caddy=%s: `%s list-modules` did not finish in %s; is it a Caddy binary?", bin, bin, timeout)
	case err != nil:
		msg := firstLine(out.String())
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) && msg != "" {
			err = fmt.Errorf("%v: %s", err, msg)
		}
		return fmt.Errorf("--caddy=%s: `%s list-modules` failed (%v); give a Caddy v2 binary", bin, bin, err)
	}
	if !hasModule(out.Bytes(), JWTModule) {
		return fmt.Errorf("--caddy=%s: this Caddy has no %s module (caddy-jwt); build one with `xcaddy build --with github.com/ggicci/caddy-jwt@v1.1.1`, or use --caddy=builtin", bin, JWTModule)
	}
	return nil
}

// hasModule reports whether list-modules output names id: one module per
// line, the ID first (`--versions` adds a version after it).
func hasModule(out []byte, id string) bool {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 0 && f[0] == id {
			return true
		}
	}
	return false
}

// capped keeps the first max bytes written to it and discards the rest.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		if len(p) > room {
			c.Buffer.Write(p[:room])
		} else {
			c.Buffer.Write(p)
		}
	}
	return len(p), nil
}
