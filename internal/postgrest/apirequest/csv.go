package apirequest

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/jsonstr"
)

// csvPayload reads a text/csv body as PostgREST v16.2 does (Payload.hs
// getPayload, csvToJson): cassava's decodeByName grammar — a header line,
// then records; fields unquoted or in double quotes ("" for a quote);
// lines end with \n, \r\n or \r; blank lines are skipped — each record
// becoming a JSON object of strings keyed by the header (zipped, so extra
// fields are dropped; a repeated name keeps the last), "NULL" becoming
// null. Records with fewer fields than the header fail the uniform-keys
// check. The loops are bounded by the body, which the server caps.
func csvPayload(body []byte) (*Payload, *apierr.Error) {
	p := &csvParser{b: body}
	rows, perr := p.document()
	if perr != nil {
		return nil, apierr.InvalidBody(perr.message(body))
	}
	if rows.uneven {
		return nil, apierr.InvalidBody("All lines must have same number of fields")
	}
	if rows.n == 0 {
		return &Payload{Kind: ProcessedJSON, Raw: []byte("[]")}, nil
	}
	return &Payload{Kind: ProcessedJSON, Raw: append(rows.buf.Bytes(), ']'), Keys: rows.keys}, nil
}

// csvParser is cassava's csvWithHeader (Data/Csv/Parser.hs, Encoding.hs)
// over a complete input.
type csvParser struct {
	b   []byte
	pos int
}

// csvError is an attoparsec failure: its message and where the input
// left over starts.
type csvError struct {
	msg string
	at  int
}

// message renders cassava's decodeWithP' error: "parse error (msg) at "
// and the rest of the input, shown as a Haskell string, or its first 100
// bytes and " (truncated)".
func (e *csvError) message(b []byte) string {
	left := b[min(e.at, len(b)):]
	if len(left) > 100 {
		return "parse error (" + e.msg + ") at " + string(left[:100]) + " (truncated)"
	}
	return "parse error (" + e.msg + ") at " + haskellShow(left)
}

func (p *csvParser) fail(msg string) *csvError {
	if p.pos >= len(p.b) {
		return &csvError{msg: "not enough input", at: p.pos}
	}
	return &csvError{msg: "Failed reading: " + msg, at: p.pos}
}

// document reads the header and the records, writing each record as a
// JSON object as it goes: a body's JSON is a few times its size, where
// holding its records as maps cost about a hundred times (1 MiB of short
// rows).
func (p *csvParser) document() (*csvRows, *csvError) {
	hdr, err := p.record(nil)
	if err != nil {
		return nil, err
	}
	if !p.endOfLine() {
		return nil, p.fail("satisfy")
	}
	rows := newCSVRows(hdr)
	var rec [][]byte
	for {
		rec, err = p.record(rec)
		if err != nil {
			return nil, err
		}
		if !(len(rec) == 1 && len(rec[0]) == 0) { // blankLine
			if err := rows.add(rec, p.pos); err != nil {
				return nil, err
			}
		}
		if p.pos >= len(p.b) {
			return rows, nil
		}
		if !p.endOfLine() {
			return nil, p.fail("satisfy")
		}
	}
}

// csvRows writes records as csvToJson's JSON array: each record zipped
// with the header (Types.toNamedRecord: extra fields dropped, a repeated
// name keeps its last field), names and values decoded as UTF-8, "NULL"
// as null, the keys in order (aeson encodes a Map sorted). The records
// must all have the same keys (the uniform-keys check); a record with k
// fields has the names of the header's first k, so two records have the
// same keys exactly when those prefixes have as many distinct names.
type csvRows struct {
	hdr      [][]byte
	distinct []int // distinct[k]: distinct names among hdr[:k]
	k        int   // fields of the first record, at most len(hdr)
	keys     []string
	fields   []int // fields[i]: the field keys[i] takes in a record of k fields
	n        int
	uneven   bool
	buf      bytes.Buffer
}

func newCSVRows(hdr [][]byte) *csvRows {
	c := &csvRows{hdr: hdr, distinct: make([]int, len(hdr)+1)}
	seen := make(map[string]bool, len(hdr))
	for i, h := range hdr {
		c.distinct[i+1] = c.distinct[i]
		if !seen[string(h)] {
			seen[string(h)] = true
			c.distinct[i+1]++
		}
	}
	c.buf.WriteByte('[')
	return c
}

// zip returns the sorted names of hdr[:k] and the field each takes.
func (c *csvRows) zip(k int) ([]string, []int) {
	last := make(map[string]int, k)
	for i := 0; i < k; i++ {
		last[string(c.hdr[i])] = i
	}
	keys := sortedKeys(last)
	fields := make([]int, len(keys))
	for i, name := range keys {
		fields[i] = last[name]
	}
	return keys, fields
}

