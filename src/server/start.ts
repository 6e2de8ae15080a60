import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { startLocalBlobs, type LocalBlobs } from '../dev/local-blobs.ts';
import { Simulator, type SimulatorExtraOptions } from '../sim/index.ts';
import type { Clock, FunctionInfo, SimLogger, SimulatorOptions } from '../sim/api.ts';
import { readNetlifyToml } from './netlify-toml.ts';
import { LocalServer } from './server.ts';

/** Options for {@link startLocalServer}. */
export interface StartLocalServerOptions {
  /** Project root: where netlify.toml is. Functions come from its `[functions] directory` (default `functions`). */
  rootDir: string;
  /** Default 8888; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Time source for the simulator (and so for the handlers' `Date`). Tests pass a ManualClock. */
  clock?: Clock;
  /** Log sink; default silent. */
  logger?: SimLogger;
  /**
   * Where the local Netlify Blobs backend keeps its data. Default `<rootDir>/.netlify/blobs-serve`, so
   * what collect stored survives restarts (the directory is git-ignored with the rest of `.netlify/`).
   */
  blobsDirectory?: string;
  /** Rebuild when `functions/` or `src/lib/` changes. Default false (the CLI turns it on). */
  watch?: boolean;
  /** Fire scheduled functions on the clock (`--run-schedules`), which netlify dev never does. Default false. */
  runSchedules?: boolean;
  /** Simulator settings beyond the defaults (idle timeout, concurrency limit, ...). */
  simulator?: Omit<SimulatorOptions, 'functionsDir' | 'clock' | 'logger' | 'env'> & SimulatorExtraOptions;
}

/** A running `npm start` stack: HTTP server, simulator, Blobs backend, file watcher. */
export interface RunningLocalServer {
  server: LocalServer;
  url: string;
  functions: FunctionInfo[];
  functionsDir: string;
  /** Directories watched for changes (empty without `watch`). */
  watchedDirs: string[];
  /** Drains in-flight requests, stops every container, the Blobs backend and the watcher. Idempotent. */
  close(): Promise<void>;
  /** Stops everything at once. */
  destroy(): Promise<void>;
}

/**
 * Starts the local server the way `npm start` runs it: reads netlify.toml, starts a local Blobs
 * backend, starts the container simulator with `URL` (the server's own address) and the Blobs context
 * in every container's environment, and optionally watches the sources.
 */
export async function startLocalServer(options: StartLocalServerOptions): Promise<RunningLocalServer> {
  const rootDir = path.resolve(options.rootDir);
  const config = await readNetlifyToml(path.join(rootDir, 'netlify.toml'));
  const functionsDir = path.resolve(rootDir, config.functionsDirectory ?? 'functions');
  const logger = options.logger;
  // On a thread of its own: its directory walks must not queue behind the containers' HTTP traffic.
  const blobs = await startLocalBlobs({ directory: options.blobsDirectory ?? path.join(rootDir, '.netlify', 'blobs-serve'), thread: true });
  let server: LocalServer;
  try {
    server = await LocalServer.start({
      ...(options.port !== undefined && { port: options.port }),
      ...(options.host !== undefined && { host: options.host }),
      redirects: config.redirects,
      ...(logger !== undefined && { logger }),
      ...(options.clock !== undefined && { clock: options.clock }),
      ...(options.runSchedules !== undefined && { runSchedules: options.runSchedules }),
      createSimulator: (env) =>
        new Simulator({
          ...options.simulator,
          functionsDir,
          ...(options.clock !== undefined && { clock: options.clock }),
          ...(logger !== undefined && { logger }),
          // The server logs START/END/REPORT and pending-work warnings itself, in words a user can act on.
          reportLines: false,
          env: { ...env, ...blobs.env },
        }),
    });
  } catch (error) {
    await blobs.close();
    throw error;
  }
  for (const note of [...config.skipped, ...server.skippedRoutes]) logger?.warn(`not served: ${note}`);
  const watchedDirs = options.watch ? [functionsDir, path.join(rootDir, 'src', 'lib')] : [];
  const watcher = watchedDirs.length > 0 ? new SourceWatcher(watchedDirs, server, logger) : undefined;
  return assemble(server, blobs, watcher, functionsDir, watchedDirs, await server.simulator.functions());
}

function assemble(
  server: LocalServer,
  blobs: LocalBlobs,
  watcher: SourceWatcher | undefined,
  functionsDir: string,
  watchedDirs: string[],
  functions: FunctionInfo[],
): RunningLocalServer {
  let closing: Promise<void> | undefined;
  return {
    server,
    url: server.url,
    functions,
    functionsDir,
    watchedDirs,
    close() {
      closing ??= (async () => {
        watcher?.close();
        await server.close();
        await blobs.close();
      })();
      return closing;
    },
    async destroy() {
      watcher?.close();
      await server.destroy();
      await blobs.close();
    },
  };
}

/**
 * Rebuilds after a source change, as a deploy would: `refresh()` re-bundles, changed functions get new
 * containers and the old ones drain. Editors save in bursts (temp file, rename, chmod), so changes are
 * debounced and refreshes never overlap.
 */
class SourceWatcher {
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  static readonly debounceMs = 150;

  constructor(dirs: string[], server: LocalServer, logger: SimLogger | undefined) {
    const schedule = (): void => {
      if (this.#closed) return;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        void server.refresh().then(
          (changed) => {
            if (changed.length > 0) logger?.info(`rebuilt ${changed.join(', ')}: new requests go to new containers, old ones drain`);
          },
          (error: unknown) => logger?.warn(`rebuild failed: ${error instanceof Error ? error.message : String(error)}`),
        );
      }, SourceWatcher.debounceMs);
    };
    for (const dir of dirs) {
      try {
        const watcher = watch(dir, { recursive: true }, schedule);
        watcher.on('error', (error) => logger?.warn(`watching ${dir} failed: ${error.message}`));
        this.#watchers.push(watcher);
      } catch (error) {
        // A missing src/lib is fine; the functions directory always exists once the simulator started.
        logger?.warn(`not watching ${dir}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers) watcher.close();
  }
}
