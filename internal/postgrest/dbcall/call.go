package dbcall

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/query"
	"github.com/authstack/authstack/internal/postgrest/response"
)

// Result is the outcome of Call.
type Result struct {
	// Void is true when the function returns void (the engine answers 204).
	Void bool
	// Value is the decoded result (nil for void or SQL NULL).
	Value any
	// JSON is Value encoded as JSON ("null" for void/NULL).
	JSON []byte
	// Headers are the parsed response.headers, in order.
	Headers []response.Header
	// RawHeaders and RawStatus are the GUC values as read ("" when unset).
	RawHeaders, RawStatus string
	// Status is the parsed response.status, 0 when unset.
	Status int
}

// Values returns every value of header name (case-insensitive), in order.
func (r *Result) Values(name string) []string {
	var out []string
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			out = append(out, h.Value)
		}
	}
	return out
}

const voidOID = 2278

// Call runs `select <fn>(<name> := $n, …)` as the engine would for POST
// /rpc/<fn>, and commits. fn is "schema.name"; args are bound as
// parameters in name order. On a database error the transaction is rolled
// back and the error wraps the *pgconn.PgError (errors.As, or AsPgError).
func Call(ctx context.Context, conn Beginner, r Request, fn string, args map[string]any) (*Result, error) {
	q, vals, err := CallSQL(fn, args)
	if err != nil {
		return nil, err
	}
	tx, err := Begin(ctx, conn, r)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after Commit

	rows, err := tx.Query(ctx, q, vals...)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	if fd := rows.FieldDescriptions(); len(fd) == 1 && fd[0].DataTypeOID == voidOID {
		res.Void = true
	}
	for rows.Next() {
		if res.Void {
			continue
		}
		v, err := rows.Values()
		if err != nil {
			rows.Close()
			return nil, err
		}
		res.Value = v[0]
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if res.JSON, err = json.Marshal(res.Value); err != nil {
		return nil, fmt.Errorf("dbcall: encode result: %w", err)
	}
	if res.RawHeaders, res.RawStatus, err = ResponseGUCs(ctx, tx); err != nil {
		return nil, err
	}
	if err := res.parseGUCs(); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

// CallSQL builds the statement Call runs and its arguments.
func CallSQL(fn string, args map[string]any) (string, []any, error) {
	parts := strings.Split(fn, ".")
	if len(parts) > 2 || fn == "" {
		return "", nil, fmt.Errorf("dbcall: bad function name %q", fn)
	}
	for i, p := range parts {
		if p == "" {
			return "", nil, fmt.Errorf("dbcall: bad function name %q", fn)
		}
		parts[i] = query.Ident(p)
	}
	var sb strings.Builder
	sb.WriteString("select " + strings.Join(parts, ".") + "(")
	vals := make([]any, 0, len(args))
	for i, k := range sortedKeys(args) {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%s := $%d", query.Ident(k), i+1)
		vals = append(vals, args[k])
	}
	sb.WriteString(")")
	return sb.String(), vals, nil
}
