// Package openapi builds the OpenAPI 2.0 (Swagger) document that
// PostgREST v16.2 serves on GET / (src/library/PostgREST/Response/OpenAPI.hs),
// from a description of the tables, views and functions the current role may
// use. The engine fills a Document from its schema cache (already filtered by
// privileges under openapi-mode=follow-privileges) and serves Build's output
// with Content-Type "application/openapi+json; charset=utf-8".
//
// Objects are encoded with sorted keys and without HTML escaping, as aeson
// encodes PostgREST's document.
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// FK is a single-column foreign key target.
type FK struct {
	Table, Column string
}

// Column is one column of a table or view.
type Column struct {
	Name string
	// Type is the type as format_type() prints it: "integer", "text",
	// "character varying", "timestamp with time zone", "text[]", "jsonb",
	// or a (possibly schema-qualified) enum/domain name.
	Type        string
	Description string // column comment, "" for none
	Nullable    bool
	HasDefault  bool
	Default     string // the default expression (pg_get_expr), "" for none
	PrimaryKey  bool
	ForeignKey  *FK
	Enum        []string // labels of an enum type
	MaxLen      *int     // character(n) / character varying(n)
}

// Table is a table, view, materialized view or foreign table.
type Table struct {
	Name        string
	Description string // comment, "" for none
	Columns     []Column
	Insertable  bool
	Updatable   bool
	Deletable   bool
}

// Param is one input argument of a function (OUT parameters excluded).
type Param struct {
	Name     string
	Type     string
	Required bool // no DEFAULT
	Variadic bool
}

// Function is a function callable through /rpc/<name>.
type Function struct {
	Name              string
	Description       string // comment, "" for none
	Params            []Param
	Volatility        string // "v", "s" or "i"
	ReturnsSet        bool
	SingleUnnamedJSON bool
}

// Document is the input of Build.
type Document struct {
	Schema           string
	SchemaComment    string
	SchemaHasComment bool
	// Host is "<host>:<port>" of the server (see HostPort).
	Host string
	// ServerProxyURI is openapi-server-proxy-uri; when set it gives the
	// scheme, host, port and base path.
	ServerProxyURI string
	Tables         []Table
	Functions      []Function
	// Version is info.version (PostgREST's prettyVersion), default "16.2".
	Version string
	// DocsVersion is the docs version in externalDocs, default "v16".
	DocsVersion string
	// SecurityActive is openapi-security-active.
	SecurityActive bool
}

// HostPort renders server-host and server-port as PostgREST does: the
// special host names "*", "*4", "!4", "*6", "!6" become 0.0.0.0.
func HostPort(host string, port int) string {
	switch host {
	case "*", "*4", "!4", "*6", "!6":
		host = "0.0.0.0"
	}
	return host + ":" + strconv.Itoa(port)
}

type obj = map[string]any

const (
	mimeJSON         = "application/json"
	mimeSingular     = "application/vnd.pgrst.object+json"
	mimeSingularNull = "application/vnd.pgrst.object+json;nulls=stripped"
	mimeCSV          = "text/csv"
	mimeOpenAPI      = "application/openapi+json"
)

// swaggerType maps a PostgreSQL type to a Swagger type ("" = no type, for
// json/jsonb).
func swaggerType(t string) string {
	switch t {
	case "character varying", "character", "text":
		return "string"
	case "boolean":
		return "boolean"
	case "smallint", "integer", "bigint":
		return "integer"
	case "numeric", "real", "double precision":
		return "number"
	case "json", "jsonb":
		return ""
	}
	if strings.HasSuffix(t, "[]") {
		return "array"
	}
	return "string"
}

// swaggerFormat is int32 for smallint/integer, int64 for bigint (v14.8+),
// and the type name otherwise.
func swaggerFormat(t string) string {
	switch t {
	case "smallint", "integer":
		return "int32"
	case "bigint":
		return "int64"
	}
	return t
}

func elemType(t string) string { return strings.TrimSuffix(t, "[]") }

// setType adds "type", "format" and, for arrays, "items" to a schema.
func setType(s obj, t string) {
	if st := swaggerType(t); st != "" {
		s["type"] = st
	}
	s["format"] = swaggerFormat(t)
	if swaggerType(t) == "array" {
		items := obj{}
		if et := swaggerType(elemType(t)); et != "" {
			items["type"] = et
		}
		s["items"] = items
	}
}

