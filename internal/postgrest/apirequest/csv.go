package apirequest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/authstack/authstack/internal/postgrest/apierr"
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
	if len(rows) == 0 {
		return &Payload{Kind: ProcessedJSON, Raw: []byte("[]")}, nil
	}
	keys := sortedKeys(rows[0])
	for _, r := range rows[1:] {
		if len(r) != len(keys) {
			return nil, apierr.InvalidBody("All lines must have same number of fields")
		}
		for _, k := range keys {
			if _, ok := r[k]; !ok {
				return nil, apierr.InvalidBody("All lines must have same number of fields")
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rows); err != nil {
		return nil, apierr.InvalidBody(err.Error())
	}
	return &Payload{Kind: ProcessedJSON, Raw: bytes.TrimRight(buf.Bytes(), "\n"), Keys: keys}, nil
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

func (p *csvParser) document() ([]map[string]any, *csvError) {
	hdr, err := p.record()
	if err != nil {
		return nil, err
	}
	if !p.endOfLine() {
		return nil, p.fail("satisfy")
	}
	var rows []map[string]any
	for {
		rec, err := p.record()
		if err != nil {
			return nil, err
		}
		if !(len(rec) == 1 && len(rec[0]) == 0) { // blankLine
			row, err := namedRecord(hdr, rec, p.pos)
			if err != nil {
				return nil, err
			}
			rows = append(rows, row)
		}
		if p.pos >= len(p.b) {
			return rows, nil
		}
		if !p.endOfLine() {
			return nil, p.fail("satisfy")
		}
	}
}

// namedRecord zips the header with the fields (Types.toNamedRecord), then
// decodes the names as UTF-8 (cassava's FromField Text) and the values
// (csvToJson's decodeUtf8); "NULL" is null.
func namedRecord(hdr, rec [][]byte, at int) (map[string]any, *csvError) {
	row := make(map[string]any, len(hdr))
	for i := 0; i < len(hdr) && i < len(rec); i++ {
		for _, s := range [][]byte{hdr[i], rec[i]} {
			if !utf8.Valid(s) {
				return nil, &csvError{msg: "Failed reading: conversion error: " + invalidUTF8(s), at: at}
			}
		}
		if string(rec[i]) == "NULL" {
			row[string(hdr[i])] = nil
		} else {
			row[string(hdr[i])] = string(rec[i])
		}
	}
	return row, nil
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
// a field cannot hold.
func (p *csvParser) record() ([][]byte, *csvError) {
	var out [][]byte
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
