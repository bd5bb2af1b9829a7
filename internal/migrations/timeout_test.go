package migrations_test

import (
	"context"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/migrations"
	"github.com/authstack/authstack/internal/pgtest"
)

func TestValidateStatementTimeout(t *testing.T) {
	for _, ok := range []string{"", "0", "10s", "500ms", "500", "2min", "1h", "596h"} {
		if err := migrations.ValidateStatementTimeout(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"10 s", "-1", "1e3", "abc", "10S", "01s", "1.5s", "10s;", "5d", "597h", "2147483648", "9999999999ms", "10s' ; drop role anon; --"} {
		if err := migrations.ValidateStatementTimeout(bad); err == nil {
			t.Errorf("%q accepted", bad)
		} else if !strings.Contains(err.Error(), "API_STATEMENT_TIMEOUT") {
			t.Errorf("%q: the error does not name the variable: %v", bad, err)
		}
	}
}

// A bad API_STATEMENT_TIMEOUT stops `migrate up` before anything runs.
func TestBadStatementTimeoutChangesNothing(t *testing.T) {
	url := pgtest.NewDatabase(t)
	err := migrations.Up(context.Background(), url, map[string]string{"JWT_SECRET": newSecret(t), "API_STATEMENT_TIMEOUT": "10 seconds"})
	if err == nil || !strings.Contains(err.Error(), "API_STATEMENT_TIMEOUT") {
		t.Fatalf("up with a bad timeout: %v", err)
	}
	var n int
	if err := pgtest.NewPool(t, url).QueryRow(context.Background(), "select (select count(*) from schema_migrations) + (select count(*) from pg_namespace where nspname = 'auth')").Scan(&n); err != nil || n != 0 {
		t.Errorf("the refused up changed the database (n=%d, %v)", n, err)
	}
}
