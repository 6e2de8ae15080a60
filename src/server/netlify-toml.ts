import { readFile } from 'node:fs/promises';
import { ServerError } from './errors.ts';

/** One `[[redirects]]` entry from netlify.toml, as far as the local server uses it. */
export interface RedirectRule {
  from: string;
  to: string;
  status: number;
}

/** What the local server reads from netlify.toml. */
export interface NetlifyConfig {
  /** `[functions] directory`, relative to the project root as written. */
  functionsDirectory?: string;
  redirects: RedirectRule[];
  /** Entries the server cannot honour, with the reason, so it can say so at startup. */
  skipped: string[];
}

type TomlValue = string | number | boolean;

/**
 * Parses the small subset of TOML that netlify.toml uses for functions and redirects: `[table]`,
 * `[[array-of-tables]]`, and `key = "string" | number | boolean` lines with `#` comments.
 *
 * Why not a full TOML parser: the project has none as a direct dependency, and the server only needs
 * two keys. Anything more complex (inline tables such as `conditions`, arrays) is reported in
 * `skipped` instead of being half-understood.
 */
export function parseNetlifyToml(text: string): NetlifyConfig {
  const config: NetlifyConfig = { redirects: [], skipped: [] };
  let section = '';
  let redirect: Map<string, TomlValue> | undefined;
  const redirectTables: Map<string, TomlValue>[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, rawLine] of lines.entries()) {
    const line = stripComment(rawLine).trim();
    if (line === '') continue;
    const arrayTable = /^\[\[\s*([\w.-]+)\s*\]\]$/.exec(line);
    const table = /^\[\s*([\w.-]+)\s*\]$/.exec(line);
    if (arrayTable?.[1] !== undefined) {
      section = arrayTable[1];
      redirect = section === 'redirects' ? new Map() : undefined;
      if (redirect) redirectTables.push(redirect);
      continue;
    }
    if (table?.[1] !== undefined) {
      section = table[1];
      redirect = undefined;
      continue;
    }
    const pair = /^([\w.-]+)\s*=\s*(.+)$/.exec(line);
    if (pair?.[1] === undefined || pair[2] === undefined) {
      // Multi-line values belong to sections the server ignores (build plugins, headers...).
      if (section === 'redirects' || section === 'functions') {
        config.skipped.push(`netlify.toml line ${index + 1}: cannot read "${line}"`);
      }
      continue;
    }
    const key = pair[1];
    const value = parseScalar(pair[2]);
    if (section === 'functions' && key === 'directory') {
      if (typeof value !== 'string') throw new ServerError('CONFIG_INVALID', `netlify.toml line ${index + 1}: [functions] directory must be a string`);
      config.functionsDirectory = value;
    } else if (redirect) {
      if (value === undefined) config.skipped.push(`netlify.toml line ${index + 1}: redirect key "${key}" has a value the local server does not read`);
      else redirect.set(key, value);
    }
  }
  for (const table of redirectTables) {
    const from = table.get('from');
    const to = table.get('to');
    const status = table.get('status') ?? 301;
    if (typeof from !== 'string' || typeof to !== 'string' || typeof status !== 'number') {
      config.skipped.push(`a [[redirects]] entry without string from/to (from=${String(from)})`);
      continue;
    }
    config.redirects.push({ from, to, status });
  }
  return config;
}

/** Reads and parses a netlify.toml file. A missing file is an empty config. */
export async function readNetlifyToml(path: string): Promise<NetlifyConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return { redirects: [], skipped: [] };
    throw error;
  }
  return parseNetlifyToml(text);
}

function stripComment(line: string): string {
  // A '#' inside a quoted string is not a comment.
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quote) {
      if (char === '\\' && quote === '"') i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '#') {
      return line.slice(0, i);
    }
  }
  return line;
}

function parseScalar(raw: string): TomlValue | undefined {
  const text = raw.trim();
  if (/^"(?:[^"\\]|\\.)*"$/.test(text)) return JSON.parse(text) as string;
  if (/^'[^']*'$/.test(text)) return text.slice(1, -1);
  if (/^[+-]?\d[\d_]*$/.test(text)) return Number(text.replaceAll('_', ''));
  if (text === 'true') return true;
  if (text === 'false') return false;
  return undefined;
}
