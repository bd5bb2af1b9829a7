package authdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// DefaultSignupRole is the role of users created by POST /rpc/signup
// unless SIGNUP_ROLE says otherwise.
const DefaultSignupRole = "basic_subscriber"

// Signup is the opt-in sign-up's configuration (SIGNUP_ENABLED,
// SIGNUP_ROLE), applied by `stackctl migrate up` (migration 0008).
type Signup struct {
	Enabled bool
	Role    string
}

// ErrSignupUnavailable means the database lacks migration 0008.
var ErrSignupUnavailable = errors.New("the database has no sign-up support yet (migration 8): run `stackctl migrate up`")

// SignupError is a wrong SIGNUP_ENABLED or SIGNUP_ROLE: which variable,
// what is wrong (with the value) and the fix.
type SignupError struct {
	Var, Problem, Fix string
}

func (e *SignupError) Error() string { return e.Var + " " + e.Problem + ": " + e.Fix }

// SignupFromEnv reads SIGNUP_ENABLED (true/false, default false) and
// SIGNUP_ROLE (default basic_subscriber) with getenv, checking what can be
// checked without the database. The role's existence and privileges are
// checked by ConfigureSignup.
func SignupFromEnv(getenv func(string) string) (Signup, error) {
	s := Signup{Role: DefaultSignupRole}
	switch v := strings.ToLower(strings.TrimSpace(getenv("SIGNUP_ENABLED"))); v {
	case "", "false", "no", "off", "0":
	case "true", "yes", "on", "1":
		s.Enabled = true
	default:
		return s, &SignupError{Var: "SIGNUP_ENABLED", Problem: fmt.Sprintf("is %q, not true or false", getenv("SIGNUP_ENABLED")),
			Fix: "set SIGNUP_ENABLED=true to allow POST /rpc/signup, or false (the default)"}
	}
	if r := strings.TrimSpace(getenv("SIGNUP_ROLE")); r != "" {
		s.Role = r
	}
	if err := validateRoleName(s.Role); err != nil {
		return s, &SignupError{Var: "SIGNUP_ROLE", Problem: fmt.Sprintf("is %q, which %v", s.Role, err),
			Fix: "use a role users may have, e.g. the default " + DefaultSignupRole}
	}
	return s, nil
}

// validateRoleName refuses role names no user may have, before the
// database's own check (auth.role_allowed).
func validateRoleName(r string) error {
	switch {
	case len(r) > 63:
		return errors.New("is longer than PostgreSQL's 63-byte names")
	case r == AnonRole:
		return errors.New("is the role of requests without a token")
	case r == "authenticator" || r == "auth_owner" || strings.HasPrefix(r, "pg_"):
		return errors.New("is a role of the stack itself")
	}
	for _, c := range r {
		if unicode.IsControl(c) || unicode.IsSpace(c) {
			return errors.New("contains white space or control characters")
		}
	}
	return nil
}

// ConfigureSignup creates or drops auth.signup to match s and returns what
// changed: "enabled", "disabled", "role changed" or "unchanged". A role
// users may not have is refused and nothing changes.
func ConfigureSignup(ctx context.Context, db DB, s Signup) (string, error) {
	var ok bool
	if err := db.QueryRow(ctx, "select to_regprocedure('auth.configure_signup(boolean,text)') is not null").Scan(&ok); err != nil {
		return "", explain(err)
	}
	if !ok {
		return "", ErrSignupUnavailable
	}
	var changed string
	if err := db.QueryRow(ctx, "select auth.configure_signup($1, $2)", s.Enabled, s.Role).Scan(&changed); err != nil {
		if pe := pgError(err); pe != nil && pe.Code == "22023" {
			return "", fmt.Errorf("%s: %s; nothing changed", pe.Message, pe.Hint)
		}
		return "", explain(err)
	}
	return changed, nil
}
