// Package secret generates the stack's secrets and writes them into .env.
package secret

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"

	"github.com/authstack/authstack/internal/dotenv"
)

// Names of the secrets in .env.
const (
	JWTSecret             = "JWT_SECRET"
	AuthenticatorPassword = "AUTHENTICATOR_PASSWORD"
	PostgresPassword      = "POSTGRES_PASSWORD"
)

// Passwords are filled when empty, never replaced (the database holds them).
var Passwords = []string{AuthenticatorPassword, PostgresPassword}

// NewJWTSecret returns 32 bytes from crypto/rand in standard padded base64.
func NewJWTSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// NewPassword returns 24 bytes from crypto/rand as unpadded base64url
// (32 characters, safe in URLs and .env without quoting).
func NewPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ExamplePath is the .env.example next to envPath, else the one in the
// current directory ("" when neither exists).
func ExamplePath(envPath string) string {
	for _, p := range []string{filepath.Join(filepath.Dir(envPath), ".env.example"), ".env.example"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// GenResult says what Gen did.
type GenResult struct {
	Created   bool     // .env did not exist
	FromFile  string   // the template used when created ("" = none)
	Written   []string // variables given new values
	KeptJWT   bool     // JWT_SECRET was set and not replaced (no force)
	Path      string
	ReplacedJ bool // JWT_SECRET replaced (force)
}

// Gen writes a new JWT_SECRET into envPath (creating it from .env.example
// when missing) unless one is set and force is false, and fills the other
// empty secrets. Every other line is kept.
func Gen(envPath string, force bool) (*GenResult, error) {
	tmpl := ExamplePath(envPath)
	f, created, err := dotenv.LoadOrCreate(envPath, tmpl)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", envPath, err)
	}
	res := &GenResult{Created: created, Path: envPath}
	if created {
		res.FromFile = tmpl
	}
	cur, _ := f.Get(JWTSecret)
	switch {
	case cur == "" || force:
		s, err := NewJWTSecret()
		if err != nil {
			return nil, err
		}
		if err := f.Set(JWTSecret, s); err != nil {
			return nil, err
		}
		res.Written = append(res.Written, JWTSecret)
		res.ReplacedJ = cur != ""
	default:
		res.KeptJWT = true
	}
	for _, k := range Passwords {
		if v, _ := f.Get(k); v == "" {
			p, err := NewPassword()
			if err != nil {
				return nil, err
			}
			if err := f.Set(k, p); err != nil {
				return nil, err
			}
			res.Written = append(res.Written, k)
		}
	}
	if len(res.Written) > 0 || created {
		if err := f.Save(); err != nil {
			return nil, err
		}
	}
	return res, nil
}
