package queryparams

import (
	"strconv"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

// Preferences are the recognised values of the Prefer headers
// (ApiRequest/Preferences.hs). Empty strings mean "not given".
type Preferences struct {
	Resolution     string // "merge-duplicates" | "ignore-duplicates"
	Return         string // "representation" | "minimal" | "headers-only"
	Count          string // "exact" | "planned" | "estimated"
	Tx             string // "commit" | "rollback" (only when allowed by db-tx-end)
	Missing        string // "default" | "null"
	Handling       string // "strict" | "lenient"
	Timezone       string // the raw timezone=… value
	MaxAffected    *int64 // max-affected=<n>
	InvalidPrefs   []string
	HasTimezone    bool
	HasMaxAffected bool
}

// ParsePrefer parses all Prefer header values (each may hold several
// comma-separated preferences). The first occurrence of a preference wins,
// also across headers. allowTxOverride is db-tx-end's "-allow-override".
func ParsePrefer(headers []string, allowTxOverride bool) Preferences {
	var prefs []string
	for _, h := range headers {
		for _, p := range strings.Split(h, ",") {
			prefs = append(prefs, strings.TrimSpace(p))
		}
	}
	first := func(prefix string, vals ...string) string {
		for _, p := range prefs {
			for _, v := range vals {
				if p == prefix+v {
					return v
				}
			}
		}
		return ""
	}
	out := Preferences{
		Resolution: first("resolution=", "merge-duplicates", "ignore-duplicates"),
		Return:     first("return=", "representation", "minimal", "headers-only"),
		Count:      first("count=", "exact", "planned", "estimated"),
		Missing:    first("missing=", "default", "null"),
		Handling:   first("handling=", "strict", "lenient"),
	}
	if allowTxOverride {
		out.Tx = first("tx=", "commit", "rollback")
	}
	accepted := map[string]bool{}
	for _, a := range []string{"resolution=merge-duplicates", "resolution=ignore-duplicates",
		"return=representation", "return=minimal", "return=headers-only",
		"count=exact", "count=planned", "count=estimated", "tx=commit", "tx=rollback",
		"missing=default", "missing=null", "handling=strict", "handling=lenient"} {
		accepted[a] = true
	}
	for _, p := range prefs {
		if tz, ok := strings.CutPrefix(p, "timezone="); ok && !out.HasTimezone {
			out.Timezone, out.HasTimezone = tz, true
		}
	}
	for _, p := range prefs {
		if v, ok := strings.CutPrefix(p, "max-affected="); ok {
			// listStripPrefix takes the first occurrence, then readMaybe.
			if n, ok := readInteger(v); ok {
				out.MaxAffected, out.HasMaxAffected = &n, true
			}
			break
		}
	}
	for _, p := range prefs {
		if !accepted[p] && !strings.HasPrefix(p, "timezone=") && !strings.HasPrefix(p, "max-affected=") {
			out.InvalidPrefs = append(out.InvalidPrefs, p)
		}
	}
	return out
}

// StrictError is 400 PGRST122 when handling=strict is given together with
// unrecognised preferences; nil otherwise. PostgREST checks it after the
// read plan is built (after PGRST200/PGRST123 errors).
func (p Preferences) StrictError() *apierr.Error {
	if p.Handling != "strict" || len(p.InvalidPrefs) == 0 {
		return nil
	}
	return apierr.InvalidPreferences(strings.Join(p.InvalidPrefs, ", "))
}

// AppliedHeader renders Preference-Applied from the preferences that were
// applied, in PostgREST's fixed order: resolution, missing, return, count,
// tx, handling, timezone, max-affected (the latter only with
// handling=strict). Zero the fields that were not applied before calling.
// It returns "" when nothing applies (then send no header).
func (p Preferences) AppliedHeader() string {
	var vals []string
	add := func(prefix, v string) {
		if v != "" {
			vals = append(vals, prefix+v)
		}
	}
	add("resolution=", p.Resolution)
	add("missing=", p.Missing)
	add("return=", p.Return)
	add("count=", p.Count)
	add("tx=", p.Tx)
	add("handling=", p.Handling)
	if p.HasTimezone {
		vals = append(vals, "timezone="+p.Timezone)
	}
	if p.Handling == "strict" && p.MaxAffected != nil {
		vals = append(vals, "max-affected="+strconv.FormatInt(*p.MaxAffected, 10))
	}
	return strings.Join(vals, ", ")
}
