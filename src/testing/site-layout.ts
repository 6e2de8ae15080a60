/**
 * Where a site keeps its functions, read the way Netlify reads netlify.toml: `[functions] directory`,
 * else `[build] functions`, else the platform default `netlify/functions`. The redirects matter too: a
 * test that calls `/api/hello` reaches a function through a `[[redirects]]` rewrite, as in production.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, type TomlTable } from 'smol-toml';
import type { RouteTable } from '../server/routes.ts';
import { TestingError } from './errors.ts';

/** Netlify's default functions directory when netlify.toml names none. */
export const DEFAULT_FUNCTIONS_DIRECTORY = 'netlify/functions';

/** A `[[redirects]]` rule, in the shape the server's route table reads. */
export type SiteRedirect = ConstructorParameters<typeof RouteTable>[1][number];

/** What the harness needs to know about a site. */
export interface SiteLayout {
  functionsDir: string;
  redirects: SiteRedirect[];
}

function table(value: unknown): TomlTable | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as TomlTable) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Reads `<siteDir>/netlify.toml`. A missing file means the defaults; one that cannot be read or parsed
 * is a `TestingError` (`INVALID_OPTIONS`), never silently ignored.
 */
export async function readSiteLayout(siteDir: string): Promise<SiteLayout> {
  const root = path.resolve(siteDir);
  const file = path.join(root, 'netlify.toml');
  let document: TomlTable = {};
  try {
    document = parse(await readFile(file, 'utf8'));
  } catch (error) {
    const missing = error instanceof Error && 'code' in error && error.code === 'ENOENT';
    if (!missing) throw new TestingError('INVALID_OPTIONS', `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const directory = text(table(document.functions)?.directory) ?? text(table(document.build)?.functions) ?? DEFAULT_FUNCTIONS_DIRECTORY;
  const redirects: SiteRedirect[] = [];
  for (const entry of Array.isArray(document.redirects) ? document.redirects : []) {
    const rule = table(entry);
    const from = text(rule?.from);
    const to = text(rule?.to);
    const status = rule?.status ?? 301;
    // Only what routing needs; a rule without from/to would be rejected by the server at startup too.
    if (from !== undefined && to !== undefined && typeof status === 'number') redirects.push({ from, to, status });
  }
  return { functionsDir: path.resolve(root, directory), redirects };
}
