// Package mediatype is PostgREST's MediaType.hs@v16.2: the media types the
// engine reads and produces, how Content-Type and Accept values decode into
// them, and how they print (toMime, toContentType).
package mediatype

import (
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind enumerates the media types PostgREST knows.
type Kind int

// The kinds of MediaType.hs, in its order.
const (
	JSON Kind = iota
	GeoJSON
	CSV
	TextPlain
	TextXML
	OpenAPI
	URLEncoded
	OctetStream
	Any
	Other
	VndArrayJSONStrip
	VndSingularJSON
	VndPlan
)

// PlanFormat is the format of application/vnd.pgrst.plan.
type PlanFormat int

// Plan formats.
const (
	PlanText PlanFormat = iota
	PlanJSON
)

// PlanOption is one EXPLAIN option of application/vnd.pgrst.plan.
type PlanOption string

// The plan options in the order PostgREST renders them.
const (
	PlanAnalyze  PlanOption = "analyze"
	PlanVerbose  PlanOption = "verbose"
	PlanSettings PlanOption = "settings"
	PlanBuffers  PlanOption = "buffers"
	PlanWAL      PlanOption = "wal"
)

var planOptions = []PlanOption{PlanAnalyze, PlanVerbose, PlanSettings, PlanBuffers, PlanWAL}

// MediaType is one decoded media type.
type MediaType struct {
	Kind  Kind
	Strip bool   // VndSingularJSON: ;nulls=stripped
	Text  string // Other: the media type as sent (parameters included)
	// VndPlan: the media type of the planned result, the format and options.
	For     *MediaType
	Format  PlanFormat
	Options []PlanOption
}

// Common values.
var (
	MTJSON        = MediaType{Kind: JSON}
	MTAny         = MediaType{Kind: Any}
	MTCSV         = MediaType{Kind: CSV}
	MTOpenAPI     = MediaType{Kind: OpenAPI}
	MTGeoJSON     = MediaType{Kind: GeoJSON}
	MTTextPlain   = MediaType{Kind: TextPlain}
	MTTextXML     = MediaType{Kind: TextXML}
	MTOctetStream = MediaType{Kind: OctetStream}
	MTURLEncoded  = MediaType{Kind: URLEncoded}
)

// Equal compares two media types.
func (m MediaType) Equal(o MediaType) bool { return m.Key() == o.Key() }

// Key is a string identifying m, for maps.
func (m MediaType) Key() string {
	switch m.Kind {
	case Other:
		return "other:" + m.Text
	case VndSingularJSON:
		if m.Strip {
			return "object:strip"
		}
		return "object"
	case VndPlan:
		return m.Mime()
	}
	return m.Mime()
}

// IsSingular is application/vnd.pgrst.object+json (with or without
// stripped nulls).
func (m MediaType) IsSingular() bool { return m.Kind == VndSingularJSON }

// Mime renders the media type as PostgREST's toMime.
func (m MediaType) Mime() string {
	switch m.Kind {
	case JSON:
		return "application/json"
	case VndArrayJSONStrip:
		return "application/vnd.pgrst.array+json;nulls=stripped"
	case GeoJSON:
		return "application/geo+json"
	case CSV:
		return "text/csv"
	case TextPlain:
		return "text/plain"
	case TextXML:
		return "text/xml"
	case OpenAPI:
		return "application/openapi+json"
	case VndSingularJSON:
		if m.Strip {
			return "application/vnd.pgrst.object+json;nulls=stripped"
		}
		return "application/vnd.pgrst.object+json"
	case URLEncoded:
		return "application/x-www-form-urlencoded"
	case OctetStream:
		return "application/octet-stream"
	case Any:
		return "*/*"
	case Other:
		return m.Text
	case VndPlan:
		s := "application/vnd.pgrst.plan+text"
		if m.Format == PlanJSON {
			s = "application/vnd.pgrst.plan+json"
		}
		forMT := MTJSON
		if m.For != nil {
			forMT = *m.For
		}
		s += `; for="` + forMT.Mime() + `"`
		if len(m.Options) > 0 {
			opts := make([]string, len(m.Options))
			for i, o := range m.Options {
				opts[i] = string(o)
			}
			s += "; options=" + strings.Join(opts, "|")
		}
		return s
	}
	return ""
}

// ContentType is the Content-Type header value (toContentType: a charset
// for all but octet-stream and other types).
func (m MediaType) ContentType() string {
	switch m.Kind {
	case OctetStream, Other:
		return m.Mime()
	}
	return m.Mime() + "; charset=utf-8"
}

// Decode reads a Content-Type or one Accept item (decodeMediaType).
func Decode(s string) MediaType {
	main, sub, params, ok := tokenize(s)
	if !ok {
		main, sub, params = s, "", nil
	}
	main, sub = strings.ToLower(main), strings.ToLower(sub)
	param := func(k string) (string, bool) {
		for _, p := range params {
			if p[0] == k {
				return p[1], true
			}
		}
		return "", false
	}
	stripped := func() bool { v, _ := param("nulls"); return v == "stripped" }
	switch {
	case main == "application" && sub == "json":
		return MTJSON
	case main == "application" && sub == "geo+json":
		return MTGeoJSON
	case main == "text" && sub == "csv":
		return MTCSV
	case main == "text" && sub == "plain":
		return MTTextPlain
	case main == "text" && sub == "xml":
		return MTTextXML
	case main == "application" && sub == "openapi+json":
		return MTOpenAPI
	case main == "application" && sub == "x-www-form-urlencoded":
		return MTURLEncoded
	case main == "application" && sub == "octet-stream":
		return MTOctetStream
	case main == "application" && (sub == "vnd.pgrst.plan" || sub == "vnd.pgrst.plan+text"):
		return decodePlan(PlanText, param)
	case main == "application" && sub == "vnd.pgrst.plan+json":
		return decodePlan(PlanJSON, param)
	case main == "application" && (sub == "vnd.pgrst.object+json" || sub == "vnd.pgrst.object"):
		return MediaType{Kind: VndSingularJSON, Strip: stripped()}
	case main == "application" && (sub == "vnd.pgrst.array+json" || sub == "vnd.pgrst.array"):
		if stripped() {
			return MediaType{Kind: VndArrayJSONStrip}
		}
		return MTJSON
	case main == "*" && sub == "*":
		return MTAny
	}
	return MediaType{Kind: Other, Text: s}
}

func decodePlan(f PlanFormat, param func(string) (string, bool)) MediaType {
	forText, ok := param("for")
	if !ok {
		forText = "application/json"
	}
	forMT := Decode(forText)
	optText, _ := param("options")
	opts := strings.Split(optText, "|")
	m := MediaType{Kind: VndPlan, For: &forMT, Format: f}
	for _, o := range planOptions {
		for _, g := range opts {
			if g == string(o) {
				m.Options = append(m.Options, o)
				break
			}
		}
	}
	return m
}

// tokenize splits "type/sub; k=v; k2=\"v2\"" as MediaType.hs
// tokenizeMediaType: anything after the parameters it can read is ignored;
// parameter names are lower-cased.
func tokenize(s string) (main, sub string, params [][2]string, ok bool) {
	i := 0
	take := func(pred func(rune) bool) string {
		start := i
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if !pred(r) {
				break
			}
			i += n
		}
		return s[start:i]
	}
	isAlnum := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	main = take(func(r rune) bool { return isAlnum(r) || r == '.' || r == '*' })
	if main == "" || i >= len(s) || s[i] != '/' {
		return "", "", nil, false
	}
	i++
	sub = take(func(r rune) bool { return isAlnum(r) || strings.ContainsRune(".*+-", r) })
	if sub == "" {
		return "", "", nil, false
	}
	for {
		save := i
		take(unicode.IsSpace)
		if i >= len(s) || s[i] != ';' {
			i = save
			break
		}
		i++
		take(unicode.IsSpace)
		key := take(func(r rune) bool { return isAlnum(r) || r == '-' })
		if key == "" {
			i = save
			break
		}
		take(unicode.IsSpace)
		if i >= len(s) || s[i] != '=' {
			i = save
			break
		}
		i++
		take(unicode.IsSpace)
		var val string
		if i < len(s) && s[i] == '"' {
			end := strings.IndexByte(s[i+1:], '"')
			if end >= 0 {
				val = s[i+1 : i+1+end]
				i += end + 2
			}
		}
		if val == "" {
			val = take(func(r rune) bool { return isAlnum(r) || r == '|' || r == '-' })
			if val == "" {
				i = save
				break
			}
		}
		params = append(params, [2]string{strings.ToLower(key), val})
	}
	return main, sub, params, true
}

