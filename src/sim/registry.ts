/**
 * The function registry: which functions a directory holds, their current bundles and merged config, the
 * pool of containers serving each bundle, and the pools retired by a rebuild (draining, as after a deploy).
 *
 * A function that fails to bundle, or whose config a deploy would refuse, is kept as a BROKEN entry: it is
 * listed with its error, its invocations are refused with that error, every other function is served, and
 * the next refresh tries it again. One bad file never takes the others down.
 *
 * The Simulator facade asks it for a function's entry and hands invocations to the entry's pool.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FunctionConfig, FunctionInfo, SimErrorCode, SimLogger } from './api.ts';
import { bundleFunction, discoverFunctions, type FunctionBundle } from './bundler.ts';
import { validateInSourceConfig } from './config-schema.ts';
import { SimError } from './errors.ts';
import { readInSourceConfig, type ConfigReadResult } from './function-config.ts';
import { effectiveConfig, settingsFor, type FunctionSettings } from './function-settings.ts';
import type { ContainerPool } from './pool.ts';
import { parseCron } from './cron.ts';
import { scheduleFromSource } from './schedule-helper.ts';

/** A function that bundled: its bundle, merged config, and the pool of containers running it. */
export interface ReadyFunction {
  kind: 'ready';
  name: string;
  bundle: FunctionBundle;
  config: FunctionConfig;
  pool: ContainerPool;
  /** Set when the module failed to load (its config read, or an invocation, hit an init error). */
  initError?: string;
}

/** A function that failed to bundle or has an invalid config: listed, not served. */
export interface BrokenFunction {
  kind: 'broken';
  name: string;
  sourcePath: string;
  error: SimError;
}

export type FunctionEntry = ReadyFunction | BrokenFunction;

/** Options for {@link FunctionRegistry}. */
export interface FunctionRegistryOptions {
  functionsDir: string;
  /** Where bundles are cached by content hash. */
  cacheDir: string;
  /** The site's base directory (deploy root for included files). */
  baseDir: string;
  /** netlify.toml `[functions]` (`"*"`) and `[functions."name"]` settings. */
  functionSettings?: FunctionSettings | undefined;
  /** Makes the pool that serves one bundle. Called once per bundle version. */
  createPool(bundle: FunctionBundle, config: FunctionConfig): ContainerPool;
  logger?: SimLogger | undefined;
}

/** Functions by name, each bundled once and served by one current pool. */
export class FunctionRegistry {
  readonly #options: FunctionRegistryOptions;
  #sources: Map<string, string> | null = null;
  #functions = new Map<string, Promise<FunctionEntry>>();
  /** What each of those promises resolved to, so a warm invocation takes its pool without an await. */
  #resolved = new WeakMap<Promise<FunctionEntry>, FunctionEntry>();
  /** Every pool ever created, current and retired (draining after a refresh). */
  #pools = new Set<ContainerPool>();
  #retired = new Set<ContainerPool>();

  constructor(options: FunctionRegistryOptions) {
    this.#options = options;
  }

  /** The functions directory this registry serves. */
  get functionsDir(): string {
    return this.#options.functionsDir;
  }

