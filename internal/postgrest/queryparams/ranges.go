package queryparams

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// Range is a range of row positions, as PostgREST's NonnegRange
// (Data.Ranged over Integer). The zero value is the range [0, 0].
type Range struct {
	empty   bool
	lowAll  bool // no lower bound (only in intermediate values)
	low     int64
	highAll bool // no upper bound
	high    int64
}

// AllRange is every row: [0, ∞).
func AllRange() Range { return Range{highAll: true} }

func rangeGeq(n int64) Range { return Range{low: n, highAll: true} }
func rangeLeq(n int64) Range { return Range{lowAll: true, high: n} }

func limitZeroRange() Range { return Range{low: 0, high: -1} }

// IsEmpty tells whether the range contains no position.
func (r Range) IsEmpty() bool {
	if r.empty {
		return true
	}
	if r.lowAll || r.highAll {
		return false
	}
	return r.high < r.low
}

// Equal is Data.Ranged equality: all empty ranges are equal.
func (r Range) Equal(o Range) bool {
	if r.IsEmpty() && o.IsEmpty() {
		return true
	}
	if r.IsEmpty() != o.IsEmpty() {
		return false
	}
	if r.lowAll != o.lowAll || (!r.lowAll && r.low != o.low) {
		return false
	}
	return r.highAll == o.highAll && (r.highAll || r.high == o.high)
}

func (r Range) hasLimitZero() bool { return !r.empty && !r.highAll && r.high == -1 }

// IsAll tells whether the range is [0, ∞) (no LIMIT/OFFSET needed).
func (r Range) IsAll() bool { return r.Equal(AllRange()) }

// Offset is the lower bound.
func (r Range) Offset() int64 {
	if r.empty || r.lowAll {
		return 0
	}
	return r.low
}

// Limit is the number of positions, when bounded.
func (r Range) Limit() (int64, bool) {
	if r.empty || r.lowAll || r.highAll {
		return 0, false
	}
	return 1 + r.high - r.low, true
}

// RestrictLimit applies a maximum number of rows (db-max-rows).
func (r Range) RestrictLimit(max int64) Range { return restrictRange(&max, r) }

func intersect(a, b Range) Range {
	if a.IsEmpty() || b.IsEmpty() {
		return Range{empty: true}
	}
	out := Range{}
	switch {
	case a.lowAll:
		out.lowAll, out.low = b.lowAll, b.low
	case b.lowAll:
		out.low = a.low
	default:
		out.low = max(a.low, b.low)
	}
	switch {
	case a.highAll:
		out.highAll, out.high = b.highAll, b.high
	case b.highAll:
		out.high = a.high
	default:
		out.high = min(a.high, b.high)
	}
	return out
}

func restrictRange(limit *int64, r Range) Range {
	if limit == nil {
		return r
	}
	return intersect(r, rangeLeq(sat(r.Offset()+*limit-1)))
}

func sat(n int64) int64 {
	const lim = 1 << 61
	if n > lim {
		return lim
	}
	if n < -lim {
		return -lim
	}
	return n
}

// readInteger is Haskell's readMaybe for Integer: surrounding spaces, an
// optional minus sign, decimal, 0x/0X hex or 0o/0O octal digits. Huge
// values saturate.
func readInteger(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "-") {
		neg = true
		s = strings.TrimLeft(s[1:], " \t")
	}
	base := 10
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		base, s = 16, s[2:]
	case len(s) > 2 && (s[:2] == "0o" || s[:2] == "0O"):
		base, s = 8, s[2:]
	}
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	n, ok := new(big.Int).SetString(s, base)
	if !ok {
		return 0, false
	}
	if neg {
		n.Neg(n)
	}
	if !n.IsInt64() {
		if n.Sign() > 0 {
			return 1 << 61, true
		}
		return -(1 << 61), true
	}
	return sat(n.Int64()), true
}

var rangeHeaderRe = regexp.MustCompile(`^([0-9]+)-([0-9]*)$`)

// ParseRangeHeader parses a Range header value such as "0-9" or "5-"; any
// other form (including units like "items=0-9") means all rows.
func ParseRangeHeader(h string) Range {
	m := rangeHeaderRe.FindStringSubmatch(h)
	if m == nil {
		return AllRange()
	}
	lo, ok := readInteger(m[1])
	lower := Range{empty: true}
	if ok {
		lower = rangeGeq(lo)
	}
	upper := AllRange()
	if hi, ok := readInteger(m[2]); ok {
		upper = rangeLeq(hi)
	}
	return intersect(lower, upper)
}

// ContentRange renders the Content-Range value "<lower>-<upper>/<total>":
// the range part is "*" when the total is 0 or lower > upper, the total
// is "*" when unknown (nil).
func ContentRange(lower, upper int64, total *int64) string {
	rng := "*"
	if (total == nil || *total != 0) && lower <= upper {
		rng = strconv.FormatInt(lower, 10) + "-" + strconv.FormatInt(upper, 10)
	}
	tot := "*"
	if total != nil {
		tot = strconv.FormatInt(*total, 10)
	}
	return rng + "/" + tot
}

// RangeStatus gives the status and Content-Range of a response returning
// queryTotal rows from the top-level range, with the exact/estimated total
// when one was counted: 200 without a total; with one, 416 when the offset
// is past the total, 206 when fewer rows than the total were returned, else
// 200. For 416 use apierr.OffsetOutOfBounds and Content-Range "*/<total>".
func RangeStatus(top Range, queryTotal int64, tableTotal *int64) (int, string) {
	lower := top.Offset()
	upper := lower + queryTotal - 1
	cr := ContentRange(lower, upper, tableTotal)
	if tableTotal == nil {
		return 200, cr
	}
	switch t := *tableTotal; {
	case lower > t:
		return 416, cr
	case 1+upper-lower < t:
		return 206, cr
	}
	return 200, cr
}

// ConvertToLimitZeroRange is limit=0's empty range when r has it, else
// fallback (RangeQuery.hs convertToLimitZeroRange).
func ConvertToLimitZeroRange(r, fallback Range) Range {
	if r.hasLimitZero() {
		return limitZeroRange()
	}
	return fallback
}