// ParseAccept decodes an Accept header value as wai-extra's
// parseHttpAccept followed by decodeMediaType: items split on commas,
// spaces removed, ";q=…" cut off, sorted by q and then by specificity
// (semicolons minus stars), both descending and stable.
func ParseAccept(header string) []MediaType {
	if header == "" {
		return nil
	}
	type item struct {
		s    string
		q    float64
		spec int
	}
	var items []item
	for _, raw := range strings.Split(header, ",") {
		s := strings.ReplaceAll(raw, " ", "")
		q := 1.0
		if k := strings.Index(s, ";q="); k >= 0 {
			qs := s[k+3:]
			if j := strings.IndexByte(qs, ';'); j >= 0 {
				qs = qs[:j]
			}
			if v, ok := readDouble(qs); ok {
				q = v
			}
			s = s[:k]
		}
		items = append(items, item{s: s, q: q, spec: strings.Count(s, ";") - strings.Count(s, "*")})
	}
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].q != items[j].q {
			return items[i].q > items[j].q
		}
		return items[i].spec > items[j].spec
	})
	out := make([]MediaType, len(items))
	for i, it := range items {
		out[i] = Decode(it.s)
	}
	return out
}

// readDouble reads a leading Double as Haskell's reads does: an optional
// minus, digits, an optional fraction with digits, an optional exponent,
// or NaN/Infinity; the rest is ignored.
func readDouble(s string) (float64, bool) {
	i := 0
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, i = true, 1
	}
	switch {
	case strings.HasPrefix(s[i:], "NaN"):
		return nan(), true
	case strings.HasPrefix(s[i:], "Infinity"):
		if neg {
			return -inf(), true
		}
		return inf(), true
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	start := i
	if digits() == 0 {
		return 0, false
	}
	if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
		i++
		digits()
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		save := i
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			i = save
		}
	}
	v, err := strconv.ParseFloat(s[start:i], 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

func nan() float64 { return math.NaN() }
func inf() float64 { return math.Inf(1) }
