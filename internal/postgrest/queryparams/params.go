package queryparams

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

// ParseOptions describes the request whose query string is parsed.
type ParseOptions struct {
	// RPC is true when the target is /rpc/<fn>. With GET or HEAD, parameters
	// without an operator are then function arguments (Params.Args).
	RPC bool
	// Method is the HTTP method (GET, HEAD, POST, PATCH, PUT, DELETE, ...).
	Method string
	// RangeHeader is the value of the first Range request header ("" if none).
	// It is only honoured for GET, like PostgREST.
	RangeHeader string
}

// Params is the parsed query string of one request.
type Params struct {
	// Canonical is the query string sorted by key (PostgREST's
	// qsCanonical, used in Content-Location).
	Canonical string
	// Args are the RPC arguments of GET/HEAD /rpc calls, in query order
	// (repeated names are all kept; the last one wins for a scalar).
	Args []Arg
	// Select is the parsed select= (default "*").
	Select []SelectItem
	// Filters with an operator, in query order. RootFilters are those
	// without an embed path.
	Filters []Filter
	// FilterKeys are the names of every filter parameter, RPC arguments
	// included (QueryParams.hs qsFilterFields).
	FilterKeys []string
	// Logic holds and=/or= trees.
	Logic []Logic
	// Order holds order= parameters.
	Order []Order
	// Columns is columns= (nil when absent).
	Columns []string
	// OnConflict is on_conflict= (nil when absent).
	OnConflict []string
	// Ranges maps "limit" (top level) or "<embed>.limit" to the range from
	// limit/offset.
	Ranges map[string]Range
	// TopLevel is the effective top-level range: limit/offset intersected
	// with the Range header (GET only).
	TopLevel Range
}

type kv struct {
	key string
	val *string
}

// Parse parses a raw query string (without '?' or with it) and the
// Range header as PostgREST v16.2 does. Errors are *apierr.Error values: 400
// PGRST100 for syntax, 416 PGRST103 for ranges, 400 PGRST114 for
// limit/offset on PUT. Checks are made in PostgREST's order
// (QueryParams.hs parse, ApiRequest.hs getRanges).
func Parse(rawQuery string, opts ParseOptions) (*Params, error) {
	if len(rawQuery) > MaxQueryLength {
		return nil, errQueryTooLong()
	}
	if strings.Count(rawQuery, "&")+strings.Count(rawQuery, ";") >= MaxParams {
		return nil, errTooManyParams()
	}
	q := &qsParser{g: theGrammar(), pairs: splitQuery(rawQuery), opts: opts}
	for _, p := range q.pairs {
		if p.val != nil {
			q.nonEmpty = append(q.nonEmpty, p)
		}
	}
	q.out = &Params{Canonical: canonical(q.pairs), Ranges: map[string]Range{}}
	for _, step := range []func() *apierr.Error{q.orders, q.logic, q.columns, q.selects, q.filters, q.onConflict} {
		if e := step(); e != nil {
			return nil, e
		}
	}
	q.ranges()
	if e := q.topLevel(); e != nil {
		return nil, e
	}
	return q.out, nil
}

// qsParser holds one query string being parsed.
type qsParser struct {
	g        *grammar
	pairs    []kv
	nonEmpty []kv
	opts     ParseOptions
	out      *Params
}

func (q *qsParser) lookup(name string) (string, bool) {
	for _, p := range q.pairs {
		if p.key == name {
			if p.val == nil {
				return "", false
			}
			return *p.val, true
		}
	}
	return "", false
}

func lastWord(k string) string { return k[strings.LastIndexByte(k, '.')+1:] }

// isFilter: every parameter but the reserved ones is a filter (or, for a
// function read, an argument).
func isFilter(k string) bool {
	switch lastWord(k) {
	case "order", "limit", "offset", "and", "or":
		return false
	}
	switch k {
	case "select", "columns", "on_conflict":
		return false
	}
	return true
}

func (q *qsParser) orders() *apierr.Error {
	for _, p := range q.nonEmpty {
		if lastWord(p.key) != "order" {
			continue
		}
		if p.key == "order" {
			if terms, ok := fastOrder(*p.val); ok {
				q.out.Order = append(q.out.Order, Order{Terms: terms})
				continue
			}
		}
		tp, err := runParser(q.g.treePath, "tree path", p.key, p.key)
		if err != nil {
			return err.ToError()
		}
		v, err := runParser(q.g.order, "order", *p.val, *p.val)
		if err != nil {
			return err.ToError()
		}
		q.out.Order = append(q.out.Order, Order{Path: tp.(treePathResult).path, Terms: v.([]OrderTerm)})
	}
	return nil
}

