package queryparams

import (
	"encoding/json"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

// details is e's details as a string ("" for null).
func details(e *apierr.Error) string {
	var s string
	_ = json.Unmarshal(e.Details, &s)
	return s
}
