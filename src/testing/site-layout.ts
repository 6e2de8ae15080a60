/**
 * Where a site keeps its functions, read the way Netlify reads it: netlify.toml's
 * `[functions] directory`, else the platform default `netlify/functions`. The redirects matter too: a
 * test that calls `/api/hello` reaches a function through a `[[redirects]]` rewrite, as in production.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseNetlifyToml, type RedirectRule } from '../server/netlify-toml.ts';
import { TestingError } from './errors.ts';

/** Netlify's default functions directory when netlify.toml names none. */
export const DEFAULT_FUNCTIONS_DIRECTORY = 'netlify/functions';

/** What the harness needs to know about a site. */
export interface SiteLayout {
  functionsDir: string;
  redirects: RedirectRule[];
}

/**
 * Reads `<siteDir>/netlify.toml` (synchronously, so `startSim()` can return at once). A missing file
 * means the defaults; an unreadable one is an error, never silently ignored.
 */
export function readSiteLayout(siteDir: string): SiteLayout {
  const root = path.resolve(siteDir);
  let text: string;
  try {
    text = readFileSync(path.join(root, 'netlify.toml'), 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
      return { functionsDir: path.join(root, DEFAULT_FUNCTIONS_DIRECTORY), redirects: [] };
    }
    throw new TestingError('INVALID_OPTIONS', `cannot read ${path.join(root, 'netlify.toml')}`, { cause: error });
  }
  const config = parseNetlifyToml(text);
  return { functionsDir: path.resolve(root, config.functionsDirectory ?? DEFAULT_FUNCTIONS_DIRECTORY), redirects: config.redirects };
}
