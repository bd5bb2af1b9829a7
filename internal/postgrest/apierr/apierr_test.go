package apierr

import (
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// The SQLSTATE → HTTP table (Error.hs:545-597@v16.2).
func TestStatus(t *testing.T) {
	cases := []struct {
		code, msg string
		authed    bool
		want      int
	}{
		{"08006", "", true, 503}, {"09000", "", true, 500}, {"0L000", "", true, 403}, {"0P000", "", true, 403},
		{"23503", "", true, 409}, {"23505", "", true, 409}, {"25006", "", true, 405},
		{"21000", "UPDATE requires a WHERE clause", true, 400}, {"21000", "more than one row", true, 500},
		{"22023", `role "x" does not exist`, true, 401}, {"22023", "invalid value", true, 400},
		{"25P02", "", true, 500}, {"28P01", "", true, 403}, {"2D000", "", true, 500}, {"38000", "", true, 500},
		{"39000", "", true, 500}, {"3B000", "", true, 500}, {"40001", "", true, 500}, {"40P01", "", true, 500},
		{"53400", "", true, 500}, {"53300", "", true, 503}, {"54000", "", true, 500}, {"55P03", "", true, 500},
		{"57P01", "", true, 503}, {"57014", "", true, 500}, {"58000", "", true, 500}, {"F0000", "", true, 500},
		{"HV000", "", true, 500}, {"P0001", "", true, 400}, {"P0004", "", true, 500}, {"XX000", "", true, 500},
		{"42883", "function f() does not exist", true, 404}, {"42883", "function xmlagg(integer) does not exist", true, 406},
		{"42P01", "", true, 404}, {"42P17", "", true, 500}, {"42501", "", true, 403}, {"42501", "", false, 401},
		{"PT401", "", true, 401}, {"PT418", "", true, 418}, {"PT40A", "", true, 500}, {"PT4", "", true, 500},
		{"23502", "", true, 400}, {"22P02", "", true, 400}, {"42703", "", true, 400},
	}
	for _, c := range cases {
		if got := Status(c.code, c.msg, c.authed); got != c.want {
			t.Errorf("%s %q authed=%v: %d, want %d", c.code, c.msg, c.authed, got, c.want)
		}
	}
}

// Envelope, Proxy-Status and WWW-Authenticate on database 401s (§7.1, §7.3).
func TestWrite(t *testing.T) {
	e := FromPg(&pgconn.PgError{Code: "PT401", Message: "Invalid user or password"}, true)
	rec := httptest.NewRecorder()
	e.Write(rec)
	if rec.Code != 401 || rec.Body.String() != `{"code":"PT401","details":null,"hint":null,"message":"Invalid user or password"}` ||
		rec.Header().Get("WWW-Authenticate") != "Bearer" || rec.Header().Get("Proxy-Status") != "PostgREST; error=PT401" ||
		rec.Header().Get("Content-Length") != "80" {
		t.Fatalf("%d %s %v", rec.Code, rec.Body, rec.Header())
	}
	e = FromPg(&pgconn.PgError{Code: "PGRST", Message: `{"code":"X1","message":"m"}`, Detail: `{"status":401,"headers":{"X-A":"b"}}`}, true)
	if e.Status != 401 || e.Code != "X1" || e.Header.Get("WWW-Authenticate") != "" || e.Header.Get("X-A") != "b" {
		t.Fatalf("PGRST raise: %+v", e)
	}
	e = FromPg(&pgconn.PgError{Code: "PGRST", Message: `{"code":"X1","message":"m"}`}, true)
	if e.Code != "PGRST121" || string(e.Details) != `"DETAIL is missing in the RAISE statement"` {
		t.Fatalf("PGRST raise without detail: %+v", e)
	}
}

func TestNoHTMLEscaping(t *testing.T) {
	e := New(400, "X", "a < b & c > d", "<d>", "")
	if got := string(e.Body()); got != `{"code":"X","details":"<d>","hint":null,"message":"a < b & c > d"}` {
		t.Fatalf("%s", got)
	}
}
