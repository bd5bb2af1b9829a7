// Package fuzzy is a small fuzzy-set matcher in the manner of the Haskell
// fuzzyset package PostgREST uses for its "Perhaps you meant …" hints:
// n-gram cosine similarity (gram sizes 3 then 2) re-scored by normalised
// Levenshtein distance, with a minimum score.
package fuzzy

import (
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/agnivade/levenshtein"
)

// Set is a fuzzy set of strings. As in Haskell's fuzzyset, n-grams come
// from the normalized entry (lower case, only letters, digits, spaces and
// commas) while exact matches and Levenshtein scores use the lower-cased
// entry.
type Set struct {
	values []string
	lower  []string
	norm   []string
}

// New builds a set.
func New(values []string) *Set {
	s := &Set{}
	for _, v := range values {
		s.values = append(s.values, v)
		s.lower = append(s.lower, strings.ToLower(v))
		s.norm = append(s.norm, normalize(v))
	}
	return s
}

func normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSpace(r) || r == ',' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func grams(s string, n int) map[string]int {
	padded := []rune("-" + s + "-")
	for len(padded) < n {
		padded = append(padded, '-')
	}
	out := map[string]int{}
	for i := 0; i+n <= len(padded); i++ {
		out[string(padded[i:i+n])]++
	}
	return out
}

func norm2(g map[string]int) float64 {
	var s float64
	for _, c := range g {
		s += float64(c * c)
	}
	return math.Sqrt(s)
}

// Match is one value with its score (1 is an exact match).
type Match struct {
	Score float64
	Value string
}

// Best returns the best value scoring at least minScore.
func (s *Set) Best(query string, minScore float64) (string, bool) {
	ms := s.Matches(query, minScore)
	if len(ms) == 0 {
		return "", false
	}
	return ms[0].Value, true
}

// Matches returns the values scoring at least minScore, best first, as
// fuzzyset's get: an exact match (case-insensitive) alone with score 1.
func (s *Set) Matches(query string, minScore float64) []Match {
	if s == nil || len(s.values) == 0 {
		return nil
	}
	ql := strings.ToLower(query)
	for i, l := range s.lower {
		if l == ql {
			return []Match{{1, s.values[i]}}
		}
	}
	q := normalize(query)
	for size := 3; size >= 2; size-- {
		qg := grams(q, size)
		qn := norm2(qg)
		var ms []Match
		idx := map[string]int{}
		for i, n := range s.norm {
			vg := grams(n, size)
			dot := 0
			for g, c := range qg {
				dot += c * vg[g]
			}
			if dot == 0 {
				continue
			}
			idx[s.values[i]] = i
			ms = append(ms, Match{float64(dot) / (qn * norm2(vg)), s.values[i]})
		}
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].Score > ms[j].Score })
		if len(ms) > 50 {
			ms = ms[:50]
		}
		for i := range ms {
			a := s.lower[idx[ms[i].Value]]
			l := max(len([]rune(a)), len([]rune(ql)))
			ms[i].Score = 1 - float64(levenshtein.ComputeDistance(a, ql))/float64(l)
		}
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].Score > ms[j].Score })
		var out []Match
		for _, m := range ms {
			if m.Score >= minScore {
				out = append(out, m)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}
