/**
 * `[functions]` and `[functions."name"]` from netlify.toml, as per-function settings for the simulator.
 * Netlify's config normalises the top-level `[functions]` keys to the `"*"` pattern (every function) and
 * keeps each sub-table under its name, which may be a glob (`[functions."api-*"]`); so does this.
 */
import type { FunctionConfig } from '../sim/api.ts';
import type { FunctionSettings } from '../sim/function-settings.ts';
import { invalid, isTable, stringAt, stringsAt, type TomlTable } from './netlify-toml.ts';

/** What {@link parseFunctionSettings} found. */
export interface ParsedFunctionSettings {
  settings: FunctionSettings;
  /** Keys Netlify knows that the simulator does not use, as `[functions] key` notes for the startup log. */
  ignored: string[];
}

// Keys of the `[functions]` table that are not per-function settings.
const notSettings = new Set(['directory']);
// Netlify keys with no FunctionConfig field: parsed as valid, reported as not applied.
const knownIgnored = new Set(['ignored_node_modules', 'deno_import_map']);

/** Reads the `functions` table of netlify.toml. Throws `CONFIG_INVALID` for a value of the wrong type. */
export function parseFunctionSettings(functions: TomlTable | undefined): ParsedFunctionSettings {
  const settings: FunctionSettings = {};
  const ignored: string[] = [];
  if (!functions) return { settings, ignored };
  const topLevel: TomlTable = {};
  for (const [key, value] of Object.entries(functions)) {
    if (isTable(value)) {
      const where = `functions."${key}"`;
      const config = readSettings(value, where, ignored);
      // `[functions."*"]` and top-level keys are the same pattern; the explicit table is merged over them.
      settings[key] = { ...settings[key], ...config };
    } else if (!notSettings.has(key)) {
      topLevel[key] = value;
    }
  }
  if (Object.keys(topLevel).length > 0) settings['*'] = { ...readSettings(topLevel, 'functions', ignored), ...settings['*'] };
  return { settings, ignored };
}

function readSettings(table: TomlTable, where: string, ignored: string[]): FunctionConfig {
  const config: FunctionConfig = {};
  for (const key of Object.keys(table)) {
    switch (key) {
      case 'external_node_modules': {
        const value = stringsAt(table, key, where);
        if (value) config.externalNodeModules = value;
        break;
      }
      case 'included_files': {
        const value = stringsAt(table, key, where);
        if (value) config.includedFiles = value;
        break;
      }
      case 'node_bundler': {
        const value = stringAt(table, key, where);
        if (value !== undefined) config.nodeBundler = value;
        break;
      }
      case 'schedule': {
        const value = stringAt(table, key, where);
        if (value !== undefined) config.schedule = value;
        break;
      }
      default:
        if (isTable(table[key])) throw invalid(`${where}.${key}`, 'a setting, not a table (function tables sit directly under [functions])');
        ignored.push(`[${where}] ${key}${knownIgnored.has(key) ? '' : ' (not a Netlify functions setting)'}`);
    }
  }
  return config;
}
