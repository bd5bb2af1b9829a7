package authdb

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
)

// Session is one live session of a user: a refresh-token family with an
// unused, unexpired token (auth.session, migration 0007).
type Session struct {
	ID         string
	CreatedAt  time.Time
	LastUsedAt time.Time
	// UserAgent and IP are what the login or the last refresh sent (the
	// User-Agent header and the last X-Forwarded-For entry); "" when
	// unknown (sessions from before migration 0007, or no header).
	UserAgent string
	IP        string
}

// ErrSessionNotFound is returned for a session id the user has no live
// session with.
var ErrSessionNotFound = errors.New("no such session")

// liveSQL is true for a live session row s (migration 0007's auth.session_live).
const liveSQL = `exists (select from auth.refresh_token r
	where r.family = s.id and r.username = s.username and r.used_at is null and r.expires_at > now())`

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ValidateSessionID refuses what cannot be a session id (a UUID).
func ValidateSessionID(id string) error {
	if !uuidRe.MatchString(id) {
		return fmt.Errorf("%q is not a session id (a UUID, as `stackctl user sessions USER` prints)", id)
	}
	return nil
}

// ListSessions returns username's live sessions, most recently used first.
func ListSessions(ctx context.Context, db DB, username string) ([]Session, error) {
	var exists bool
	if err := db.QueryRow(ctx, "select exists (select from auth.user where username = $1)", username).Scan(&exists); err != nil {
		return nil, explain(err)
	}
	if !exists {
		return nil, fmt.Errorf("%w: %s", ErrUserNotFound, username)
	}
	rows, err := db.Query(ctx, `select s.id::text, s.created_at, s.last_used_at, coalesce(s.user_agent, ''), coalesce(s.ip, '')
		from auth.session s where s.username = $1 and `+liveSQL+`
		order by s.last_used_at desc, s.id`, username)
	if err != nil {
		return nil, explain(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Session, error) {
		var s Session
		err := r.Scan(&s.ID, &s.CreatedAt, &s.LastUsedAt, &s.UserAgent, &s.IP)
		return s, err
	})
	if err != nil {
		return nil, explain(err)
	}
	return out, nil
}

// RevokeSessions ends username's session id, or all of their sessions when
// id is "", and returns how many live sessions ended. Their refresh tokens
// go with them, and the API's pre-request function (auth.check_session)
// refuses their access tokens from then on. The user's row is locked
// first, as every token operation does (migration 0005).
func RevokeSessions(ctx context.Context, db DB, username, id string) (int64, error) {
	if id != "" {
		if err := ValidateSessionID(id); err != nil {
			return 0, err
		}
	}
	var n int64
	err := inTx(ctx, db, func(tx pgx.Tx) error {
		if err := lockUser(ctx, tx, username); err != nil {
			return err
		}
		var err error
		n, err = endSessions(ctx, tx, username, id)
		if err == nil && id != "" && n == 0 {
			err = fmt.Errorf("%w: %s has no live session %s (see `stackctl user sessions %s`); nothing changed", ErrSessionNotFound, username, id, username)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// endSessions deletes username's session id (all with ""), their refresh
// tokens going with them (on delete cascade; every token belongs to a
// session row), and returns how many of them were live. The caller holds
// the user's row lock.
func endSessions(ctx context.Context, tx pgx.Tx, username, id string) (int64, error) {
	var live int64
	err := tx.QueryRow(ctx, `with gone as (
			delete from auth.session s where s.username = $1 and ($2 = '' or s.id::text = lower($2))
			returning s.id)
		select count(*) filter (where exists (select from auth.refresh_token r
			where r.family = gone.id and r.used_at is null and r.expires_at > now())) from gone`, username, id).Scan(&live)
	if err != nil {
		return 0, explain(err)
	}
	return live, nil
}

// Printable replaces control and invisible characters in s (a user agent
// sent by any client) so that it cannot move a terminal's cursor.
func Printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return '?'
		}
		return r
	}, s)
}
