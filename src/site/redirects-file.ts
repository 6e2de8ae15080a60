/**
 * The `_redirects` file in the publish directory, one rule per line, as Netlify reads it
 * (`@netlify/redirect-parser`, line format): `from [query=:param ...] to [status[!]] [Key=v1,v2 ...]`.
 * Netlify applies its rules before netlify.toml's.
 */
import { readFile } from 'node:fs/promises';
import type { RedirectRule } from './redirects.ts';
import { SiteError } from './site-error.ts';

/** Reads `file`; a missing file has no rules. Throws `CONFIG_INVALID` naming the line that is wrong. */
export async function readRedirectsFile(file: string): Promise<RedirectRule[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'EISDIR')) return [];
    throw new SiteError('CONFIG_INVALID', `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return parseRedirectsFile(text, file);
}

export function parseRedirectsFile(text: string, fileName = '_redirects'): RedirectRule[] {
  const rules: RedirectRule[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fail = (why: string): SiteError => new SiteError('CONFIG_INVALID', `${fileName}:${index + 1}: ${why}`);
    // A trailing comment is allowed after the rule.
    const tokens = line.replace(/\s+#.*$/, '').split(/\s+/);
    const from = tokens.shift() as string;
    const query: Record<string, string> = {};
    while (tokens.length > 0 && isQueryToken(tokens[0] as string)) {
      const [name, value = ''] = (tokens.shift() as string).split('=', 2) as [string, string?];
      query[name] = value;
    }
    const to = tokens.shift();
    if (to === undefined) throw fail(`"${line}" has no destination`);
    const rule: RedirectRule = { from, to, status: 301 };
    const statusToken = tokens[0];
    if (statusToken !== undefined && /^\d{3}!?$/.test(statusToken)) {
      tokens.shift();
      rule.status = Number(statusToken.slice(0, 3));
      if (statusToken.endsWith('!')) rule.force = true;
    }
    const conditions: Record<string, string[]> = {};
    for (const token of tokens) {
      const eq = token.indexOf('=');
      if (eq <= 0) throw fail(`cannot read "${token}" (expected a status code or Key=value condition)`);
      conditions[token.slice(0, eq)] = token.slice(eq + 1).split(',');
    }
    if (Object.keys(query).length > 0) rule.query = query;
    if (Object.keys(conditions).length > 0) rule.conditions = conditions;
    rules.push(rule);
  }
  return rules;
}

/** A query condition sits between `from` and `to`: `name=value`, where a destination is a path or URL. */
function isQueryToken(token: string): boolean {
  return token.includes('=') && !token.startsWith('/') && !/^[a-z]+:\/\//i.test(token);
}
