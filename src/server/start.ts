import { startLocalBlobs, type LocalBlobs } from '../dev/local-blobs.ts';
import { reservedEnvNames, Simulator, type SimulatorExtraOptions } from '../sim/index.ts';
import type { Clock, FunctionInfo, Geo, SimLogger, SimulatorOptions } from '../sim/api.ts';
import { envNotices, platformEnv, platformNames } from '../site/platform-env.ts';
import { unservedReason, type RedirectRule } from '../site/redirects.ts';
import { resolveSite, type Site } from '../site/site.ts';
import type { HttpSettings } from './http-settings.ts';
import { LocalServer } from './server.ts';
import { SiteWatcher, type ChangeBatch } from './site-watcher.ts';

/** Options for {@link startLocalServer}. */
export interface StartLocalServerOptions {
  /** The site to serve, resolved once by `resolveSite()`. */
  site: Site;
  /** Default 8888; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Time source for the simulator (and so for the handlers' `Date`). Tests pass a ManualClock. */
  clock?: Clock;
  /** Log sink; default silent. */
  logger?: SimLogger;
  /**
   * Where the local Netlify Blobs backend keeps its data. Default the site's `.netlify/blobs-serve`, so
   * what functions stored survives restarts (netlify dev keeps it there too).
   */
  blobsDirectory?: string;
  /** Rebuild when the site's sources change, reload it when netlify.toml or a `.env` file does. Default false (the CLI turns it on). */
  watch?: boolean;
  /** Fire scheduled functions on the clock (`--run-schedules`), which netlify dev never does. Default false. */
  runSchedules?: boolean;
  /** The server's hardening knobs (SIM_EXPOSE, concurrency and queue, shutdown grace): see http-settings.ts. */
  http?: HttpSettings;
  /** Where requests without an `x-nf-geo` header come from (`--country`). Default netlify dev's mock location. */
  geo?: Geo;
  /** Simulator settings beyond the defaults (idle timeout, concurrency limit, ...). */
  simulator?: Omit<SimulatorOptions & SimulatorExtraOptions, 'functionsDir' | 'clock' | 'logger' | 'env' | 'envNotices' | 'functionSettings' | 'baseDir'>;
}

/** A running `npm start` stack: HTTP server, simulator, Blobs backend, file watcher. */
export interface RunningLocalServer {
  server: LocalServer;
  url: string;
  /** The site as last resolved (a netlify.toml or `.env` change resolves it again). */
  readonly site: Site;
  functions: FunctionInfo[];
  functionsDir: string;
  /** Directories watched for changes (empty without `watch`). */
  watchedDirs: readonly string[];
  /** Drains in-flight requests, stops every container, the Blobs backend and the watcher. Idempotent. */
  close(): Promise<void>;
  /** Stops everything at once. */
  destroy(): Promise<void>;
}

/**
 * Starts the local server the way `npm start` runs it: a local Blobs backend, the container simulator
 * with the site's environment plus the platform's variables (`URL` is the server's own address) and
 * the Blobs context, the site's redirects, and optionally a watcher on the site.
 */
