/**
 * The function registry: which functions a directory holds, their current bundles, the pool of
 * containers serving each bundle, and the pools retired by a rebuild (draining, as after a deploy).
 *
 * The Simulator facade asks it for a function's entry and hands invocations to the entry's pool; how
 * sources are found, bundled and swapped lives here.
 */
import type { SimLogger } from './api.ts';
import { bundleFunction, discoverFunctions, type FunctionBundle } from './bundler.ts';
import { SimError } from './errors.ts';
import type { ContainerPool } from './pool.ts';

/** A function that bundled: its bundle and the pool of containers running it. */
export interface FunctionEntry {
  bundle: FunctionBundle;
  pool: ContainerPool;
}

/** Options for {@link FunctionRegistry}. */
export interface FunctionRegistryOptions {
  functionsDir: string;
  /** Where bundles are cached by content hash. */
  cacheDir: string;
  /** Makes the pool that serves one bundle. Called once per bundle version. */
  createPool(bundle: FunctionBundle): ContainerPool;
  logger?: SimLogger | undefined;
}

/** Functions by name, each bundled once and served by one current pool. */
export class FunctionRegistry {
  readonly #functionsDir: string;
  readonly #cacheDir: string;
  readonly #createPool: (bundle: FunctionBundle) => ContainerPool;
  #sources: Map<string, string> | null = null;
  #functions = new Map<string, Promise<FunctionEntry>>();
  /** What each of those promises resolved to, so a warm invocation takes its pool without an await. */
  #resolved = new WeakMap<Promise<FunctionEntry>, FunctionEntry>();
  /** Every pool ever created, current and retired (draining after a refresh). */
  #pools = new Set<ContainerPool>();
  #retired = new Set<ContainerPool>();

  constructor(options: FunctionRegistryOptions) {
    this.#functionsDir = options.functionsDir;
    this.#cacheDir = options.cacheDir;
    this.#createPool = (bundle) => {
      const pool = options.createPool(bundle);
      this.#pools.add(pool);
      return pool;
    };
  }

  /** The functions directory this registry serves. */
  get functionsDir(): string {
    return this.#functionsDir;
  }

  /** Every pool, current and retired, for container snapshots and shutdown. */
  pools(): ContainerPool[] {
    return [...this.#pools];
  }

  /** Discovers and bundles every function. */
  async all(): Promise<FunctionEntry[]> {
    const sources = await this.#discover();
    return Promise.all([...sources.keys()].map((name) => this.entry(name)));
  }

  /** The function's entry if it is bundled and current (the usual case), without waiting for a turn. */
  ready(name: string): FunctionEntry | undefined {
    const pending = this.#functions.get(name);
    return pending ? this.#resolved.get(pending) : undefined;
  }

  /** The function's entry, bundling it first if needed. Rejects with FUNCTION_NOT_FOUND or BUNDLE_FAILED. */
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
        if (!source) throw new SimError('FUNCTION_NOT_FOUND', `no function named "${name}" in ${this.#functionsDir}`);
        const bundle = await bundleFunction(name, source, this.#cacheDir);
        return { bundle, pool: this.#createPool(bundle) };
      });
      // A failed bundle is not cached: the next call tries again (the source may have been fixed).
      entry.catch(() => this.#functions.delete(name));
      this.#setEntry(name, entry);
    }
    return entry;
  }

  /**
   * Re-bundles every function. A function whose bundle changed gets a fresh pool for new requests,
   * while its old containers finish what they are doing and stop, as after a deploy. Returns the names
   * of the functions that changed (including new and removed ones), sorted.
   */
  async refresh(): Promise<string[]> {
    this.#pruneRetired();
    this.#sources = null;
    const sources = await this.#discover();
    const changed: string[] = [];
    for (const [name, pending] of this.#functions) {
      const entry = await pending.catch(() => null);
      if (!sources.has(name)) {
        this.#functions.delete(name);
        if (entry) this.#retire(entry.pool);
        changed.push(name);
        continue;
      }
      const source = sources.get(name) ?? '';
      const bundle = await bundleFunction(name, source, this.#cacheDir);
      if (entry && bundle.bundleHash === entry.bundle.bundleHash) continue;
      if (entry) this.#retire(entry.pool);
      this.#setEntry(name, Promise.resolve({ bundle, pool: this.#createPool(bundle) }));
      changed.push(name);
    }
    for (const name of sources.keys()) {
      if (this.#functions.has(name)) continue;
      await this.entry(name);
      changed.push(name);
    }
    return changed.sort();
  }

  /** Waits for bundles still in progress, so no pool is created after this point goes unstopped. */
  async settle(): Promise<void> {
    await Promise.all([...this.#functions.values()].map((pending) => pending.catch(() => null)));
  }

  async #discover(): Promise<Map<string, string>> {
    this.#sources ??= await discoverFunctions(this.#functionsDir);
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
