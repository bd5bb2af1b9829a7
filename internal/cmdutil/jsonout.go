package cmdutil

import (
	"encoding/json"
	"fmt"
	"io"
)

// CheckOutput validates an -o/--output value.
func CheckOutput(o string) error {
	if o != "text" && o != "json" {
		return fmt.Errorf("-o %s: use text or json", o)
	}
	return nil
}

// ErrString is the "error" field of a command's JSON report: null when
// the command succeeded.
func ErrString(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}

// WriteJSON writes v indented, one document followed by a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// JSONExit is what a command returns after writing its JSON report for
// err: the exit status text mode would have, with nothing more printed
// (the report's "error" field carries the message).
func JSONExit(err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: ExitCode(err)}
}
