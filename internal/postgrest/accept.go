package postgrest

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

// media is the negotiated JSON flavour of a response (MediaType.hs@v16.2):
// plain JSON, the singular object, and either with nulls stripped
// (application/vnd.pgrst.{object,array}[+json];nulls=stripped).
type media struct {
	singular, strip bool
}

// acceptItem is one media range of Accept after wai-extra's
// parseHttpAccept: spaces removed, ";q=…" cut off, sorted by q and then by
// specificity (semicolons minus stars), both descending, stable.
type acceptItem struct {
	raw    string // without the q parameter
	typ    string // lower-cased type/subtype
	params map[string]string
	q      float64
	spec   int
}

func parseAccept(vals []string) []acceptItem {
	var items []acceptItem
	for _, v := range vals {
		for _, it := range strings.Split(strings.ReplaceAll(v, " ", ""), ",") {
			if it == "" {
				continue
			}
			a := acceptItem{q: 1, params: map[string]string{}}
			raw, qs, hasQ := strings.Cut(it, ";q=")
			if hasQ {
				qv, _, _ := strings.Cut(qs, ";")
				if f, err := strconv.ParseFloat(qv, 64); err == nil {
					a.q = f
				} // unreadable q counts as 1 (readQ)
			}
			a.raw = raw
			a.spec = strings.Count(raw, ";") - strings.Count(raw, "*")
			parts := strings.Split(raw, ";")
			a.typ = strings.ToLower(parts[0])
			for _, p := range parts[1:] {
				k, val, _ := strings.Cut(p, "=")
				a.params[strings.ToLower(k)] = strings.Trim(val, `"`)
			}
			items = append(items, a)
		}
	}
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].q != items[j].q {
			return items[i].q > items[j].q
		}
		return items[i].spec > items[j].spec
	})
	return items
}

// pickMedia chooses the first acceptable media range (Plan/Negotiate.hs
// negotiateContent): application/json, */*, the vnd.pgrst object/array
// types (object only when allowSingular), or one of extra. No Accept
// header means JSON. Anything else is 406 PGRST107 listing the ranges.
func pickMedia(r *http.Request, allowSingular bool, extra ...string) (media, *apierr.Error) {
	vals := r.Header.Values("Accept")
	items := parseAccept(vals)
	if len(items) == 0 {
		return media{}, nil
	}
	var names []string
	for _, a := range items {
		strip := a.params["nulls"] == "stripped"
		switch a.typ {
		case "*/*", "application/json":
			return media{}, nil
		case singularType, "application/vnd.pgrst.object":
			if allowSingular {
				return media{singular: true, strip: strip}, nil
			}
		case "application/vnd.pgrst.array+json", "application/vnd.pgrst.array":
			return media{strip: strip}, nil
		}
		for _, x := range extra {
			if a.typ == x {
				return media{}, nil
			}
		}
		names = append(names, a.typ)
	}
	return media{}, apierr.NotAcceptable(strings.Join(names, ", "))
}
