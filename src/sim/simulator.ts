/**
 * The simulator facade: functions in a directory, bundled like Netlify bundles them, each served by a
 * pool of containers that behave like Lambda execution environments.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {
  ArmedTimer,
  BufferedInvocationResult,
  BufferedRequest,
  Clock,
  ContainerSnapshot,
  FunctionConfig,
  FunctionInfo,
  InvocationReport,
  InvocationResult,
  InvokeOptions,
  SimLogger,
  SimulatorOptions,
} from './api.ts';
import { runtimeBundle, type FunctionBundle } from './bundler.ts';
import { systemClock } from './clock.ts';
import { Container, type InvocationPayload, type RunningInvocation } from './container.ts';
import { armedTimers } from './container-clock.ts';
import { DEFAULT_INIT_TIMEOUT_MS } from './init-limit.ts';
import { createTmpRoot, sweepStaleTmpRoots } from './tmp-root.ts';
import { SimError } from './errors.ts';
import { SimEventLog, type SimEventSource } from './events.ts';
import { errorResponse, serializeRequest, toWebResponse } from './http-mapping.ts';
import { DEFAULT_NODE_VERSION_MAJOR, encodeGeoHeader, resolveGeo, UNLINKED_SITE_ID } from './platform-defaults.ts';
import { ContainerPool } from './pool.ts';
import type { FunctionSettings } from './function-settings.ts';
import { defaultBaseDir, describe, FunctionRegistry, type FunctionEntry } from './registry.ts';

/** Options the simulator adds to the shared contract. */
export interface SimulatorExtraOptions {
  /**
   * After a thaw, how long (real milliseconds) a container lets the requests carried over from before
   * its freeze finish before it runs the new handler. Default 2000. See runtime.ts for why.
   */
  thawGraceMs?: number;
  /**
   * Lambda's INIT limit: a container's first init (module evaluation) that takes longer fails with
   * `INIT_REPORT … Status: timeout` and is retried within the invocation, under its timeout. Real
   * time, and also the clock's with a ManualClock (see docs/virtual-time.md). Default 10_000.
   */
  initTimeoutMs?: number;
  /** Where bundles are cached by content hash. Default: `<os tmpdir>/stateful-serverless-sim`. */
  cacheDir?: string;
  /**
   * Log a REPORT line, and a line per request pending at freeze, after each invocation. Default true.
   * The local server turns it off: it logs START/END/REPORT itself, from the report `done` resolves with.
   */
  reportLines?: boolean;
  /**
   * The site's base directory: included files are resolved and laid out relative to it, as in the
   * function's zip. Default: the nearest ancestor of `functionsDir` holding a netlify.toml or package.json.
   */
  baseDir?: string;
  /**
   * netlify.toml function settings, by function-name glob: `"*"` is `[functions]`, `"name"` is
   * `[functions."name"]` (external_node_modules, included_files, node_bundler, schedule, ...), already in
   * {@link FunctionConfig} terms. Merged with each function's in-source config as Netlify merges them.
   */
  functionSettings?: FunctionSettings;
  /** How many events {@link Simulator.events} keeps as history. Default 10,000 (events.ts). */
  eventHistoryLimit?: number;
}

const DEFAULTS = { idleTimeoutMs: 600_000, timeoutMs: 60_000, memoryLimitMb: 1024, thawGraceMs: 2000 };

/** Netlify runs background functions (`-background` suffix or `config.background`) for up to 15 minutes. */
const BACKGROUND_TIMEOUT_MS = 900_000;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new SimError('INVALID_OPTIONS', `${name} must be a positive number, got ${value}`);
  return value;
}

/**
 * The Node major the functions target: the option, else the site's `AWS_LAMBDA_JS_RUNTIME` (the variable
 * Netlify reads to pick a function runtime, e.g. `nodejs22.x`), else Netlify's default.
 */
function nodeVersionMajorOf(option: number | undefined, awsLambdaJsRuntime: string | undefined): number {
  if (option !== undefined) {
    if (!Number.isInteger(option) || option < 1) throw new SimError('INVALID_OPTIONS', `nodeVersionMajor must be a positive integer, got ${option}`);
    return option;
  }
  const match = /^nodejs(\d+)\.x$/.exec(awsLambdaJsRuntime ?? '');
  return match?.[1] ? Number(match[1]) : DEFAULT_NODE_VERSION_MAJOR;
}