func (c *csvRows) add(rec [][]byte, at int) *csvError {
	k := min(len(rec), len(c.hdr))
	for i := 0; i < k; i++ {
		for _, s := range [][]byte{c.hdr[i], rec[i]} {
			if !utf8.Valid(s) {
				return &csvError{msg: "Failed reading: conversion error: " + invalidUTF8(s), at: at}
			}
		}
	}
	if c.n == 0 {
		c.k = k
		c.keys, c.fields = c.zip(k)
	}
	c.n++
	if c.uneven = c.uneven || c.distinct[k] != c.distinct[c.k]; c.uneven {
		return nil // the document fails; parse it to the end for its parse errors first
	}
	keys, fields := c.keys, c.fields
	if k != c.k { // only with a repeated name: the same keys, other fields
		keys, fields = c.zip(k)
	}
	if c.n > 1 {
		c.buf.WriteByte(',')
	}
	c.buf.WriteByte('{')
	for i, name := range keys {
		if i > 0 {
			c.buf.WriteByte(',')
		}
		jsonstr.Write(&c.buf, name)
		c.buf.WriteByte(':')
		if v := rec[fields[i]]; string(v) == "NULL" {
			c.buf.WriteString("null")
		} else {
			jsonstr.Write(&c.buf, string(v))
		}
	}
	c.buf.WriteByte('}')
	return nil
}

func invalidUTF8(s []byte) string {
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n <= 1 {
			return fmt.Sprintf("Cannot decode byte '\\x%02x': Data.Text.Internal.Encoding: Invalid UTF-8 stream", s[0])
		}
		s = s[n:]
	}
	return "Invalid UTF-8 stream"
}

// endOfLine consumes \n, \r\n or \r.
func (p *csvParser) endOfLine() bool {
	switch {
	case p.pos < len(p.b) && p.b[p.pos] == '\n':
		p.pos++
	case p.pos < len(p.b) && p.b[p.pos] == '\r':
		p.pos++
		if p.pos < len(p.b) && p.b[p.pos] == '\n' {
			p.pos++
		}
	default:
		return false
	}
	return true
}

// record is fields separated by commas, up to a line end or anything else
// a field cannot hold; appended to out[:0] (the caller's buffer, reused
// from record to record).
func (p *csvParser) record(out [][]byte) ([][]byte, *csvError) {
	out = out[:0]
	for {
		f, err := p.field()
		if err != nil {
			return nil, err
		}
		out = append(out, f)
		if p.pos >= len(p.b) || p.b[p.pos] != ',' {
			return out, nil
		}
		p.pos++
	}
}

func (p *csvParser) field() ([]byte, *csvError) {
	if p.pos < len(p.b) && p.b[p.pos] == '"' {
		return p.escapedField()
	}
	start := p.pos
	for p.pos < len(p.b) && bytes.IndexByte([]byte("\",\n\r"), p.b[p.pos]) < 0 {
		p.pos++
	}
	return p.b[start:p.pos], nil
}

// escapedField is cassava's: scan to the first character after an odd
// run of quotes, drop the last character taken (the closing quote — or,
// at the end of an unterminated field, whatever it was), then turn ""
// into ".
func (p *csvParser) escapedField() ([]byte, *csvError) {
	p.pos++ // the opening quote
	start, afterQuote := p.pos, false
	for p.pos < len(p.b) {
		c := p.b[p.pos]
		if c != '"' && afterQuote {
			break
		}
		afterQuote = c == '"' && !afterQuote
		p.pos++
	}
	s := p.b[start:p.pos]
	if len(s) == 0 {
		return nil, &csvError{msg: "Failed reading: trailing double quote", at: p.pos}
	}
	s = s[:len(s)-1]
	if bytes.IndexByte(s, '"') < 0 {
		return s, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '"' {
			out = append(out, s[i])
			continue
		}
		switch {
		case i+1 >= len(s):
			return nil, &csvError{msg: "Failed reading: insufficient input", at: p.pos}
		case s[i+1] != '"':
			return nil, &csvError{msg: "Failed reading: invalid CSV escape sequence", at: p.pos}
		}
		out = append(out, '"')
		i++
	}
	return out, nil
}

// haskellShow renders bytes (as Latin-1 characters) like Haskell's show
// for a String.
func haskellShow(b []byte) string {
	var sb bytes.Buffer
	sb.WriteByte('"')
	numeric := false // the last escape was numeric: a digit needs \&
	for i, c := range b {
		switch {
		case c == '"':
			sb.WriteString(`\"`)
		case c == '\\':
			sb.WriteString(`\\`)
		case c >= 0x20 && c < 0x7f:
			if numeric && c >= '0' && c <= '9' {
				sb.WriteString(`\&`)
			}
			sb.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			name := asciiNames[min(int(c), 32)]
			if c == 0x7f {
				name = "DEL"
			}
			sb.WriteString(`\` + name)
			if name == "SO" && i+1 < len(b) && b[i+1] == 'H' {
				sb.WriteString(`\&`)
			}
		default:
			sb.WriteString(`\` + strconv.Itoa(int(c)))
		}
		numeric = c > 0x7f
	}
	sb.WriteByte('"')
	return sb.String()
}

var asciiNames = [...]string{"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "a", "b", "t", "n", "v", "f", "r", "SO", "SI",
	"DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US", "DEL"}
