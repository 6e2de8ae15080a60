/**
 * netlify.toml, parsed with a full TOML parser (smol-toml) into the parts a site is served from. Keys
 * are read as Netlify's config schema names them (`@netlify/config`); a value of the wrong type is a
 * `CONFIG_INVALID` error naming the key, never a half-understood config.
 */
import { readFile } from 'node:fs/promises';
import { parse, TomlError } from 'smol-toml';
import { SiteError } from './site-error.ts';

/** A TOML table as smol-toml returns it. */
export type TomlTable = Record<string, unknown>;

/** The netlify.toml document: its top-level tables, unvalidated until read through the accessors below. */
export interface NetlifyToml {
  /** Absolute path of the file, or undefined when the site has none (an empty config, as netlify dev treats it). */
  path: string | undefined;
  document: TomlTable;
}

/** Reads and parses `<root>/netlify.toml`. A missing file is an empty document. */
export async function readNetlifyToml(filePath: string): Promise<NetlifyToml> {
  let text: string;
  try {
    text = await readFile(filePath, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return { path: undefined, document: {} };
    throw new SiteError('CONFIG_INVALID', `cannot read ${filePath}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { path: filePath, document: parseNetlifyToml(text, filePath) };
}

/** Parses netlify.toml text. A syntax error becomes one line: file, line, column and what is wrong. */
export function parseNetlifyToml(text: string, fileName = 'netlify.toml'): TomlTable {
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') ?? 'invalid TOML';
      throw new SiteError('CONFIG_INVALID', `${fileName}:${error.line}:${error.column}: ${reason}`, { cause: error });
    }
    throw error;
  }
}

export function isTable(value: unknown): value is TomlTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** The table at `keys` (for example `['context', 'production', 'environment']`), or undefined if absent. */
export function tableAt(document: TomlTable, keys: readonly string[]): TomlTable | undefined {
  let current: unknown = document;
  for (const key of keys) {
    if (!isTable(current)) return undefined;
    current = current[key];
  }
  if (current === undefined) return undefined;
  if (!isTable(current)) throw invalid(keys.join('.'), 'a table');
  return current;
}

/** A string value, or undefined if absent. */
export function stringAt(table: TomlTable | undefined, key: string, where: string): string | undefined {
  const value = table?.[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${where}.${key}`, 'a string');
  return value;
}

/** A string, or an array of strings, as an array; undefined if absent. */
export function stringsAt(table: TomlTable | undefined, key: string, where: string): string[] | undefined {
  const value = table?.[key];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  throw invalid(`${where}.${key}`, 'a string or an array of strings');
}

export function invalid(key: string, expected: string): SiteError {
  return new SiteError('CONFIG_INVALID', `netlify.toml: ${key} must be ${expected}`);
}
