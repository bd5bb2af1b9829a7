package plan

import (
	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/fuzzy"
	"github.com/authstack/authstack/internal/postgrest/mediatype"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// fuzzyset's default minimum score (getOne, get).
const defaultMinScore = 0.33

// hintMinScore is PostgREST's minimum for table and function names
// (Error.hs getFuzzyHint).
const hintMinScore = 0.75

func fuzzyOne(values []string, q string) (string, bool) {
	return fuzzy.New(values).Best(q, defaultMinScore)
}

// fuzzyChild is the best match that is not the query itself.
func fuzzyChild(values []string, q string) (string, bool) {
	for _, m := range fuzzy.New(values).Matches(q, defaultMinScore) {
		if m.Score < 1 {
			return m.Value, true
		}
	}
	return "", false
}

// tableNotFound is 404 PGRST205 with a fuzzy hint (Error.hs
// tableNotFoundHint).
func tableNotFound(qi QI, sc *schemacache.Cache) *apierr.Error {
	hint := ""
	if best, ok := fuzzy.New(sc.TableNames(qi.Schema)).Best(qi.Name, hintMinScore); ok {
		hint = "Perhaps you meant the table '" + qi.Schema + "." + best + "'"
	}
	return apierr.TableNotFound(qi.Schema, qi.Name, hint)
}

// notAcceptable is 406 PGRST107 listing the accepted media types.
func notAcceptable(accepts []mediatype.MediaType) *apierr.Error {
	s := ""
	for i, m := range accepts {
		if i > 0 {
			s += ", "
		}
		s += m.Mime()
	}
	return apierr.NotAcceptable(s)
}
