/**
 * `[[redirects]]` rules from netlify.toml, every field Netlify reads (`@netlify/redirect-parser`'s
 * normalised form): the local server serves some of them, the rest are still parsed and listed.
 */
import { invalid, isTable, stringAt, type TomlTable } from './netlify-toml.ts';

/** One redirect or rewrite rule. Optional fields are absent when netlify.toml does not set them. */
export interface RedirectRule {
  from: string;
  to: string;
  /** Default 301, as on Netlify. 200 is a rewrite. */
  status: number;
  /** Apply even when a file exists at `from` (shadowing). Default false. */
  force?: boolean;
  /** Query parameters the request must carry, name to `:placeholder` or value. */
  query?: Record<string, string>;
  /** `Language`, `Country`, `Role`, `Cookie` conditions, each a list of accepted values. */
  conditions?: Record<string, string[]>;
  /** Headers added to a proxied request. */
  headers?: Record<string, string>;
  /** Name of an environment variable whose value signs a proxied request (JWS). */
  signed?: string;
}

/** Reads the `redirects` array of tables. Throws `CONFIG_INVALID` naming the entry and key that is wrong. */
export function parseRedirects(document: TomlTable): RedirectRule[] {
  const entries = document.redirects;
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) throw invalid('redirects', 'an array of tables ([[redirects]])');
  return entries.map((entry: unknown, index) => {
    const where = `redirects[${index}]`;
    if (!isTable(entry)) throw invalid(where, 'a table');
    const from = stringAt(entry, 'from', where);
    const to = stringAt(entry, 'to', where);
    if (from === undefined) throw invalid(`${where}.from`, 'set');
    if (to === undefined) throw invalid(`${where}.to`, 'set');
    const status = entry.status ?? 301;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
      throw invalid(`${where}.status`, 'an HTTP status code');
    }
    const rule: RedirectRule = { from, to, status };
    if (entry.force !== undefined) {
      if (typeof entry.force !== 'boolean') throw invalid(`${where}.force`, 'true or false');
      rule.force = entry.force;
    }
    const query = stringTable(entry.query, `${where}.query`);
    if (query) rule.query = query;
    const headers = stringTable(entry.headers, `${where}.headers`);
    if (headers) rule.headers = headers;
    const conditions = conditionTable(entry.conditions, `${where}.conditions`);
    if (conditions) rule.conditions = conditions;
    const signed = stringAt(entry, 'signed', where);
    if (signed !== undefined) rule.signed = signed;
    return rule;
  });
}

/**
 * Why the local server cannot honour a rule as written, or undefined if it can. Serving a conditional
 * rule unconditionally would answer requests production does not, so such rules are left out and listed.
 */
export function unservedReason(rule: RedirectRule): string | undefined {
  const unsupported = [rule.conditions && 'conditions', rule.query && 'query', rule.signed !== undefined && 'signed'].filter(Boolean);
  if (unsupported.length === 0) return undefined;
  return `not served: redirect ${rule.from} -> ${rule.to}: ${unsupported.join(', ')} not evaluated locally`;
}

function stringTable(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isTable(value)) throw invalid(where, 'a table of strings');
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw invalid(`${where}.${key}`, 'a string');
    out[key] = item;
  }
  return out;
}

function conditionTable(value: unknown, where: string): Record<string, string[]> | undefined {
  if (value === undefined) return undefined;
  if (!isTable(value)) throw invalid(where, 'a table');
  const out: Record<string, string[]> = {};
  for (const [key, item] of Object.entries(value)) {
    // Netlify accepts a single value too (`Country = "US"`) and normalises it to a list.
    if (typeof item === 'string') out[key] = [item];
    else if (Array.isArray(item) && item.every((v) => typeof v === 'string')) out[key] = item;
    else throw invalid(`${where}.${key}`, 'a string or an array of strings');
  }
  return out;
}