func (q *qsParser) logic() *apierr.Error {
	for _, p := range q.nonEmpty {
		if w := lastWord(p.key); w != "and" && w != "or" {
			continue
		}
		lp, err := runParser(q.g.logicPath, "logic path", p.key, p.key)
		if err != nil {
			return err.ToError()
		}
		l := lp.(logicPathResult)
		v, err := runParser(q.g.logic, "logic tree", *p.val, l.op+*p.val)
		if err != nil {
			return err.ToError()
		}
		q.out.Logic = append(q.out.Logic, Logic{Path: l.path, Tree: v.(LogicTree)})
	}
	return nil
}

func (q *qsParser) columns() *apierr.Error {
	if c, ok := q.lookup("columns"); ok {
		v, err := runParser(q.g.columns, "columns parameter", c, c)
		if err != nil {
			return err.ToError()
		}
		q.out.Columns = v.([]string)
	}
	return nil
}

func (q *qsParser) selects() *apierr.Error {
	sel, ok := q.lookup("select")
	if !ok {
		sel = "*"
	}
	if items, ok := fastSelect(sel); ok {
		q.out.Select = items
		return nil
	}
	items, ok := fastEmbedSelect(sel)
	if !ok {
		v, err := runParser(q.g.forest, "select parameter", sel, sel)
		if err != nil {
			return err.ToError()
		}
		items = toSelectItems(v)
	}
	if countEmbeds(items) > MaxEmbeds {
		return errTooManyEmbeds()
	}
	if embedDepth(items) > MaxEmbedDepth {
		return errEmbedsTooDeep()
	}
	q.out.Select = items
	return nil
}

func (q *qsParser) filters() *apierr.Error {
	flt := q.g.filter
	if q.opts.RPC && (q.opts.Method == "GET" || q.opts.Method == "HEAD") {
		flt = q.g.rpcFilter // a value without an operator is an argument
	}
	for _, p := range q.nonEmpty {
		if !isFilter(p.key) {
			continue
		}
		q.out.FilterKeys = append(q.out.FilterKeys, p.key)
		if isPlainName(p.key) {
			if op, ok := fastFilter(*p.val); ok {
				q.out.Filters = append(q.out.Filters, Filter{Field: Field{Name: p.key}, Operation: op})
				continue
			}
		}
		tp, err := runParser(q.g.treePath, "tree path", p.key, p.key)
		if err != nil {
			return err.ToError()
		}
		o, err := runParser(flt, "filter", *p.val, *p.val)
		if err != nil {
			return err.ToError()
		}
		t := tp.(treePathResult)
		if o == nil {
			q.out.Args = append(q.out.Args, Arg{Name: t.field.Name, Value: *p.val})
			continue
		}
		q.out.Filters = append(q.out.Filters, Filter{Path: t.path, Field: t.field, Operation: o.(Operation)})
	}
	return nil
}

func (q *qsParser) onConflict() *apierr.Error {
	if c, ok := q.lookup("on_conflict"); ok {
		v, err := runParser(q.g.columns, "on_conflict parameter", c, c)
		if err != nil {
			return err.ToError()
		}
		q.out.OnConflict = v.([]string)
	}
	return nil
}

// ranges combines each path's limit and offset ("rel.offset" pairs with
// "rel.limit").
func (q *qsParser) ranges() {
	limits := map[string]Range{}
	offsets := map[string]Range{}
	for _, p := range q.nonEmpty {
		switch lastWord(p.key) {
		case "limit":
			var lim *int64
			if n, ok := readInteger(*p.val); ok {
				lim = &n
			}
			limits[p.key] = restrictRange(lim, AllRange())
		case "offset":
			k := p.key[:len(p.key)-len("offset")] + "limit"
			if n, ok := readInteger(*p.val); ok {
				offsets[k] = rangeGeq(n)
			} else {
				offsets[k] = AllRange()
			}
		}
	}
	for k, l := range limits {
		q.out.Ranges[k] = l
	}
	for k, o := range offsets {
		if l, ok := limits[k]; ok {
			n, _ := l.Limit()
			off := o.Offset()
			q.out.Ranges[k] = Range{low: off, high: off + n - 1}
		} else {
			q.out.Ranges[k] = o
		}
	}
}

