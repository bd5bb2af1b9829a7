package postgrest

import (
	"encoding/json"

	"github.com/go-openapi/loads"
	"github.com/go-openapi/strfmt"
	"github.com/go-openapi/validate"
)

func validateSwagger(body string) error {
	d, err := loads.Analyzed(json.RawMessage(body), "")
	if err != nil {
		return err
	}
	return validate.Spec(d, strfmt.Default)
}