export async function startLocalServer(options: StartLocalServerOptions): Promise<RunningLocalServer> {
  const logger = options.logger;
  let site = options.site;
  // On a thread of its own: its directory walks must not queue behind the containers' HTTP traffic.
  const blobs = await startLocalBlobs({ directory: options.blobsDirectory ?? site.blobsDir, thread: true });
  let selfUrl = '';
  const createSimulator = (forSite: Site): Simulator =>
    new Simulator({
      ...options.simulator,
      functionsDir: forSite.functionsDir,
      ...(options.clock !== undefined && { clock: options.clock }),
      ...(logger !== undefined && { logger }),
      // The server logs START/END/REPORT and pending-work warnings itself, in words a user can act on.
      reportLines: false,
      // Platform variables last: production does not let a site override them.
      env: { ...forSite.env.functions, ...blobs.env, ...platformEnv(forSite, selfUrl) },
      envNotices: envNotices(forSite),
      functionSettings: forSite.functionSettings,
      // Included files and the bundle layout are relative to the site's base directory, as in a deploy.
      baseDir: forSite.root,
    });
  let server: LocalServer;
  try {
    server = await LocalServer.start({
      ...(options.port !== undefined && { port: options.port }),
      ...(options.host !== undefined && { host: options.host }),
      redirects: servedRedirects(site),
      ...options.http,
      ...(site.publishDir !== undefined && { publishDir: site.publishDir }),
      ...(logger !== undefined && { logger }),
      ...(options.clock !== undefined && { clock: options.clock }),
      ...(options.runSchedules !== undefined && { runSchedules: options.runSchedules }),
      ...(options.geo !== undefined && { geo: options.geo }),
      // `--context production` must look like production to functions (collect refuses DELETE there).
      ...(site.context !== 'dev' && { deployContext: site.context.startsWith('branch:') ? 'branch-deploy' : site.context }),
      createSimulator: ({ URL }) => {
        selfUrl = URL;
        return createSimulator(site);
      },
    });
  } catch (error) {
    await blobs.close();
    throw error;
  }
  logNotes(site, server, logger);

  let watcher: SiteWatcher | undefined;
  if (options.watch) {
    const onBatch = async (batch: ChangeBatch): Promise<string> => {
      if (!batch.config) {
        const changed = await server.refresh();
        if (changed.length === 0) return 'no function changed';
        const names = changed.length > 8 ? `${changed.slice(0, 8).join(', ')} and ${changed.length - 8} more` : changed.join(', ');
        return `${names} rebuilt; new requests go to new containers, old ones drain`;
      }
      // netlify.toml or a .env file: every container needs the new environment, routes may move.
      const next = await resolveSite(site.root, { context: site.context, tomlEnv: site.tomlEnv });
      await server.replaceSimulator(createSimulator(next), servedRedirects(next));
      site = next;
      if (watcher) watcher.site = next;
      logNotes(next, server, logger);
      return 'site config reloaded; every function restarts in new containers, old ones drain';
    };
    try {
      watcher = await SiteWatcher.start(site, onBatch, logger);
    } catch (error) {
      await server.destroy();
      await blobs.close();
      throw error;
    }
  }
  const functions = await server.simulator.functions();
  let closing: Promise<void> | undefined;
  return {
    server,
    url: server.url,
    get site() {
      return site;
    },
    functions,
    functionsDir: site.functionsDir,
    watchedDirs: watcher?.roots ?? [],
    close() {
      closing ??= (async () => {
        await watcher?.close();
        await server.close();
        await blobs.close();
      })();
      return closing;
    },
    async destroy() {
      await watcher?.close();
      await server.destroy();
      await blobs.close();
    },
  };
}

/** The redirects the server can honour as written (see `unservedReason`). */
function servedRedirects(site: Site): RedirectRule[] {
  return site.redirects.filter((rule) => unservedReason(rule) === undefined);
}

/** What the site asks for that is not applied locally, one WARN each: said at startup and after each reload. */
function logNotes(site: Site, server: LocalServer, logger: SimLogger | undefined): void {
  for (const note of startupNotes(site)) logger?.warn(note);
  for (const note of server.skippedRoutes) logger?.warn(`not served: ${note}`);
}

function startupNotes(site: Site): string[] {
  const notes = [...site.notes];
  const reserved = new Set<string>([...platformNames, ...reservedEnvNames()]);
  for (const [name, source] of Object.entries(site.env.sources)) {
    if (reserved.has(name) && name in site.env.functions) notes.push(`${source} sets ${name}, which the platform reserves: functions get the platform's value`);
  }
  for (const rule of site.redirects) {
    const reason = unservedReason(rule);
    if (reason !== undefined) notes.push(reason);
  }
  return notes;
}
