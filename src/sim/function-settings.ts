/**
 * Merges netlify.toml's `[functions]` and `[functions."<name>"]` settings with a function's in-source
 * `config`, as Netlify's bundler does.
 *
 * - Which tables apply (`src/config.ts` `getFromMainConfig` in `@netlify/zip-it-and-ship-it`): every key
 *   that matches the function's name as a glob (minimatch there, `path.matchesGlob` here), `[functions]`
 *   itself being `"*"`; the more literal characters a key has, the later it applies, so
 *   `[functions."api"]` beats `[functions."a*"]` beats `[functions]`. Arrays are concatenated
 *   (`concatArrays: true`), other values overwritten.
 * - In-source `config` is applied over the merged tables (`augmentFunctionConfig` in
 *   `src/runtimes/node/in_source_config/index.ts`: `mergeOptions` with `concatArrays`), except
 *   `includedFiles`: a non-empty in-source list REPLACES netlify.toml's, and its globs are relative to the
 *   function's own directory (`includedFilesBasePath`) instead of the site's base directory.
 */
import path from 'node:path';
import type { FunctionConfig } from './api.ts';

/** netlify.toml function settings by name glob; `"*"` is the plain `[functions]` table. */
export type FunctionSettings = Record<string, Partial<FunctionConfig>>;

const ARRAY_KEYS = ['path', 'excludedPath', 'method', 'externalNodeModules', 'includedFiles'] as const;

function weight(expression: string): number {
  const wildcards = [...expression].filter((char) => char === '*').length;
  return expression.length - wildcards - (wildcards === 0 ? 0 : 1);
}

function matches(name: string, expression: string): boolean {
  if (expression === '*' || expression === name) return true;
  try {
    return path.matchesGlob(name, expression);
  } catch {
    return false;
  }
}

/** Applies `over` onto `base`: arrays concatenated (duplicates dropped), everything else replaced. */
export function mergeConfig(base: FunctionConfig, over: Partial<FunctionConfig>): FunctionConfig {
  const merged: FunctionConfig = { ...base };
  for (const [key, value] of Object.entries(over) as Array<[keyof FunctionConfig, FunctionConfig[keyof FunctionConfig]]>) {
    if (value === undefined) continue;
    if ((ARRAY_KEYS as readonly string[]).includes(key) && Array.isArray(value)) {
      const before = (base[key] as string[] | undefined) ?? [];
      (merged as Record<string, unknown>)[key] = [...new Set([...before, ...value])];
    } else {
      (merged as Record<string, unknown>)[key] = value;
    }
  }
  return merged;
}

/** The netlify.toml settings that apply to function `name`, merged in Netlify's order. */
export function settingsFor(name: string, settings: FunctionSettings | undefined): FunctionConfig {
  if (!settings) return {};
  return Object.keys(settings)
    .filter((expression) => matches(name, expression))
    .sort((a, b) => weight(a) - weight(b))
    .reduce<FunctionConfig>((merged, expression) => mergeConfig(merged, settings[expression] ?? {}), {});
}

/**
 * A function's effective config: netlify.toml settings, then its in-source config, then what its name
 * says (a `-background` suffix makes it a background function, as on Netlify).
 */
export function effectiveConfig(name: string, sourcePath: string, settings: FunctionSettings | undefined, inSource: FunctionConfig): FunctionConfig {
  const { includedFiles, ...rest } = inSource;
  const config = mergeConfig(settingsFor(name, settings), rest);
  if (includedFiles && includedFiles.length > 0) {
    config.includedFiles = includedFiles;
    config.includedFilesBasePath = path.dirname(sourcePath);
  }
  if (name.endsWith('-background')) config.background = true;
  return config;
}
