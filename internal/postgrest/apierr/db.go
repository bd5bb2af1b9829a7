package apierr

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// FromDB maps a failure of the request transaction; lost is true when the
// connection to PostgreSQL is gone (the server then reconnects).
func FromDB(err error, authenticated bool) (e *Error, lost bool) {
	var ae *Error
	if errors.As(err, &ae) {
		return ae, false
	}
	// A failure to connect comes first: the server's FATAL reply (57P03
	// "the database system is starting up" / "is shutting down", 53300 …)
	// is wrapped in it, and PostgREST (hasql's ConnectionUsageError)
	// answers every connection failure 503 PGRST000 (Error.hs@v16.2).
	if errors.Is(err, context.DeadlineExceeded) {
		return PoolTimeout(), false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return ConnectFailure(err), true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03":
			lost = true
		}
		return FromPg(pe, authenticated), lost
	}
	var ne net.Error
	if errors.As(err, &ne) || pgconn.SafeToRetry(err) || isConnErr(err) {
		return ConnectionError(err), true
	}
	return Internal(err), false
}

func isConnErr(err error) bool {
	msg := err.Error()
	for _, s := range []string{"conn closed", "connection refused", "unexpected EOF", "broken pipe", "connection reset", "failed to connect", "closed pool"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
