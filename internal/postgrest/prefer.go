package postgrest

import (
	"github.com/authstack/authstack/internal/postgrest/query"
)

// prefs wraps the query package's Prefer parsing (db-tx-end is "commit":
// tx= is never honoured).
type prefs struct {
	query.Preferences
	ret, count string
}

func parsePrefer(vals []string) prefs {
	p := query.ParsePrefer(vals, false)
	return prefs{Preferences: p, ret: p.Return, count: p.Count}
}

// applied renders Preference-Applied for the preferences the engine
// honoured, in PostgREST's fixed order.
func (p prefs) applied(ret, count, timezone bool) string {
	return p.appliedWith("", ret, count, timezone)
}

// appliedWith is applied plus the resolution that was used ("" = none).
func (p prefs) appliedWith(resolution string, ret, count, timezone bool) string {
	a := query.Preferences{Handling: p.Handling, Resolution: resolution}
	if timezone {
		a.Timezone, a.HasTimezone = p.Timezone, true
	}
	if ret {
		a.Return = p.Return
	}
	if count {
		a.Count = p.Count
	}
	return a.AppliedHeader()
}

// appliedInsert is appliedWith for POST, which also reports missing=
// (Response.hs responsePreferences@v16.2: Create and Update).
func (p prefs) appliedInsert(resolution string, count, timezone bool) string {
	a := query.Preferences{Handling: p.Handling, Resolution: resolution, Return: p.Return, Missing: p.Missing}
	if timezone {
		a.Timezone, a.HasTimezone = p.Timezone, true
	}
	if count {
		a.Count = p.Count
	}
	return a.AppliedHeader()
}

// appliedMutation is applied for PATCH and DELETE, which also report
// max-affected, and for PATCH missing= (Response.hs responsePreferences).
func (p prefs) appliedMutation(count, timezone, patch bool) string {
	a := query.Preferences{Handling: p.Handling, Return: p.Return, MaxAffected: p.MaxAffected}
	if patch {
		a.Missing = p.Missing
	}
	if timezone {
		a.Timezone, a.HasTimezone = p.Timezone, true
	}
	if count {
		a.Count = p.Count
	}
	return a.AppliedHeader()
}
