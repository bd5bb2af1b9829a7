package schemacache

import (
	"context"

	"github.com/authstack/authstack/internal/postgrest/mediatype"
)

// MediaHandler is a media type handler defined in the database
// (SchemaCache.hs mediaHandlers@v16.2): an aggregate over a relation's row
// type (or anyelement) whose result is a domain named after a media type,
// or a function returning such a domain. For a function, Func is the
// domain (the handler casts the function's value to it) and Target the
// function.
type MediaHandler struct {
	Func       QI
	Target     QI   // the relation or function the handler serves
	AnyElement bool // an aggregate over anyelement: serves every relation
	// Media is the media type it answers, Resolved the one it produces
	// (application/octet-stream for the "*/*" domain).
	Media, Resolved mediatype.MediaType
}

// handlerKey indexes handlers like PostgREST's MediaHandlerMap:
// (RelId target | RelAnyElement, media type).
type handlerKey struct {
	target     QI
	anyElement bool
	media      string // mediatype.MediaType.Key
}

// mediaHandlersSQL is PostgREST's mediaHandlers query (SchemaCache.hs
// @v16.2): media types are domains named type/subtype (or "*/*"); an
// aggregate of the exposed schemas with one argument, a relation's row type
// or anyelement, returning such a domain; or a function of the exposed
// schemas, not SETOF, returning one. Ordered so that the last of two
// handlers for the same key wins reproducibly (HM.fromList keeps the last).
const mediaHandlersSQL = `
with
all_relations as (
  select reltype from pg_class where relkind in ('v','r','m','f','p')
  union
  select oid from pg_type where typname = 'anyelement'
),
media_types as (
  select t.oid, lower(t.typname) as typname, t.typnamespace,
    case t.typname when '*/*' then 'application/octet-stream' else t.typname end as resolved_media_type
  from pg_type t
  join pg_type b on t.typbasetype = b.oid
  where t.typbasetype <> 0 and (t.typname ~* '^[A-Za-z0-9.-]+/[A-Za-z0-9.\+-]+$' or t.typname = '*/*')
)
select * from (
  select proc_schema.nspname::text as handler_schema, proc.proname::text as handler_name,
    arg_schema.nspname::text as target_schema, arg_name.typname::text as target_name,
    media_types.typname::text as media_type, media_types.resolved_media_type::text
  from media_types
  join pg_proc proc on proc.prorettype = media_types.oid
  join pg_namespace proc_schema on proc_schema.oid = proc.pronamespace
  join pg_aggregate agg on agg.aggfnoid = proc.oid
  join pg_type arg_name on arg_name.oid = proc.proargtypes[0]
  join pg_namespace arg_schema on arg_schema.oid = arg_name.typnamespace
  where proc_schema.nspname = any($1) and proc.pronargs = 1 and arg_name.oid in (select reltype from all_relations)
  union
  select typ_sch.nspname::text, mtype.typname::text, pro_sch.nspname::text, proname::text,
    mtype.typname::text, mtype.resolved_media_type::text
  from pg_proc proc
  join pg_namespace pro_sch on pro_sch.oid = proc.pronamespace
  join media_types mtype on proc.prorettype = mtype.oid
  join pg_namespace typ_sch on typ_sch.oid = mtype.typnamespace
  where pro_sch.nspname = any($1) and not proretset and prokind = 'f'
) h
order by 1, 2, 3, 4, 5, 6`

// loadMediaHandlers reads the handlers of the exposed schemas.
func (c *Cache) loadMediaHandlers(ctx context.Context, q Querier, schemas []string) error {
	rows, err := q.Query(ctx, mediaHandlersSQL, schemas)
	if err != nil {
		return err
	}
	defer rows.Close()
	c.mediaHandlers = map[handlerKey]*MediaHandler{}
	for rows.Next() {
		var h MediaHandler
		var media, resolved string
		if err := rows.Scan(&h.Func.Schema, &h.Func.Name, &h.Target.Schema, &h.Target.Name, &media, &resolved); err != nil {
			return err
		}
		h.Media, h.Resolved = mediatype.Decode(media), mediatype.Decode(resolved)
		// decodeMediaHandlers: pg_catalog.anyelement is RelAnyElement
		if h.Target == (QI{Schema: "pg_catalog", Name: "anyelement"}) {
			h.Target, h.AnyElement = QI{}, true
		}
		c.AddMediaHandler(h)
	}
	return rows.Err()
}

// AddMediaHandler registers a handler; a later one for the same target
// and media type replaces the earlier.
func (c *Cache) AddMediaHandler(h MediaHandler) {
	if c.mediaHandlers == nil {
		c.mediaHandlers = map[handlerKey]*MediaHandler{}
	}
	c.mediaHandlers[handlerKey{h.Target, h.AnyElement, h.Media.Key()}] = &h
}

// MediaHandler finds the handler of a relation or function (target) for a
// media type; a nil target looks for an anyelement aggregate.
func (c *Cache) MediaHandler(target *QI, m mediatype.MediaType) (*MediaHandler, bool) {
	k := handlerKey{anyElement: target == nil, media: m.Key()}
	if target != nil {
		k.target = *target
	}
	h, ok := c.mediaHandlers[k]
	return h, ok
}

// MediaHandlers lists the handlers of the database (for the admin and
// tests), in no particular order.
func (c *Cache) MediaHandlers() []MediaHandler {
	out := make([]MediaHandler, 0, len(c.mediaHandlers))
	for _, h := range c.mediaHandlers {
		out = append(out, *h)
	}
	return out
}

// MediaHandlerCount is the size of PostgREST's dbMediaHandlers: the
// handlers of the database united with the four builtin ones (anyelement
// for */*, application/json, text/csv, application/geo+json), which a
// database handler of the same key replaces (SchemaCache.hs showSummary).
func (c *Cache) MediaHandlerCount() int {
	n := len(c.mediaHandlers)
	for _, m := range []mediatype.MediaType{mediatype.MTAny, mediatype.MTJSON, mediatype.MTCSV, mediatype.MTGeoJSON} {
		if _, ok := c.MediaHandler(nil, m); !ok {
			n++
		}
	}
	return n
}
