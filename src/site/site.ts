/**
 * A site to serve, resolved once from its directory and handed down whole: the server, the simulator
 * and the watcher read everything they need about the site from this one value.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { defaultDeployContext, type DeployContext } from './deploy-context.ts';
import { dotEnvFiles, resolveEnvironment, type SiteEnvironment } from './environment.ts';
import type { FunctionSettings } from '../sim/function-settings.ts';
import { parseFunctionSettings } from './function-settings.ts';
import { readNetlifyToml, stringAt, tableAt, type TomlTable } from './netlify-toml.ts';
import { parseRedirects, type RedirectRule } from './redirects.ts';
import { readRedirectsFile } from './redirects-file.ts';
import { resolveSiteIdentity, type SiteIdentity } from './site-identity.ts';
import { SiteError } from './site-error.ts';

/** Netlify's functions directory when netlify.toml names none (netlify-cli `getFunctionsDir` default). */
export const defaultFunctionsDirectory = path.join('netlify', 'functions');

/** Where the functions directory setting came from, in netlify-cli's order of precedence. */
export type FunctionsDirSource = '[functions] directory' | '[build] functions' | 'default';

/** Everything about a site directory that serving it needs. */
export interface Site {
  /** Absolute path of the site directory. */
  root: string;
  /** Absolute path of netlify.toml, whether or not it exists (the watcher waits for it to appear). */
  configPath: string;
  /** The parsed netlify.toml (empty when the site has none). */
  config: TomlTable;
  context: DeployContext;
  /** Whether functions get netlify.toml's environment too (netlify dev's way; production's is not to). */
  tomlEnv: boolean;
  /** Absolute path of the functions directory (it may not exist yet). */
  functionsDir: string;
  functionsDirSource: FunctionsDirSource;
  /** Absolute path of `[build] publish`, if set. */
  publishDir: string | undefined;
  /** Every rule: the publish directory's `_redirects` file first, then netlify.toml's `[[redirects]]`, as Netlify orders them. */
  redirects: RedirectRule[];
  /** `[functions]` settings for `"*"` and `[functions."name"]` ones by name or glob. */
  functionSettings: FunctionSettings;
  env: SiteEnvironment;
  identity: SiteIdentity;
  /** Local Netlify Blobs data, netlify dev's place for it. */
  blobsDir: string;
  /** Files whose change means the site must be resolved again (netlify.toml, the `.env` files, `_redirects`). */
  configFiles: string[];
  /** Things in the config the local server does not apply, for the startup log. */
  notes: string[];
}

/** Options for {@link resolveSite}. */
export interface ResolveSiteOptions {
  /** Default `dev`, as netlify dev. */
  context?: DeployContext;
  /** Give functions netlify.toml's environment as netlify dev does. Default false: production does not. */
  tomlEnv?: boolean;
}

/**
 * Resolves the site in `dir`. Throws `SiteError`: `SITE_NOT_FOUND` when `dir` is not a directory,
 * `CONFIG_INVALID` when netlify.toml is wrong, `ENV_FILE_INVALID` when a `.env` file cannot be read.
 */
export async function resolveSite(dir: string, options: ResolveSiteOptions = {}): Promise<Site> {
  const root = path.resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new SiteError('SITE_NOT_FOUND', `site directory ${root} does not exist or is not a directory`);
  const configPath = path.join(root, 'netlify.toml');
  const { document } = await readNetlifyToml(configPath);
  const context = options.context ?? defaultDeployContext;
  const build = tableAt(document, ['build']);
  const functions = tableAt(document, ['functions']);
  const [directory, source] = functionsDirectory(functions, build);
  const publish = stringAt(build, 'publish', 'build');
  const { settings, ignored } = parseFunctionSettings(functions);
  const publishDir = publish === undefined ? undefined : path.resolve(root, publish);
  const redirectsFile = publishDir === undefined ? undefined : path.join(publishDir, '_redirects');
  const [env, identity, fileRedirects] = await Promise.all([
    resolveEnvironment({ root, document, context, tomlEnv: options.tomlEnv ?? false }),
    resolveSiteIdentity(root),
    redirectsFile === undefined ? [] : readRedirectsFile(redirectsFile),
  ]);
  return {
    root,
    configPath,
    config: document,
    context,
    tomlEnv: options.tomlEnv ?? false,
    functionsDir: path.resolve(root, directory),
    functionsDirSource: source,
    publishDir,
    redirects: [...fileRedirects, ...parseRedirects(document)],
    functionSettings: settings,
    env,
    identity,
    blobsDir: path.join(root, '.netlify', 'blobs-serve'),
    configFiles: [configPath, ...dotEnvFiles.map((file) => path.join(root, file)), ...(redirectsFile === undefined ? [] : [redirectsFile])],
    notes: ignored.map((note) => `${note}: not applied locally`),
  };
}

function functionsDirectory(functions: TomlTable | undefined, build: TomlTable | undefined): [string, FunctionsDirSource] {
  const fromFunctions = stringAt(functions, 'directory', 'functions');
  if (fromFunctions !== undefined) return [fromFunctions, '[functions] directory'];
  const fromBuild = stringAt(build, 'functions', 'build');
  if (fromBuild !== undefined) return [fromBuild, '[build] functions'];
  return [defaultFunctionsDirectory, 'default'];
}
