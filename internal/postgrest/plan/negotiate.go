package plan

import (
	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/apirequest"
	"github.com/authstack/authstack/internal/postgrest/mediatype"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// HandlerKind is how the result rows become the body
// (SchemaCache/Routine.hs MediaHandler@v16.2).
type HandlerKind int

// Handler kinds.
const (
	AggSingleJSON     HandlerKind = iota // application/vnd.pgrst.object+json
	AggArrayJSONStrip                    // application/vnd.pgrst.array+json;nulls=stripped
	OvAggJSON                            // application/json (overridable)
	OvAggGeoJSON                         // application/geo+json
	OvAggCSV                             // text/csv
	CustomFunc                           // an aggregate or function of the database
	NoAgg                                // no body
)

// Handler is the negotiated media handler.
type Handler struct {
	Kind  HandlerKind
	Strip bool // AggSingleJSON: nulls stripped
	Func  QI   // CustomFunc
	// Target is the relation a custom handler is for; nil for anyelement.
	Target *QI
}

type resolved struct {
	h  Handler
	mt mediatype.MediaType
}

// builtinHandlers are the handlers every relation has (SchemaCache.hs
// initialMediaHandlers): JSON for application/json and */*.
func builtinHandler(mt mediatype.MediaType) (resolved, bool) {
	switch mt.Kind {
	case mediatype.Any, mediatype.JSON:
		return resolved{Handler{Kind: OvAggJSON}, mediatype.MTJSON}, true
	}
	return resolved{}, false
}

// negotiate picks the first accepted media type that has a handler
// (Plan/Negotiate.hs negotiateContent). The vendored JSON types cannot be
// overridden; HEAD and writes without a representation need no body.
func negotiate(a *apirequest.ApiRequest, qi QI, sc *schemacache.Cache, defaultSelect bool, o Options) (Handler, mediatype.MediaType, *apierr.Error) {
	for _, m := range a.Accept {
		r, ok := matchMedia(m, o)
		if !ok {
			continue
		}
		switch {
		case a.Action == apirequest.RelationMut && a.Prefs.Return != "representation":
			r.h = Handler{Kind: NoAgg}
		case a.HeadersOnly && (a.Action == apirequest.RelationRead || a.Action == apirequest.Routine):
			r.h = Handler{Kind: NoAgg}
		}
		return r.h, r.mt, nil
	}
	return Handler{}, mediatype.MediaType{}, notAcceptable(a.Accept)
}

func matchMedia(m mediatype.MediaType, o Options) (resolved, bool) {
	switch m.Kind {
	case mediatype.VndSingularJSON:
		return resolved{Handler{Kind: AggSingleJSON, Strip: m.Strip}, m}, true
	case mediatype.VndArrayJSONStrip:
		return resolved{Handler{Kind: AggArrayJSONStrip}, m}, true
	case mediatype.VndPlan:
		if !o.PlanEnabled {
			return resolved{}, false
		}
		switch m.For.Kind {
		case mediatype.VndSingularJSON:
			return resolved{Handler{Kind: AggSingleJSON, Strip: m.For.Strip}, m}, true
		case mediatype.VndArrayJSONStrip:
			return resolved{Handler{Kind: AggArrayJSONStrip}, m}, true
		}
		r, ok := builtinHandler(*m.For)
		return resolved{r.h, m}, ok
	}
	return builtinHandler(m)
}
