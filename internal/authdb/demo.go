package authdb

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// DemoUsers are the users `seed demo` creates, each with its name as password.
var DemoUsers = []string{"demo", "alice"}

// DemoLogin says whether a demo user can still sign in with its demo
// password (not after `stackctl user passwd`, which seeding never undoes).
type DemoLogin struct {
	User         string
	Exists       bool
	DemoPassword bool
}

// DemoLogins checks each demo user's password with the same crypt() the
// login uses, so a report never claims a sign-in that would fail.
func DemoLogins(ctx context.Context, db DB) ([]DemoLogin, error) {
	rows, err := db.Query(ctx, `
		select v.u, u.username is not null, coalesce(u.password = public.crypt(v.u, u.password), false)
		from unnest($1::text[]) with ordinality v(u, n)
		left join auth.user u on u.username = v.u
		order by v.n`, DemoUsers)
	if err != nil {
		return nil, explain(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DemoLogin, error) {
		var d DemoLogin
		return d, r.Scan(&d.User, &d.Exists, &d.DemoPassword)
	})
	if err != nil {
		return nil, explain(err)
	}
	return out, nil
}
