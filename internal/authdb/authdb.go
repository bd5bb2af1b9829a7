// Package authdb administers the auth schema: users (auth.user), the demo
// seed and the stored JWT secret. It is what `stackctl user`, `stackctl
// seed` and `stackctl secret rotate` call; other packages may call it
// in-process with any pgx connection, pool or transaction.
package authdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authstack/authstack/postgres"
)

// DB is satisfied by *pgx.Conn, *pgxpool.Pool, *pgxpool.Conn and pgx.Tx.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// MaxPasswordBytes is the longest password bcrypt uses (auth.encrypt_pass
// rejects longer ones).
const MaxPasswordBytes = 72

// ErrNoSchema means the migrations have not been applied.
var ErrNoSchema = errors.New("the auth schema is missing: run `stackctl migrate up` first")

// ErrUserNotFound is returned for an unknown user name.
var ErrUserNotFound = errors.New("no such user")

// SeedDemo runs postgres/seed/demo.sql (idempotent): users demo/demo and
// alice/alice (basic_subscriber) and their tasks.
func SeedDemo(ctx context.Context, db DB) error {
	b, err := postgres.FS.ReadFile(postgres.SeedDir + "/demo.sql")
	if err != nil {
		return err
	}
	// One simple-protocol Exec: the whole file is one implicit transaction.
	if _, err := db.Exec(ctx, string(b), pgx.QueryExecModeSimpleProtocol); err != nil {
		return explain(err)
	}
	return nil
}

// ValidatePassword checks what can be checked before the database does.
func ValidatePassword(pw string) error {
	switch {
	case pw == "":
		return errors.New("password must not be empty")
	case len(pw) > MaxPasswordBytes:
		return fmt.Errorf("password is %d bytes; at most %d are allowed (bcrypt ignores the rest)", len(pw), MaxPasswordBytes)
	}
	return nil
}

// AddUser creates a user. The role must be one authenticator can switch to
// and not privileged (checked by the auth.user trigger).
func AddUser(ctx context.Context, db DB, username, password, role string) error {
	if err := ValidateUsername(username); err != nil {
		return err
	}
	if err := ValidateRole(role); err != nil {
		return err
	}
	if err := ValidatePassword(password); err != nil {
		return err
	}
	_, err := db.Exec(ctx, "insert into auth.user (username, password, role) values ($1, $2, $3)", username, password, role)
	if err != nil {
		if pe := pgError(err); pe != nil && pe.Code == "23505" {
			return fmt.Errorf("user %q already exists (use `stackctl user passwd` to change its password)", username)
		}
		return explain(err)
	}
	return nil
}

// SetPassword replaces a user's password and ends their sessions (their
// refresh tokens go with them; the API's pre-request function refuses
// their access tokens from then on, migration 0007). The user's row is
// locked first, as every token operation does (migration 0005), and the
// sessions are deleted in a later statement: at READ COMMITTED it sees the
// ones a refresh that held the lock committed meanwhile.
func SetPassword(ctx context.Context, db DB, username, password string) error {
	if err := ValidatePassword(password); err != nil {
		return err
	}
	return inTx(ctx, db, func(tx pgx.Tx) error {
		if err := lockUser(ctx, tx, username); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "update auth.user set password = $2 where username = $1", username, password); err != nil {
			return explain(err)
		}
		_, err := endSessions(ctx, tx, username, "")
		return err
	})
}

// SetRole changes a user's role (validated like AddUser).
func SetRole(ctx context.Context, db DB, username, role string) error {
	tag, err := db.Exec(ctx, "update auth.user set role = $2 where username = $1", username, role)
	if err != nil {
		return explain(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", ErrUserNotFound, username)
	}
	return nil
}

// DeleteUser deletes a user; their sessions and refresh tokens (and rows of
// tables with ON DELETE CASCADE, such as public.task) go with them. The row
// is locked first and the sessions deleted in a later statement, as in
// SetPassword.
func DeleteUser(ctx context.Context, db DB, username string) error {
	return inTx(ctx, db, func(tx pgx.Tx) error {
		if err := lockUser(ctx, tx, username); err != nil {
			return err
		}
		if _, err := endSessions(ctx, tx, username, ""); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "delete from auth.user where username = $1", username)
		return explain(err)
	})
}

