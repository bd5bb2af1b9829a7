package postgrest

import (
	"strings"
)

// prefs is the parsed Prefer header (ApiRequest/Preferences.hs@v16.2).
type prefs struct {
	ret        string // minimal | headers-only | representation
	count      string // exact | planned | estimated
	tx         string // commit | rollback
	timezone   string
	missing    string // default
	resolution string // merge-duplicates | ignore-duplicates
	handling   string // lenient | strict
}

func parsePrefer(vals []string) prefs {
	var p prefs
	for _, v := range vals {
		for _, item := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(strings.TrimSpace(item), "=")
			k, val = strings.TrimSpace(k), strings.TrimSpace(val)
			switch k {
			case "return":
				if val == "minimal" || val == "headers-only" || val == "representation" {
					p.ret = val
				}
			case "count":
				if val == "exact" || val == "planned" || val == "estimated" {
					p.count = val
				}
			case "tx":
				if val == "commit" || val == "rollback" {
					p.tx = val
				}
			case "timezone":
				p.timezone = val
			case "missing":
				if val == "default" {
					p.missing = val
				}
			case "resolution":
				if val == "merge-duplicates" || val == "ignore-duplicates" {
					p.resolution = val
				}
			case "handling":
				if val == "lenient" || val == "strict" {
					p.handling = val
				}
			}
		}
	}
	return p
}

// applied renders Preference-Applied for the preferences the engine honoured,
// in PostgREST's fixed order.
func (p prefs) applied(ret, count, timezone bool) string {
	var out []string
	if ret && p.ret != "" {
		out = append(out, "return="+p.ret)
	}
	if count && p.count != "" {
		out = append(out, "count="+p.count)
	}
	if timezone && p.timezone != "" {
		out = append(out, "timezone="+p.timezone)
	}
	return strings.Join(out, ", ")
}
