package stack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SecretID names a JWT secret without revealing it: a truncated SHA-256
// under a fixed label (the secret is 32 random bytes, so the ID cannot be
// turned back into it). state.json records the ID the running API engine
// and Caddy were started with, so `status` can tell when .env or the
// database moved on without them.
func SecretID(secret string) string {
	if secret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("authstack jwt secret id\x00" + secret))
	return hex.EncodeToString(sum[:6])
}

// SecretCheck compares the secret the components run with to .env's and
// to the database's (auth.jwt_secret).
type SecretCheck struct {
	Running  string `json:"running_secret_id"`
	EnvFile  string `json:"env_secret_id,omitempty"`
	Database string `json:"database_secret_id,omitempty"`
	// DatabaseErr is why the database's secret could not be read.
	DatabaseErr string `json:"database_error,omitempty"`
	OK          bool   `json:"ok"`
	Problem     string `json:"problem,omitempty"`
}

// CheckSecret looks at the three copies of the JWT secret. A state file
// from before secret IDs were recorded is not judged.
func CheckSecret(ctx context.Context, st *State, envSecret, dbURL string) SecretCheck {
	sc := SecretCheck{Running: st.SecretID, EnvFile: SecretID(envSecret), OK: true}
	if st.SecretID == "" {
		return sc
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, dbURL); err != nil {
		sc.DatabaseErr = "cannot connect"
	} else {
		var s string
		if err := conn.QueryRow(ctx, "select secret from auth.jwt_secret").Scan(&s); err != nil {
			sc.DatabaseErr = "cannot read auth.jwt_secret"
		} else {
			sc.Database = SecretID(s)
		}
		conn.Close(ctx)
	}
	restart := "restart the stack so the API engine and Caddy use it: `stackctl down && stackctl up --detach`"
	switch {
	case sc.Database != "" && sc.Database != sc.Running:
		sc.OK, sc.Problem = false, fmt.Sprintf("the database signs tokens with another JWT secret than the running API engine and Caddy check (logins get tokens the gateway refuses): %s", restart)
	case sc.EnvFile != "" && sc.EnvFile != sc.Running:
		sc.OK, sc.Problem = false, fmt.Sprintf("JWT_SECRET in .env differs from the one the running API engine and Caddy use: %s", restart)
	}
	return sc
}