// lockUser takes the row lock every token operation of username takes
// first (auth.lock_user, migration 0005).
func lockUser(ctx context.Context, tx pgx.Tx, username string) error {
	var n int
	err := tx.QueryRow(ctx, "select count(*) from (select from auth.user where username = $1 for no key update) u", username).Scan(&n)
	if err != nil {
		return explain(err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", ErrUserNotFound, username)
	}
	return nil
}

// inTx runs f in a transaction of db (a savepoint when db is a pgx.Tx).
func inTx(ctx context.Context, db DB, f func(pgx.Tx) error) error {
	b, ok := db.(interface {
		Begin(ctx context.Context) (pgx.Tx, error)
	})
	if !ok {
		return errors.New("authdb: the connection cannot begin a transaction")
	}
	return pgx.BeginFunc(ctx, b, f)
}

// User is one row of ListUsers.
type User struct {
	Username string
	Role     string
	// Sessions is the number of live sessions (refresh-token families with
	// an unused, unexpired token).
	Sessions int
	// RoleAllowed is false when the role was dropped or became privileged
	// after the user was created (such users cannot log in).
	RoleAllowed bool
}

// ListUsers lists users by name. It never reads password hashes.
func ListUsers(ctx context.Context, db DB) ([]User, error) {
	rows, err := db.Query(ctx, `select u.username, u.role::text,
		(select count(distinct r.family) from auth.refresh_token r where r.username = u.username and r.used_at is null and r.expires_at > now())::int,
		auth.role_allowed(u.role)
		from auth.user u order by u.username`)
	if err != nil {
		return nil, explain(err)
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) {
		var u User
		err := r.Scan(&u.Username, &u.Role, &u.Sessions, &u.RoleAllowed)
		return u, err
	})
	if err != nil {
		return nil, explain(err)
	}
	return users, nil
}

// RotateSecret stores a new JWT secret (standard base64, validated by the
// caller and by the table's check) and revokes every refresh token and
// session, so that every session ends. Run it in a transaction together with the .env
// update when possible (the table lock then lasts until that commit).
//
// The EXCLUSIVE lock on auth.refresh_token waits for every token operation
// in flight and holds off new ones until the commit, so no token inserted
// by a concurrent refresh or login survives; those waiting then find their
// token gone or read the new secret (migration 0005's auth.issue_tokens
// takes its lock before reading the secret).
func RotateSecret(ctx context.Context, db DB, secret string) (revoked int64, err error) {
	err = inTx(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "lock table auth.refresh_token in exclusive mode"); err != nil {
			return explain(err)
		}
		tag, err := tx.Exec(ctx, "update auth.jwt_secret set secret = $1, updated_at = now()", secret)
		if err != nil {
			return explain(err)
		}
		if tag.RowsAffected() != 1 {
			return ErrNoSchema
		}
		tag, err = tx.Exec(ctx, "delete from auth.refresh_token")
		if err != nil {
			return explain(err)
		}
		revoked = tag.RowsAffected()
		_, err = tx.Exec(ctx, "delete from auth.session")
		return explain(err)
	})
	if err != nil {
		return 0, err
	}
	return revoked, nil
}

// SecretUpdatedAt reports when the stored secret was last set.
func SecretUpdatedAt(ctx context.Context, db DB) (time.Time, error) {
	var t time.Time
	err := db.QueryRow(ctx, "select updated_at from auth.jwt_secret").Scan(&t)
	return t, explain(err)
}

func pgError(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// explain turns common PostgreSQL errors into messages that say what to do.
func explain(err error) error {
	pe := pgError(err)
	if pe == nil {
		return err
	}
	switch pe.Code {
	case "3F000", "42P01", "42883":
		if strings.Contains(pe.Message, "auth") || strings.Contains(pe.Message, "task") {
			return fmt.Errorf("%w (%s)", ErrNoSchema, pe.Message)
		}
	case "23514":
		switch pe.ConstraintName {
		case "user_username_check":
			return errors.New("username must be at least 3 characters")
		}
		return errors.New(pe.Message)
	case "23503":
		msg := pe.Message
		if pe.Hint != "" {
			msg += " (" + pe.Hint + ")"
		}
		return errors.New(msg)
	}
	return err
}
