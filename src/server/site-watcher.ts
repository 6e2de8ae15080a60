/**
 * Watches a site while it is served, as a deploy would see its files: function sources and what they
 * import, netlify.toml and the `.env` files. Built on chokidar, which watches directories rather than
 * file inodes, so an editor's atomic save (write a temp file, rename it over the original), a
 * `git checkout` of many files, and functions or folders created and deleted are all seen; `fs.watch`
 * on a file stops seeing changes after the first rename.
 *
 * Changes are debounced (editors save in bursts: temp file, rename, chmod) and handed over as one batch;
 * a batch never starts while the previous one is still being handled. Each batch is logged with what
 * changed, what it did and how long it took.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { watch, type FSWatcher } from 'chokidar';
import type { SimLogger } from '../sim/api.ts';
import type { Site } from '../site/site.ts';

/** What happened to one path. */
export type ChangeKind = 'added' | 'changed' | 'deleted' | 'folder added' | 'folder deleted';

export interface SiteChange {
  /** Absolute path. */
  path: string;
  kind: ChangeKind;
}

/** One debounced batch: `config` when netlify.toml or a `.env` file is among the changes. */
export interface ChangeBatch {
  changes: SiteChange[];
  config: boolean;
}

/** Handles a batch and says, in a few words, what it did ("hello updated", "no function changed"). */
export type BatchHandler = (batch: ChangeBatch) => Promise<string>;

/** Directories no function source lives in, or that tools rewrite on their own while serving (framework and editor caches). */
const ignoredNames = new Set(['node_modules', '.git', '.netlify', '.cache', 'coverage', '.tools', '.vscode', '.idea', '.next', '.nuxt', '.svelte-kit', '.turbo', '.vercel']);
/** Files a bundle can include. Other files (docs, images) do not change what a function runs. */
const sourceExtensions = new Set(['.js', '.cjs', '.mjs', '.ts', '.cts', '.mts', '.jsx', '.tsx', '.json', '.node', '.wasm']);

const kinds: Record<string, ChangeKind> = { add: 'added', change: 'changed', unlink: 'deleted', addDir: 'folder added', unlinkDir: 'folder deleted' };

export class SiteWatcher {
  static readonly debounceMs = 150;
  #site: Site;
  #handler: BatchHandler;
  #logger: SimLogger | undefined;
  #watcher: FSWatcher;
  #pending = new Map<string, ChangeKind>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;
  /** Directories being watched (the site root, and the functions directory when it lies outside it). */
  readonly roots: readonly string[];

  private constructor(site: Site, handler: BatchHandler, logger: SimLogger | undefined, watcher: FSWatcher, roots: string[]) {
    this.roots = roots;
    this.#site = site;
    this.#handler = handler;
    this.#logger = logger;
    this.#watcher = watcher;
  }

  /** Starts watching; resolves once the initial scan is done, so a change made right after is seen. */
  static async start(site: Site, handler: BatchHandler, logger?: SimLogger): Promise<SiteWatcher> {
    const roots = [site.root];
    if (!isInside(site.functionsDir, site.root)) roots.push(site.functionsDir);
    const watcher = watch(roots, {
      ignoreInitial: true,
      // Without this, the delete half of an atomic save can be reported on its own.
      atomic: true,
      ignored: (file) => ignored(site, file),
    });
    const instance = new SiteWatcher(site, handler, logger, watcher, roots);
    watcher.on('all', (event, file) => instance.#record(event, file));
    watcher.on('error', (error) => logger?.warn(`watching ${site.root}: ${error instanceof Error ? error.message : String(error)}`));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    return instance;
  }

  /** The site the watcher filters by. Replaced after a config reload (the functions directory may move). */
  set site(site: Site) {
    this.#site = site;
  }

  /** Stops watching; a batch in progress finishes first. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#watcher.close();
    await this.#running;
  }

  #record(event: string, file: string): void {
    if (this.#closed) return;
    const kind = kinds[event];
    if (!kind || !this.#relevant(file, kind)) return;
    const merged = mergeKinds(this.#pending.get(file), kind);
    if (merged === undefined) this.#pending.delete(file);
    else this.#pending.set(file, merged);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#flush(), SiteWatcher.debounceMs);
  }

  #relevant(file: string, kind: ChangeKind): boolean {
    const site = this.#site;
    if (site.configFiles.includes(file)) return true;
    if (isInside(file, site.functionsDir)) return true;
    // Elsewhere in the site, only what a bundle could import (a folder delete may take sources with it).
    return kind === 'folder deleted' || sourceExtensions.has(path.extname(file));
  }

  #flush(): void {
    // Never two batches at once: one arriving mid-run waits, then goes with everything that came meanwhile.
    if (this.#running || this.#closed || this.#pending.size === 0) return;
    const changes = [...this.#pending].map(([file, kind]) => ({ path: file, kind }));
    this.#pending.clear();
    const batch: ChangeBatch = { changes, config: changes.some((change) => this.#site.configFiles.includes(change.path)) };
    const startedMs = performance.now();
    this.#running = this.#handler(batch).then(
      (summary) => this.#logger?.info(`rebuild after ${this.#describe(changes)}: ${summary} (${Math.round(performance.now() - startedMs)} ms)`),
      (error: unknown) => this.#logger?.warn(`rebuild after ${this.#describe(changes)} failed: ${error instanceof Error ? error.message : String(error)}`),
    ).finally(() => {
      this.#running = undefined;
      if (this.#pending.size > 0) this.#flush();
    });
  }

  #describe(changes: SiteChange[]): string {
    const shown = changes.slice(0, 4).map((change) => `${path.relative(this.#site.root, change.path) || '.'} ${change.kind}`);
    if (changes.length > shown.length) shown.push(`${changes.length - shown.length} more`);
    return shown.join(', ');
  }
}

/**
 * One path's events within a batch, as one change: created then written is "added"; created then
 * removed (an editor's temp file) is nothing at all; removed then created again is "changed".
 */
function mergeKinds(previous: ChangeKind | undefined, next: ChangeKind): ChangeKind | undefined {
  if (previous === 'added' && next === 'changed') return 'added';
  if ((previous === 'added' && next === 'deleted') || (previous === 'folder added' && next === 'folder deleted')) return undefined;
  if (previous === 'deleted' && next === 'added') return 'changed';
  return next;
}

function ignored(site: Site, file: string): boolean {
  if (file === site.root || site.configFiles.includes(file)) return false;
  if (ignoredNames.has(path.basename(file))) return true;
  // The publish directory holds browser assets: only its _redirects file (and a functions directory
  // inside it) are watched.
  const publish = site.publishDir;
  if (publish === undefined || file === publish || !isInside(file, publish)) return false;
  return !isInside(site.functionsDir, file) && !isInside(file, site.functionsDir);
}

function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
