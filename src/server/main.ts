/**
 * Serves a site until a signal: what `stateful-serverless serve` (src/cli/main.ts) and so `npm start` run.
 *
 * Environment: PORT (default 8888), HOST (default 127.0.0.1), and SIM_IDLE_TIMEOUT_MS, SIM_TIMEOUT_MS,
 * SIM_MAX_CONCURRENCY for the simulator (see settings.ts); the CLI reads them, with its flags on top.
 * SIGINT/SIGTERM run the shutdown sequence in shutdown.ts (bounded; docs/reliability.md). The
 * hardening knobs come from the environment (http-settings.ts: SIM_EXPOSE, SIM_FUNCTION_CONCURRENCY,
 * SIM_QUEUE_LENGTH, SIM_SHUTDOWN_GRACE_MS).
 *
 * package.json runs the CLI as `node --max-semi-space-size=8 src/cli/main.ts serve`. Under thousands of
 * requests a second V8 grew this thread's young generation to about 130 MB of garbage-in-waiting
 * (live heap 11 to 16 MB, `--trace-gc`): RSS climbed 301 -> 462 MiB over 30 s of hello-world load.
 * With the cap it was 292 -> 341 MiB, at the same throughput. Containers set their own young
 * generation (container.ts).
 */
import path from 'node:path';
import type { Site } from '../site/site.ts';
import { countryGeo } from './country-geo.ts';
import { BatchedLog } from './log-sink.ts';
import { publicPaths } from './routes.ts';
import { readHttpSettings } from './http-settings.ts';
import { defaultShutdownGraceMs } from './server.ts';
import type { ServerSettings } from './settings.ts';
import { installShutdown } from './shutdown.ts';
import { startLocalServer, type RunningLocalServer } from './start.ts';

// Batched (see log-sink.ts): three lines per request, each a blocking write, were a sixth of the
// server's time under load. Whatever is queued is written before any direct write below and when the
// process exits (process.exit included), so nothing is lost or reordered.
const logger = new BatchedLog({ out: process.stdout, err: process.stderr, warnPrefix: 'WARN ' });
process.on('exit', () => logger.flush());

function banner(running: RunningLocalServer): string {
  const { url, functions, site } = running;
  const nameWidth = Math.max(...functions.map((f) => f.name.length), 4);
  const lines = [
    `Serving ${functions.length} function${functions.length === 1 ? '' : 's'} from ${site.root} on the container simulator at ${url}`,
    ...functions.map((f) =>
      f.error && f.error.code !== 'INIT_FAILED'
        ? `  ${f.name.padEnd(nameWidth)}  NOT SERVED (${f.error.code}): ${f.error.message}`
        : `  ${f.name.padEnd(nameWidth)}  ${f.api}  ${publicPaths(f, running.server.redirects).join('  ')}${f.error ? `  (fails to load: ${f.error.message})` : ''}`,
    ),
    `Timeline: ${url}/__sim/  (events: ${url}/__sim/events)`,
    `Containers: ${url}/__sim/containers`,
  ];
  if (running.watchedDirs.length > 0) {
    lines.push(`Watching ${running.watchedDirs.map((dir) => path.relative(site.root, dir) || '.').join(', ')} for changes. Ctrl-C stops.`);
  }
  return lines.join('\n');
}

/** What {@link serve} runs with: the site, resolved once, and the server's settings. */
export interface ServeConfig {
  site: Site;
  settings: ServerSettings;
  watch: boolean;
  /** `--run-schedules`: fire scheduled functions on the server's clock. */
  runSchedules: boolean;
  /** `--country`: the mock location's country code. */
  country: string | undefined;
}

/** Serves `config.site` until SIGINT/SIGTERM; sets `process.exitCode`. */
export async function serve(config: ServeConfig): Promise<void> {
  let running: RunningLocalServer | undefined;
  let graceMs = defaultShutdownGraceMs;
  const shutdown = installShutdown({ logger });
  try {
    const { port, host, ...simulator } = config.settings;
    const http = readHttpSettings(process.env);
    graceMs = http.shutdownGraceMs ?? graceMs;
    running = await startLocalServer({
      site: config.site,
      port,
      ...(host !== undefined && { host }),
      logger,
      watch: config.watch,
      runSchedules: config.runSchedules,
      ...(config.country !== undefined && { geo: countryGeo(config.country) }),
      http,
      simulator,
    });
  } catch (error) {
    // One clear line, no stack: the usual causes are a port in use or a bad setting (a function that
    // does not bundle is listed in the banner instead).
    const message = error instanceof Error ? error.message : String(error);
    logger.flush();
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = 1;
    shutdown.uninstall();
    return;
  }
  logger.flush();
  process.stdout.write(`${banner(running)}\n`);
  shutdown.running(running, graceMs);
}
