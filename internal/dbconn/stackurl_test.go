package dbconn

import "testing"

func TestConnStringFallsBackToTheStackDatabase(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"DATABASE_URL wins", map[string]string{"DATABASE_URL": "postgres://x@h/d", "POSTGRES_PASSWORD": "p"}, "postgres://x@h/d"},
		{"stack defaults", map[string]string{"POSTGRES_PASSWORD": "p w/"}, "postgres://postgres:p%20w%2F@127.0.0.1:54329/app?sslmode=disable"},
		{"stack settings", map[string]string{"POSTGRES_PASSWORD": "p", "STACK_PG_PORT": "5555", "POSTGRES_DB": "db"}, "postgres://postgres:p@127.0.0.1:5555/db?sslmode=disable"},
		{"PG* variables win", map[string]string{"POSTGRES_PASSWORD": "p", "PGHOST": "/tmp"}, ""},
		{"no password", map[string]string{}, ""},
	}
	for _, tc := range cases {
		o := &Options{Getenv: env(tc.env)}
		if got := o.ConnString(); got != tc.want {
			t.Errorf("%s: ConnString = %q, want %q", tc.name, got, tc.want)
		}
	}
}
