/**
 * A site's environment variables: netlify.toml's (`[build.environment]`, then `[context.<ctx>.environment]`)
 * and the `.env` files netlify dev reads.
 *
 * What a function gets follows production, not netlify dev (docs/sites.md, "What a function sees"):
 * - netlify.toml variables are build-time only. Netlify's docs: "environment variables declared in a
 *   Netlify configuration file (netlify.toml) are not available to functions". netlify dev injects them;
 *   here a function reading one gets undefined and a WARN, unless `tomlEnv` asks for netlify dev's way.
 * - `.env` files stand in for the variables set in the Netlify UI, CLI or API (what production functions
 *   do see; `netlify env:import .env` uploads them). Files and precedence are netlify-cli's
 *   (`src/utils/dot-env.ts`): `.env.development.local` over `.env.local` over `.env.development` over
 *   `.env`, whatever the context, and a `.env` value over a netlify.toml one.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { contextTables, type DeployContext } from './deploy-context.ts';
import { invalid, tableAt, type TomlTable } from './netlify-toml.ts';
import { SiteError } from './site-error.ts';

/** netlify-cli's default `.env` files, lowest precedence first. */
export const dotEnvFiles = ['.env', '.env.development', '.env.local', '.env.development.local'] as const;

/** Where a site variable was set. */
export type EnvSource = (typeof dotEnvFiles)[number] | 'netlify.toml';

/** A site's variables, resolved for one deploy context. */
export interface SiteEnvironment {
  /** What every function gets from the site (platform variables come on top, see platform-env.ts). */
  functions: Record<string, string>;
  /** netlify.toml's variables for the context: `[build.environment]` under `[context.<ctx>.environment]`. */
  toml: Record<string, string>;
  /** Where each of `functions`' variables came from. */
  sources: Record<string, EnvSource>;
  /** The `.env` files that exist, as read. */
  filesRead: string[];
}

/** Resolves the environment of the site at `root` for `context`. */
export async function resolveEnvironment(options: {
  root: string;
  document: TomlTable;
  context: DeployContext;
  /** Give functions netlify.toml's variables too, as netlify dev does (production does not). */
  tomlEnv: boolean;
}): Promise<SiteEnvironment> {
  const toml = tomlEnvironment(options.document, options.context);
  const functions: Record<string, string> = {};
  const sources: Record<string, EnvSource> = {};
  if (options.tomlEnv) {
    for (const [name, value] of Object.entries(toml)) {
      functions[name] = value;
      sources[name] = 'netlify.toml';
    }
  }
  const filesRead: string[] = [];
  for (const file of dotEnvFiles) {
    const filePath = path.join(options.root, file);
    let text: string;
    try {
      text = await readFile(filePath, 'utf8');
    } catch (error) {
      if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'EISDIR')) continue;
      throw new SiteError('ENV_FILE_INVALID', `cannot read ${filePath}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    filesRead.push(filePath);
    for (const [name, value] of Object.entries(parseEnv(text))) {
      if (value === undefined) continue;
      functions[name] = value;
      sources[name] = file;
    }
  }
  return { functions, toml, sources, filesRead };
}

/** `[build.environment]`, overridden by each applicable `[context.<name>.environment]`. */
export function tomlEnvironment(document: TomlTable, context: DeployContext): Record<string, string> {
  const env: Record<string, string> = {};
  const tables = [['build', 'environment'], ...contextTables(context).map((name) => ['context', name, 'environment'])];
  for (const keys of tables) {
    const table = tableAt(document, keys);
    if (!table) continue;
    for (const [name, value] of Object.entries(table)) {
      // @netlify/config turns numbers and booleans into strings (`convertToString`).
      if (typeof value === 'string') env[name] = value;
      else if (typeof value === 'number' || typeof value === 'boolean') env[name] = String(value);
      else throw invalid(`${keys.join('.')}.${name}`, 'a string, number or boolean');
    }
  }
  return env;
}
