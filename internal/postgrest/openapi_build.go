package postgrest

import (
	"net"
	"strconv"

	"github.com/authstack/authstack/internal/postgrest/openapi"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// buildOpenAPI fills the openapi package's Document from the schema cache,
// keeping what the current role may use (openapi-mode=follow-privileges) or
// everything (ignore-privileges).
func (s *Server) buildOpenAPI(sc *schemacache.Cache, schema string, p *privs) ([]byte, error) {
	follow := s.conf().OpenAPIMode == "follow-privileges"
	type tp struct{ sel, ins, upd, del bool }
	tprivs := map[string]tp{}
	for _, t := range p.Tables {
		tprivs[t.Name] = tp{t.Select, t.Insert, t.Update, t.Delete}
	}
	fprivs := map[uint32]bool{}
	for _, oid := range p.Functions {
		fprivs[uint32(oid)] = true
	}
	doc := openapi.Document{Schema: schema, ServerProxyURI: s.conf().OpenAPIServerProxyURI, SecurityActive: s.conf().OpenAPISecurityActive}
	if c := sc.SchemaComments[schema]; c != nil {
		doc.SchemaComment, doc.SchemaHasComment = *c, true
	}
	port := s.conf().ServerPort
	if a, ok := s.boundAddr.Load().(string); ok {
		if _, ps, err := net.SplitHostPort(a); err == nil {
			if n, err := strconv.Atoi(ps); err == nil {
				port = n
			}
		}
	}
	doc.Host = openapi.HostPort(s.conf().ServerHost, port)
	for _, name := range sc.TableNames(schema) {
		t := sc.Tables[schema][name]
		pr := tprivs[name]
		if follow && !(pr.sel || pr.ins || pr.upd || pr.del) {
			continue
		}
		ot := openapi.Table{Name: t.Name, Description: t.Description,
			Insertable: t.Insertable && (!follow || pr.ins), Updatable: t.Updatable && (!follow || pr.upd),
			Deletable: t.Deletable && (!follow || pr.del)}
		for _, c := range t.Columns {
			oc := openapi.Column{Name: c.Name, Type: c.DataType, Description: c.Description, Nullable: c.Nullable,
				HasDefault: c.HasDefault, Default: c.Default, PrimaryKey: c.PrimaryKey, Enum: c.Enum, MaxLen: c.MaxLen}
			if ft, fc, ok := sc.ForeignKey(t, c.Name); ok {
				oc.ForeignKey = &openapi.FK{Table: ft, Column: fc}
			}
			ot.Columns = append(ot.Columns, oc)
		}
		doc.Tables = append(doc.Tables, ot)
	}
	for _, name := range sc.FunctionNames(schema) {
		var f *schemacache.Function
		for _, cand := range sc.Functions[schema][name] {
			if !follow || fprivs[cand.OID] {
				f = cand
				break
			}
		}
		if f == nil || hasUnnamedParams(f) {
			continue
		}
		of := openapi.Function{Name: f.Name, Description: f.Description, Volatility: f.Volatility, ReturnsSet: f.ReturnsSet,
			SingleUnnamedJSON: len(f.Params) == 1 && f.Params[0].Name == "" && (f.Params[0].Type == "json" || f.Params[0].Type == "jsonb")}
		types := p.ArgTypes[strconv.FormatUint(uint64(f.OID), 10)]
		for i, prm := range f.Params {
			typ := prm.Type
			if len(types) == len(f.Params) {
				typ = types[i]
			}
			of.Params = append(of.Params, openapi.Param{Name: prm.Name, Type: typ, Required: prm.Required, Variadic: prm.Variadic})
		}
		doc.Functions = append(doc.Functions, of)
	}
	return openapi.Build(doc)
}

// hasUnnamedParams is true for functions with an unnamed parameter.
// PostgREST lists them with "" as a parameter/property name, which is not
// a valid OpenAPI document (empty or duplicate names); they are left out
// here (docs/postgrest.md, known differences). They stay callable.
func hasUnnamedParams(f *schemacache.Function) bool {
	for _, p := range f.Params {
		if p.Name == "" {
			return true
		}
	}
	return false
}