// parseDefault gives the JSON default of a column, or nil: string-typed
// columns strip a trailing ::<type> and surrounding quotes and become JSON
// strings; other defaults are used when they are JSON (42, 4.2, true).
func parseDefault(colType, def string) any {
	text := def
	if swaggerType(colType) == "string" {
		if d, ok := strings.CutSuffix(def, "::"+colType); ok {
			text = strings.Trim(d, "'")
		}
		text = `"` + text + `"`
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	if _, err := dec.Token(); err == nil {
		return nil // trailing data: not one JSON value
	}
	return v
}

// splitComment is PostgREST's summary/description split: the first line,
// and the rest with its leading newlines removed.
func splitComment(c string) (string, string) {
	first, rest, _ := strings.Cut(c, "\n")
	return first, strings.TrimLeft(rest, "\n")
}

func property(t Table, c Column) obj {
	s := obj{}
	setType(s, c.Type)
	if c.Default != "" {
		if d := parseDefault(c.Type, c.Default); d != nil {
			s["default"] = d
		}
	}
	notes := []string{"Note:"}
	if c.PrimaryKey {
		notes = append(notes, "This is a Primary Key.<pk/>")
	}
	if fk := c.ForeignKey; fk != nil {
		notes = append(notes, "This is a Foreign Key to `"+fk.Table+"."+fk.Column+"`.<fk table='"+fk.Table+"' column='"+fk.Column+"'/>")
	}
	switch {
	case len(notes) > 1 && c.Description != "":
		s["description"] = c.Description + "\n\n" + strings.Join(notes, "\n")
	case len(notes) > 1:
		s["description"] = strings.Join(notes, "\n")
	case c.Description != "":
		s["description"] = c.Description
	}
	if len(c.Enum) > 0 {
		s["enum"] = c.Enum
	}
	if c.MaxLen != nil {
		s["maxLength"] = *c.MaxLen
	}
	return s
}

func tableDefinition(t Table) obj {
	props := obj{}
	var required []string
	for _, c := range t.Columns {
		props[c.Name] = property(t, c)
		if !c.Nullable {
			required = append(required, c.Name)
		}
	}
	d := obj{"type": "object"}
	if len(props) > 0 {
		d["properties"] = props
	}
	if len(required) > 0 {
		d["required"] = required
	}
	if t.Description != "" {
		d["description"] = t.Description
	}
	return d
}

func ref(kind, name string) obj { return obj{"$ref": "#/" + kind + "/" + name} }

func preferParam(kinds ...string) obj {
	var enum []string
	for _, k := range kinds {
		switch k {
		case "count":
			enum = append(enum, "count=none")
		case "return":
			enum = append(enum, "return=representation", "return=minimal", "return=none")
		case "resolution":
			enum = append(enum, "resolution=ignore-duplicates", "resolution=merge-duplicates")
		}
	}
	p := obj{"name": "Prefer", "description": "Preference", "required": false, "in": "header", "type": "string"}
	if len(enum) > 0 {
		p["enum"] = enum
	}
	return p
}

func simpleParam(name, desc, in string) obj {
	return obj{"name": name, "description": desc, "required": false, "in": in, "type": "string"}
}

func parameterDefs(tables []Table) obj {
	rangeUnit := simpleParam("Range-Unit", "Limiting and Pagination", "header")
	rangeUnit["default"] = "items"
	defs := obj{
		"preferParams": preferParam("params"),
		"preferReturn": preferParam("return"),
		"preferCount":  preferParam("count"),
		"preferPost":   preferParam("return", "resolution"),
		"select":       simpleParam("select", "Filtering Columns", "query"),
		"on_conflict":  simpleParam("on_conflict", "On Conflict", "query"),
		"order":        simpleParam("order", "Ordering", "query"),
		"range":        simpleParam("Range", "Limiting and Pagination", "header"),
		"rangeUnit":    rangeUnit,
		"offset":       simpleParam("offset", "Limiting and Pagination", "query"),
		"limit":        simpleParam("limit", "Limiting and Pagination", "query"),
	}
	for _, t := range tables {
		defs["body."+t.Name] = obj{"name": t.Name, "description": t.Name, "required": false, "in": "body",
			"schema": ref("definitions", t.Name)}
		for _, c := range t.Columns {
			p := obj{"name": c.Name, "required": false, "in": "query", "type": "string"}
			if c.Description != "" {
				p["description"] = c.Description
			}
			defs["rowFilter."+t.Name+"."+c.Name] = p
		}
	}
	return defs
}

func refs(names ...string) []obj {
	out := make([]obj, len(names))
	for i, n := range names {
		out[i] = ref("parameters", n)
	}
	return out
}

func withSummary(op obj, comment string) obj {
	if comment == "" {
		return op
	}
	sum, desc := splitComment(comment)
	op["summary"] = sum
	if desc != "" {
		op["description"] = desc
	}
	return op
}

func tablePath(t Table) obj {
	var rowFilters []string
	for _, c := range t.Columns {
		rowFilters = append(rowFilters, "rowFilter."+t.Name+"."+c.Name)
	}
	op := func(params []string, responses obj) obj {
		o := obj{"tags": []string{t.Name}, "responses": responses}
		if len(params) > 0 {
			o["parameters"] = refs(params...)
		}
		return withSummary(o, t.Description)
	}
	item := obj{
		"get": op(append(append([]string(nil), rowFilters...), "select", "order", "range", "rangeUnit", "offset", "limit", "preferCount"),
			obj{
				"200": obj{"description": "OK", "schema": obj{"type": "array", "items": ref("definitions", t.Name)}},
				"206": obj{"description": "Partial Content"},
			}),
	}
	if t.Insertable || t.Updatable || t.Deletable {
		item["post"] = op([]string{"body." + t.Name, "select", "preferPost"}, obj{"201": obj{"description": "Created"}})
		item["patch"] = op(append(append([]string(nil), rowFilters...), "body."+t.Name, "preferReturn"), obj{"204": obj{"description": "No Content"}})
		item["delete"] = op(append(append([]string(nil), rowFilters...), "preferReturn"), obj{"204": obj{"description": "No Content"}})
	}
	return item
}

func procSchema(f Function) obj {
	props := obj{}
	var required []string
	for _, p := range f.Params {
		s := obj{}
		setType(s, p.Type)
		props[p.Name] = s
		if p.Required {
			required = append(required, p.Name)
		}
	}
	s := obj{"type": "object"}
	if len(props) > 0 {
		s["properties"] = props
	}
	if len(required) > 0 {
		s["required"] = required
	}
	if f.Description != "" {
		s["description"] = f.Description
	}
	return s
}

func procGetParam(p Param) obj {
	o := obj{"name": p.Name, "required": p.Required, "in": "query"}
	if p.Variadic {
		t := swaggerType(p.Type)
		if t == "" {
			t = "string"
		}
		o["type"] = t
		items := obj{"format": swaggerFormat(elemType(p.Type))}
		if et := swaggerType(elemType(p.Type)); et != "" {
			items["type"] = et
		}
		o["items"] = items
		o["collectionFormat"] = "multi"
		return o
	}
	o["format"] = swaggerFormat(p.Type)
	switch t := swaggerType(p.Type); t {
	case "array", "":
		o["type"] = "string"
	default:
		o["type"] = t
	}
	return o
}

func procPath(f Function) obj {
	op := func() obj {
		return withSummary(obj{
			"tags":      []string{"(rpc) " + f.Name},
			"produces":  []string{mimeJSON, mimeSingularNull, mimeSingular},
			"responses": obj{"200": obj{"description": "OK"}},
		}, f.Description)
	}
	post := op()
	post["parameters"] = []obj{
		{"name": "args", "required": true, "in": "body", "schema": procSchema(f)},
		ref("parameters", "preferParams"),
	}
	item := obj{"post": post}
	if f.Volatility != "v" {
		get := op()
		var params []obj
		for _, p := range f.Params {
			params = append(params, procGetParam(p))
		}
		if len(params) > 0 {
			get["parameters"] = params
		}
		item["get"] = get
	}
	return item
}

// endpoint returns scheme, host:port and base path.
func endpoint(d Document) (string, string, string, error) {
	if d.ServerProxyURI == "" {
		return "http", d.Host, "/", nil
	}
	u, err := url.Parse(d.ServerProxyURI)
	if err != nil || u.Host == "" || (strings.ToLower(u.Scheme) != "http" && strings.ToLower(u.Scheme) != "https") {
		return "", "", "", fmt.Errorf("malformed openapi-server-proxy-uri %q", d.ServerProxyURI)
	}
	scheme := strings.ToLower(u.Scheme)
	host := u.Hostname()
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	return scheme, net.JoinHostPort(host, port), path, nil
}

// Build renders the document as JSON.
func Build(d Document) ([]byte, error) {
	scheme, host, base, err := endpoint(d)
	if err != nil {
		return nil, err
	}
	version, docs := d.Version, d.DocsVersion
	if version == "" {
		version = "16.2"
	}
	if docs == "" {
		docs = "v16"
	}
	title, desc := "PostgREST API", "This is a dynamic API generated by PostgREST"
	if d.SchemaHasComment {
		title, desc = splitComment(d.SchemaComment)
	}
	paths := obj{"/": obj{"get": obj{
		"tags":      []string{"Introspection"},
		"summary":   "OpenAPI description (this document)",
		"produces":  []string{mimeOpenAPI, mimeJSON},
		"responses": obj{"200": obj{"description": "OK"}},
	}}}
	defs := obj{}
	for _, t := range d.Tables {
		paths["/"+t.Name] = tablePath(t)
		defs[t.Name] = tableDefinition(t)
	}
	for _, f := range d.Functions {
		paths["/rpc/"+f.Name] = procPath(f)
	}
	mimes := []string{mimeJSON, mimeSingularNull, mimeSingular, mimeCSV}
	doc := obj{
		"swagger":    "2.0",
		"info":       obj{"title": title, "description": desc, "version": version},
		"basePath":   base,
		"schemes":    []string{scheme},
		"consumes":   mimes,
		"produces":   mimes,
		"paths":      paths,
		"parameters": parameterDefs(d.Tables),
		"externalDocs": obj{
			"description": "PostgREST Documentation",
			"url":         "https://postgrest.org/en/" + docs + "/references/api.html",
		},
	}
	if host != "" {
		doc["host"] = host
	}
	if len(defs) > 0 {
		doc["definitions"] = defs
	}
	if d.SecurityActive {
		doc["securityDefinitions"] = obj{"JWT": obj{
			"type": "apiKey", "name": "Authorization", "in": "header",
			"description": `Add the token prepending "Bearer " (without quotes) to it`,
		}}
		doc["security"] = []obj{{"JWT": []string{}}}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