/**
 * A local container simulator. `invoke` takes a web `Request` and resolves with the `Response` as
 * soon as it is available; `done` settles when the container froze.
 */
export class Simulator {
  readonly #clock: Clock;
  readonly #idleTimeoutMs: number;
  readonly #timeoutMs: number;
  readonly #memoryLimitMb: number;
  readonly #maxConcurrency: number;
  readonly #thawGraceMs: number;
  readonly #initTimeoutMs: number;
  readonly #env: Record<string, string>;
  readonly #envNotices: Record<string, string>;
  readonly #logger: SimLogger | undefined;
  readonly #cacheDir: string;
  readonly #reportLines: boolean;
  readonly #tmpRoot: string;
  readonly #registry: FunctionRegistry;
  readonly #nodeVersionMajor: number;
  /** The site id the v1 event's `x-nf-site-id` carries (the environment's `SITE_ID`, else netlify dev's mock). */
  readonly #siteId: string;
  #runtimePath: string | null = null;
  #inFlight = new Set<Promise<InvocationReport>>();
  #closed = false;
  #nextContainer = 1;
  readonly #events: SimEventLog;

  constructor(options: SimulatorOptions & SimulatorExtraOptions) {
    if (!options || typeof options.functionsDir !== 'string') throw new SimError('INVALID_OPTIONS', 'functionsDir is required');
    this.#clock = options.clock ?? systemClock;
    this.#idleTimeoutMs = positive('idleTimeoutMs', options.idleTimeoutMs, DEFAULTS.idleTimeoutMs);
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs, DEFAULTS.timeoutMs);
    this.#memoryLimitMb = positive('memoryLimitMb', options.memoryLimitMb, DEFAULTS.memoryLimitMb);
    this.#maxConcurrency = positive('maxConcurrency', options.maxConcurrency, Number.POSITIVE_INFINITY);
    this.#thawGraceMs = positive('thawGraceMs', options.thawGraceMs, DEFAULTS.thawGraceMs);
    this.#initTimeoutMs = positive('initTimeoutMs', options.initTimeoutMs, DEFAULT_INIT_TIMEOUT_MS);
    this.#env = { ...options.env };
    this.#envNotices = { ...options.envNotices };
    this.#logger = options.logger;
    this.#cacheDir = options.cacheDir ?? path.join(os.tmpdir(), 'stateful-serverless-sim');
    this.#reportLines = options.reportLines ?? true;
    this.#nodeVersionMajor = nodeVersionMajorOf(options.nodeVersionMajor, this.#env.AWS_LAMBDA_JS_RUNTIME);
    this.#siteId = this.#env.SITE_ID ?? UNLINKED_SITE_ID;
    this.#events = new SimEventLog({ clock: this.#clock, ...(options.eventHistoryLimit !== undefined && { historyLimit: options.eventHistoryLimit }) });
    // Every container's /tmp lives under one root, so close() can prove it removed them all. Roots
    // that killed runs left behind (their process is dead) go first.
    sweepStaleTmpRoots();
    this.#tmpRoot = createTmpRoot();
    const functionsDir = path.resolve(options.functionsDir);
    this.#registry = new FunctionRegistry({
      functionsDir,
      cacheDir: this.#cacheDir,
      baseDir: options.baseDir !== undefined ? path.resolve(options.baseDir) : defaultBaseDir(functionsDir, existsSync),
      functionSettings: options.functionSettings,
      createPool: (bundle, config) => this.#createPool(bundle, config),
      logger: this.#logger,
    });
  }

  /** Root of the containers' temp directories (removed by close/destroy). */
  get tmpRoot(): string {
    return this.#tmpRoot;
  }

  /**
   * Discovers and bundles every function. A function that failed to bundle, whose config a deploy would
   * refuse, or whose module failed to load is listed with `error`; the others are unaffected.
   */
  async functions(): Promise<FunctionInfo[]> {
    this.#assertOpen();
    return (await this.#registry.all()).map(describe);
  }

  /** Invokes `name` with `request`, through a warm container if one is idle, else a cold one. */
  async invoke(name: string, request: Request, options: InvokeOptions = {}): Promise<InvocationResult> {
    this.#assertOpen();
    const result = await this.invokeBuffered(name, await serializeRequest(request), options);
    const { response } = result;
    return { ...result, response: response instanceof Response ? response : toWebResponse(response) };
  }

  /**
   * {@link invoke} for a caller that already holds the whole request, such as an HTTP server: no web
   * `Request` is built, and a v1 result (or an error) comes back buffered instead of as a web
   * `Response`, so it can be written in one go. A v2 response is a web `Response` (it may stream).
   */
  async invokeBuffered(name: string, request: BufferedRequest, options: InvokeOptions = {}): Promise<BufferedInvocationResult> {
    this.#assertOpen();
    const entry = this.#readyEntry(name) ?? (await this.#entry(name));
    // A function that did not build answers with why, every time, until a refresh finds it fixed.
    if (entry.kind === 'broken') throw new SimError(entry.error.code, `function "${name}" is not served: ${entry.error.message}`, { cause: entry.error });
    const { bundle, pool, config } = entry;
    const requestId = options.requestId ?? randomUUID();
    const clientIp = options.clientIp ?? '127.0.0.1';
    // The request crosses into the container as it arrived; the runtime maps it for the handler there.
    const payload: InvocationPayload = {
      requestId,
      clientIp,
      request,
      geoHeader: encodeGeoHeader(resolveGeo(request.headers, options.context?.geo)),
      siteId: this.#siteId,
      ...(bundle.api === 'v2' && { params: options.context?.params ?? {} }),
    };
    this.#assertOpen();
    const container = pool.acquire();
    if (!container) return this.#throttled(name, requestId, request, options);
    // Everything the simulator does when the invocation ends happens in the container's own callback,
    // synchronously: a then() on `done` for it cost a promise and a closure on every invocation.
    let running: RunningInvocation | undefined;
    let ended = false;
    running = container.invoke(payload, (report) => {
      ended = true;
      pool.release(container);
      if (running) this.#inFlight.delete(running.done);
      if (report.outcome === 'init-error') this.#registry.noteInit(name, bundle.bundleHash, report.errorMessage ?? 'the module failed to load');
      else if (report.outcome === 'ok' && report.coldStart) this.#registry.noteInit(name, bundle.bundleHash, undefined);
      this.#notifyEnd(options, report);
    });
    options.onStart?.({ requestId, containerId: container.id, coldStart: running.coldStart });
    const done = running.done;
    // An invocation that ended before invoke() returned (its container could not start) is not in flight.
    if (!ended) this.#inFlight.add(done);
    if (config.background === true) {
      // Netlify background functions answer 202 at once and run on; what the handler returns is dropped.
      running.response.catch(() => undefined);
      return { requestId, containerId: container.id, coldStart: running.coldStart, response: { kind: 'buffered', status: 202, headers: [], body: null }, done };
    }
    const response = await running.response;
    return { requestId, containerId: container.id, coldStart: running.coldStart, response, done };
  }

  /**
   * With a ManualClock: the timers armed inside live containers, earliest due first (those of every
   * simulator on the same clock). A frozen container's timers are listed too; they fire once it is
   * thawed after their due time. Empty with the system clock, whose timers are Node's own.
   */
  timers(): ArmedTimer[] {
    return armedTimers(this.#clock).list();
  }

  /** With a ManualClock: resolves with the first timer armed inside a container (now or later) that matches. */
  whenTimer(predicate: (timer: ArmedTimer) => boolean = () => true): Promise<ArmedTimer> {
    return armedTimers(this.#clock).when(predicate);
  }

  /**
   * What happened to every container, on the simulator's clock: history since start (bounded) and a
   * live subscription. See events.ts for the event types.
   */
  events(): SimEventSource {
    return this.#events;
  }

  /** Live containers of every function. */
  containers(): ContainerSnapshot[] {
    return this.#registry.pools().flatMap((pool) => pool.snapshots());
  }

  /**
   * Re-bundles every function. A function whose bundle changed gets a fresh pool for new requests,
   * while its old containers finish what they are doing and stop, as after a deploy. Returns the names
   * of the functions that changed (including new and removed ones).
   */
  async refresh(): Promise<string[]> {
    this.#assertOpen();
    return this.#registry.refresh();
  }

  /** Stops accepting invocations, waits for those in flight to freeze, then stops every container. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
    await this.#stopEverything('closed');
  }

  /** Stops every container at once; invocations in flight fail. */
  async destroy(): Promise<void> {
    this.#closed = true;
    await this.#stopEverything('destroyed');
  }

  async #stopEverything(reason: string): Promise<void> {
    // Let bundles still in progress finish, so no pool is created after this point goes unstopped.
    await this.#registry.settle();
    await Promise.all(this.#registry.pools().map((pool) => pool.stopAll(reason)));
    rmSync(this.#tmpRoot, { recursive: true, force: true });
  }

  /**
   * The caller's onEnd. It runs inside the container's own message handling, so a caller's exception
   * must not escape it: the invocation would never resolve `done`, and the container would stay busy.
   */
  #notifyEnd(options: InvokeOptions, report: InvocationReport): void {
    if (!options.onEnd) return;
    try {
      options.onEnd(report);
    } catch (error) {
      this.#logger?.warn(`[${report.functionName}] ${report.requestId} onEnd threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #throttled(name: string, requestId: string, request: BufferedRequest, options: InvokeOptions): BufferedInvocationResult {
    // Lambda's answer when reserved concurrency is exhausted; no container is touched.
    const report: InvocationReport = {
      requestId,
      functionName: name,
      containerId: '',
      outcome: 'throttled',
      coldStart: false,
      durationMs: 0,
      billedDurationMs: 0,
      memorySizeMb: this.#memoryLimitMb,
      maxMemoryUsedMb: 0,
      pendingAtFreeze: [],
      errorMessage: `Rate Exceeded: ${name} is at its maximum concurrency (${this.#maxConcurrency})`,
    };
    this.#logger?.warn(`[${name}] ${requestId} throttled: ${report.errorMessage}`);
    const url = new URL(request.url);
    this.#events.emit(name, '', { type: 'throttled', requestId, method: request.method, path: `${url.pathname}${url.search}` });
    this.#notifyEnd(options, report);
    return {
      requestId,
      containerId: '',
      coldStart: false,
      response: errorResponse(429, { errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.' }),
      done: Promise.resolve(report),
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw new SimError('SIMULATOR_CLOSED', 'the simulator is closed');
  }

  /** The function's entry if it is bundled and current (the usual case), without waiting for a turn. */
  #readyEntry(name: string): FunctionEntry | undefined {
    // (Broken entries come back too: they answer with their error without a wait.)
    return this.#runtimePath ? this.#registry.ready(name) : undefined;
  }

  #entry(name: string): Promise<FunctionEntry> {
    const entry = this.#registry.entry(name);
    if (this.#runtimePath) return entry;
    return Promise.all([entry, runtimeBundle(this.#cacheDir)]).then(([resolved, runtimePath]) => {
      this.#runtimePath = runtimePath;
      return resolved;
    });
  }

  #createPool(bundle: FunctionBundle, config: FunctionConfig): ContainerPool {
    const pool = new ContainerPool({
      functionName: bundle.name,
      clock: this.#clock,
      idleTimeoutMs: this.#idleTimeoutMs,
      maxConcurrency: this.#maxConcurrency,
      logger: this.#logger,
      createContainer: () => {
        if (!this.#runtimePath) throw new Error('runtime bundle not ready');
        return new Container({
          id: `${bundle.name}-${this.#nextContainer++}`,
          bundle,
          runtimePath: this.#runtimePath,
          clock: this.#clock,
          timeoutMs: config.background === true ? Math.max(this.#timeoutMs, BACKGROUND_TIMEOUT_MS) : (config.timeoutMs ?? this.#timeoutMs),
          // `config.memory` (1024 to 4096 MB on Netlify) sizes this function's containers.
          memoryLimitMb: config.memoryMb ?? this.#memoryLimitMb,
          thawGraceMs: this.#thawGraceMs,
          initTimeoutMs: this.#initTimeoutMs,
          env: this.#env,
          envNotices: this.#envNotices,
          tmpRoot: this.#tmpRoot,
          logger: this.#logger,
          reportLines: this.#reportLines,
          nodeVersionMajor: this.#nodeVersionMajor,
          ...(process.env.PERF_CUT !== 'events' && { events: this.#events }),
        });
      },
    });
    return pool;
  }
}