// topLevel is the root's range: limit/offset intersected with the Range
// header (GET only), limit=0 kept as the empty range (ApiRequest.hs
// getRanges).
func (q *qsParser) topLevel() *apierr.Error {
	headerRange := AllRange()
	if q.opts.Method == "GET" {
		headerRange = ParseRangeHeader(q.opts.RangeHeader)
	}
	limitRange, ok := q.out.Ranges["limit"]
	if !ok {
		limitRange = AllRange()
	}
	top := intersect(headerRange, limitRange)
	if limitRange.hasLimitZero() {
		top = limitZeroRange()
	}
	q.out.Ranges["limit"] = top
	q.out.TopLevel = top
	if top.IsEmpty() && !limitRange.hasLimitZero() {
		if headerRange.IsEmpty() {
			return apierr.LowerGTUpper()
		}
		return apierr.NegativeLimit()
	}
	if q.opts.Method == "PUT" && !top.Equal(AllRange()) {
		return apierr.PutLimit()
	}
	return nil
}

// RootFilters returns the filters without an embed path (used by
// UPDATE/DELETE and the top-level WHERE).
func (p *Params) RootFilters() []Filter {
	var out []Filter
	for _, f := range p.Filters {
		if len(f.Path) == 0 {
			out = append(out, f)
		}
	}
	return out
}

// splitQuery splits like http-types' parseQueryReplacePlus True: pairs are
// separated by '&' or ';', '+' is a space, %XX is decoded.
func splitQuery(q string) []kv {
	q = strings.TrimPrefix(q, "?")
	var out []kv
	for q != "" {
		i := strings.IndexAny(q, "&;")
		var part string
		if i < 0 {
			part, q = q, ""
		} else {
			part, q = q[:i], q[i+1:]
		}
		k, v, hasEq := strings.Cut(part, "=")
		p := kv{key: urlDecode(k)}
		if hasEq && v != "" {
			d := urlDecode(v)
			p.val = &d
		} else if hasEq {
			empty := ""
			p.val = &empty
		}
		out = append(out, p)
	}
	return out
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func urlDecode(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s):
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, h<<4|l)
				i += 2
			} else {
				b = append(b, c)
			}
		default:
			b = append(b, c)
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// canonical renders the pairs sorted by key with Network.HTTP.Base's
// urlEncodeVars (values of repeated keys joined by ',').
func canonical(pairs []kv) string {
	sorted := append([]kv(nil), pairs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].key < sorted[j].key })
	var parts []string
	used := make([]bool, len(sorted))
	for i, p := range sorted {
		if used[i] {
			continue
		}
		var s strings.Builder
		s.WriteString(urlEncode(p.key) + "=" + urlEncode(deref(p.val)))
		for j := i + 1; j < len(sorted) && sorted[j].key == p.key; j++ { // equal keys are adjacent
			if !used[j] {
				used[j] = true
				s.WriteString("," + urlEncode(deref(sorted[j].val)))
			}
		}
		parts = append(parts, s.String())
	}
	return strings.Join(parts, "&")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// urlEncode is Network.HTTP.Base.urlEncode applied to the bytes of s, each
// byte taken as a character (as PostgREST does with BS.unpack): ASCII
// letters, digits and "-_.~" stay, other ASCII bytes become %XX, and bytes
// >= 0x80 are UTF-8 encoded as characters, then %XX-escaped.
func urlEncode(s string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-_.~", c) >= 0:
			b.WriteByte(c)
			continue
		}
		var buf [4]byte
		n := utf8.EncodeRune(buf[:], rune(c))
		for _, x := range buf[:n] {
			b.WriteByte('%')
			b.WriteByte(hexd[x>>4])
			b.WriteByte(hexd[x&15])
		}
	}
	return b.String()
}

// RangePath is the embed path of a "<path>.limit" range key: the tree path
// without its last word (QueryParams.hs pRequestRange).
func RangePath(key string) ([]string, *apierr.Error) {
	if key == "limit" {
		return nil, nil
	}
	tp, err := runParser(theGrammar().treePath, "tree path", key, key)
	if err != nil {
		return nil, err.ToError()
	}
	return tp.(treePathResult).path, nil
}
