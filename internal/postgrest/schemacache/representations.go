package schemacache

import "context"

// Data representations (SchemaCache.hs dataRepresentations@v16.2): the
// implicit casts, made with a function the role may execute, between a
// domain and json or text. A column of such a domain is presented through
// its domain→json function, filters parse their text values through
// text→domain and payloads their JSON through json→domain (Plan.hs
// withOutputFormat, withTextParse, withJsonParse).
const representationsSQL = `
select c.castsource::regtype::text, c.casttarget::regtype::text, c.castfunc::regproc::text
from pg_catalog.pg_cast c
join pg_catalog.pg_type src_t on c.castsource::oid = src_t.oid
join pg_catalog.pg_type dst_t on c.casttarget::oid = dst_t.oid
where c.castcontext = 'i' and c.castmethod = 'f' and has_function_privilege(c.castfunc, 'execute')
  and ((src_t.typtype = 'd' and c.casttarget in ('json'::regtype::oid, 'text'::regtype::oid))
    or (dst_t.typtype = 'd' and c.castsource in ('json'::regtype::oid, 'text'::regtype::oid)))`

// loadRepresentations reads the data representations; the types print as
// regtype does under the schema cache's voided search_path, like the
// columns' types (format_type).
func (c *Cache) loadRepresentations(ctx context.Context, q Querier, _ []string) error {
	rows, err := q.Query(ctx, representationsSQL)
	if err != nil {
		return err
	}
	defer rows.Close()
	c.representations = map[[2]string]string{}
	for rows.Next() {
		var src, dst, fn string
		if err := rows.Scan(&src, &dst, &fn); err != nil {
			return err
		}
		c.representations[[2]string{src, dst}] = fn
	}
	return rows.Err()
}

// Representation is the function that maps source to target, if any.
func (c *Cache) Representation(source, target string) (string, bool) {
	fn, ok := c.representations[[2]string{source, target}]
	return fn, ok
}

// RepresentationCount is the number of data representations.
func (c *Cache) RepresentationCount() int { return len(c.representations) }