  /** Every pool, current and retired, for container snapshots and shutdown. */
  pools(): ContainerPool[] {
    return [...this.#pools];
  }

  /** Discovers and builds every function (broken ones included). Rejects only when the directory is unreadable. */
  async all(): Promise<FunctionEntry[]> {
    const sources = await this.#discover();
    return Promise.all([...sources.keys()].map((name) => this.entry(name)));
  }

  /** The function's entry if it is built and current (the usual case), without waiting for a turn. */
  ready(name: string): FunctionEntry | undefined {
    const pending = this.#functions.get(name);
    return pending ? this.#resolved.get(pending) : undefined;
  }

  /** The function's entry, building it first if needed. Rejects with FUNCTION_NOT_FOUND only. */
  entry(name: string): Promise<FunctionEntry> {
    let entry = this.#functions.get(name);
    if (!entry) {
      entry = this.#discover().then(async (sources) => {
        let source = sources.get(name);
        if (!source) {
          // A function added since the last scan: look again before giving up.
          this.#sources = null;
          source = (await this.#discover()).get(name);
        }
        if (!source) throw new SimError('FUNCTION_NOT_FOUND', `no function named "${name}" in ${this.#options.functionsDir}`);
        return this.#activate(await this.#build(name, source));
      });
      // An unknown name is not cached: the function may appear later.
      entry.catch(() => this.#functions.delete(name));
      this.#setEntry(name, entry);
    }
    return entry;
  }

  /** Records that an invocation of `name` failed at init (or, with undefined, that one loaded fine). */
  noteInit(name: string, bundleHash: string, initError: string | undefined): void {
    const entry = this.ready(name);
    if (entry?.kind !== 'ready' || entry.bundle.bundleHash !== bundleHash) return;
    if (initError === undefined) delete entry.initError;
    else entry.initError = initError;
  }

  /**
   * Re-builds every function. A function whose bundle or config changed gets a fresh pool for new
   * requests, while its old containers finish what they are doing and stop, as after a deploy. A broken
   * function is tried again. Returns the names of the functions that changed (new and removed ones too), sorted.
   */
  async refresh(): Promise<string[]> {
    this.#pruneRetired();
    this.#sources = null;
    const sources = await this.#discover();
    const changed: string[] = [];
    for (const [name, pending] of this.#functions) {
      const entry = await pending.catch(() => null);
      const source = sources.get(name);
      if (source === undefined) {
        this.#functions.delete(name);
        if (entry?.kind === 'ready') this.#retire(entry.pool);
        changed.push(name);
        continue;
      }
      const built = await this.#build(name, source);
      if (entry && sameVersion(entry, built)) continue;
      if (entry?.kind === 'ready') this.#retire(entry.pool);
      this.#setEntry(name, Promise.resolve(this.#activate(built)));
      changed.push(name);
    }
    for (const name of sources.keys()) {
      if (this.#functions.has(name)) continue;
      await this.entry(name);
      changed.push(name);
    }
    return changed.sort();
  }

  /** Waits for builds still in progress, so no pool is created after this point goes unstopped. */
  async settle(): Promise<void> {
    await Promise.all([...this.#functions.values()].map((pending) => pending.catch(() => null)));
  }

  /**
   * Bundles a function and reads its config. Never rejects: a failure becomes a broken entry.
   * Bundling needs the config (external modules, included files, bundler) and the config lives in the
   * bundle, so a function whose in-source config changes those is bundled a second time with them.
   */
  async #build(name: string, sourcePath: string): Promise<BuiltFunction> {
    const { cacheDir, baseDir, functionSettings } = this.#options;
    try {
      const fromToml = settingsFor(name, functionSettings);
      let bundle = await bundleFunction(name, sourcePath, cacheDir, { baseDir, config: fromToml });
      let inSource: FunctionConfig = {};
      let initError: string | undefined;
      if (bundle.exports.includes('config')) {
        const read = await readConfig(bundle);
        if (read.kind === 'unreadable') {
          // Netlify reads config statically and would deploy; the function then fails at init on every
          // cold start. Its invocations report that, as production does.
          initError = read.message;
        } else if (bundle.api === 'v1') {
          // zip-it-and-ship-it reads `config` only from v2 functions; a v1 function's is ignored there.
          if (read.config !== undefined) this.#options.logger?.warn(`[${name}] exports a config, which Netlify ignores for a v1 (handler) function`);
        } else {
          inSource = validateInSourceConfig(name, read.config);
        }
      }
      if (bundle.api === 'v1') {
        const helper = scheduleFromSource(await readFile(sourcePath, 'utf8'));
        if (helper.kind === 'cron') inSource = { ...inSource, schedule: helper.schedule };
        else if (helper.kind === 'not-literal') {
          this.#options.logger?.warn(`[${name}] imports schedule() from @netlify/functions but no call with a literal cron was found: a Netlify deploy fails on that`);
        }
      }
      const config = effectiveConfig(name, sourcePath, functionSettings, inSource);
      if (config.schedule !== undefined) {
        try {
          parseCron(config.schedule);
        } catch (error) {
          this.#options.logger?.warn(`[${name}] schedule is not run: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (affectsBundle(inSource)) bundle = await bundleFunction(name, sourcePath, cacheDir, { baseDir, config });
      for (const note of bundle.notes) this.#options.logger?.warn(`[${name}] ${note}`);
      return { kind: 'ready', name, bundle, config, ...(initError !== undefined && { initError }) };
    } catch (error) {
      const simError =
        error instanceof SimError ? error : new SimError('BUNDLE_FAILED', `${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      this.#options.logger?.warn(`[${name}] not served: ${simError.code}: ${simError.message}`);
      return { kind: 'broken', name, sourcePath, error: simError };
    }
  }

  #activate(built: BuiltFunction): FunctionEntry {
    if (built.kind === 'broken') return built;
    const { externals } = built.bundle;
    if (externals.size > 0) {
      const list = [...externals].map(([specifier, reason]) => `${specifier} (${reason})`).join(', ');
      this.#options.logger?.info(`[${built.name}] loaded at run time from the site, not bundled: ${list}`);
    }
    const pool = this.#options.createPool(built.bundle, built.config);
    this.#pools.add(pool);
    return { ...built, pool };
  }

  async #discover(): Promise<Map<string, string>> {
    this.#sources ??= await discoverFunctions(this.#options.functionsDir);
    return this.#sources;
  }

  #setEntry(name: string, entry: Promise<FunctionEntry>): void {
    this.#functions.set(name, entry);
    entry.then(
      (resolved) => this.#resolved.set(entry, resolved),
      () => undefined,
    );
  }

  #retire(pool: ContainerPool): void {
    pool.drain();
    this.#retired.add(pool);
  }

  /** Forgets retired pools whose last container has stopped, so repeated refreshes do not pile up. */
  #pruneRetired(): void {
    for (const pool of this.#retired) {
      if (!pool.empty) continue;
      this.#retired.delete(pool);
      this.#pools.delete(pool);
    }
  }
}

type BuiltFunction = Omit<ReadyFunction, 'pool'> | BrokenFunction;

function sameVersion(entry: FunctionEntry, built: BuiltFunction): boolean {
  if (entry.kind === 'broken' || built.kind === 'broken') {
    return entry.kind === 'broken' && built.kind === 'broken' && entry.error.message === built.error.message;
  }
  return entry.bundle.bundleHash === built.bundle.bundleHash && JSON.stringify(entry.config) === JSON.stringify(built.config);
}

function affectsBundle(config: FunctionConfig): boolean {
  return (config.externalNodeModules?.length ?? 0) > 0 || (config.includedFiles?.length ?? 0) > 0 || config.nodeBundler !== undefined;
}

/** Config reads by bundle hash: a refresh that finds an unchanged bundle does not evaluate it again. */
const configReads = new Map<string, Promise<ConfigReadResult>>();

function readConfig(bundle: FunctionBundle): Promise<ConfigReadResult> {
  let read = configReads.get(bundle.bundleHash);
  if (!read) {
    read = readInSourceConfig(bundle.bundlePath);
    configReads.set(bundle.bundleHash, read);
  }
  return read;
}

/** What `functions()` reports for an entry. */
export function describe(entry: FunctionEntry): FunctionInfo {
  if (entry.kind === 'broken') {
    return { name: entry.name, api: 'v1', bundleHash: '', bundleBytes: 0, config: {}, error: { code: entry.error.code, message: entry.error.message } };
  }
  const { bundle, config } = entry;
  const info: FunctionInfo = { name: entry.name, api: bundle.api, bundleHash: bundle.bundleHash, bundleBytes: bundle.bundleBytes, config };
  if (config.path !== undefined) info.configPath = config.path;
  if (entry.initError !== undefined) info.error = { code: 'INIT_FAILED' satisfies SimErrorCode, message: entry.initError };
  return info;
}

/** The site's base directory for a functions directory: the nearest ancestor with a netlify.toml or package.json. */
export function defaultBaseDir(functionsDir: string, exists: (file: string) => boolean): string {
  let directory = path.dirname(functionsDir);
  for (;;) {
    if (exists(path.join(directory, 'netlify.toml')) || exists(path.join(directory, 'package.json'))) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) return path.dirname(functionsDir);
    directory = parent;
  }
}
