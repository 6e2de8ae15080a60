/**
 * Header fields in the order and shape a web `Headers` iterates them, built without one: the server
 * and the v1 mapping produce them once per request on the busiest thread, where a `Headers` object
 * (and the `Request` or `Response` around it) was a measurable part of the cost.
 */

/**
 * Turns header fields (lower-case name → values in arrival order) into `Headers` iteration order:
 * names sorted, repeated fields joined with ", ", except `set-cookie`, which keeps one entry per value
 * (a cookie may itself contain ", ").
 */
export function headerList(fields: ReadonlyMap<string, readonly string[]>): Array<[string, string]> {
  const list: Array<[string, string]> = [];
  for (const name of [...fields.keys()].sort()) {
    const values = fields.get(name) ?? [];
    if (name === 'set-cookie') for (const value of values) list.push([name, value]);
    else list.push([name, values.join(', ')]);
  }
  return list;
}
