/**
 * The container simulator's public contract: the types the facade (`src/sim/index.ts`) speaks.
 * The local server and the tests depend on these shapes only, never on the simulator's internals.
 */

/** A source of time. The simulator, its containers' `Date`, and the rate limiter all read it. */
export interface Clock {
  /** Milliseconds since the Unix epoch, as `Date.now()`. */
  now(): number;
  /** Calls `callback` once the clock reaches `now() + delayMs`. Returns a function that cancels it. */
  setTimer(delayMs: number, callback: () => void): () => void;
}

/** Where the simulator writes its log lines. Injected, so a server can print them and a test can collect them. */
export interface SimLogger {
  info(line: string): void;
  warn(line: string): void;
}

/** Options for {@link Simulator}. Every field but `functionsDir` has a platform-like default. */
export interface SimulatorOptions {
  /** Directory holding one `<name>.ts` (or `.js`/`.mts`) file per function, as netlify.toml's `[functions] directory`. */
  functionsDir: string;
  /** Time source. Default: the system clock. A manual clock lets tests advance time instead of sleeping. */
  clock?: Clock;
  /** How long an idle container lives before it is reaped. Default 600_000 (10 min, docs/platform-facts.md#lambda-execution-environment). */
  idleTimeoutMs?: number;
  /** Invocation time limit. Default 60_000 (Netlify synchronous functions). */
  timeoutMs?: number;
  /** Per-container memory limit. Default 1024 (Netlify default). */
  memoryLimitMb?: number;
  /** Maximum containers per function; requests beyond it are throttled (429). Default: unlimited. */
  maxConcurrency?: number;
  /**
   * The site's environment variables every container sees (for example `URL`, `NETLIFY_BLOBS_CONTEXT`),
   * on top of Lambda's own. The shell's other variables are not passed (docs/sites.md).
   */
  env?: Record<string, string>;
  /**
   * Variables a local tool would set that production leaves undefined (netlify.toml-only, netlify
   * dev-only), name -> the WARN a function gets when it reads one. Shell-only ones are found by the simulator.
   */
  envNotices?: Record<string, string>;
  /** Log sink. Default: silent. */
  logger?: SimLogger;
  /**
   * The Node.js major the functions target in production. Default: `AWS_LAMBDA_JS_RUNTIME` in `env`
   * (`nodejs22.x` gives 22), else 24, Netlify's default. On 24 a callback handler `(event, context,
   * callback)` fails INIT as on AWS's nodejs24.x runtime; on 22 and older it runs with Lambda's callback semantics.
   */
  nodeVersionMajor?: number;
}

/**
 * Netlify's rate limiting rule for a function (`config.rateLimit`, or a `[[redirects]]`/`[functions]`
 * rule in netlify.toml). `aggregateBy` is an array on the platform.
 */
export interface RateLimitConfig {
  windowLimit: number;
  /** Seconds. */
  windowSize: number;
  aggregateBy: Array<'ip' | 'domain'>;
  /** `rate_limit` answers 429; `rewrite` serves `to` instead. Default `rate_limit`. */
  action: 'rate_limit' | 'rewrite';
  to?: string;
}

/**
 * Everything the platform reads about one function, merged from its in-source `export const config`
 * (v2 and v1 alike) and netlify.toml's `[functions]` / `[functions."name"]` tables. Arrays are
 * normalised (a single `path` becomes a one-element array). Absent means "not set".
 */
export interface FunctionConfig {
  /** URLPattern pathnames the function is served at instead of `/.netlify/functions/<name>`. */
  path?: string[];
  excludedPath?: string[];
  /** Upper-case HTTP methods; others fall through as if the function did not match. */
  method?: string[];
  /** When a static file matches the same path, serve the file. */
  preferStatic?: boolean;
  /** Cron expression (or @hourly, ...): a scheduled function. */
  schedule?: string;
  /** A background function: `-background` suffix or `config.background`. Answers 202 at once, 15 min limit. */
  background?: boolean;
  /** Served through `/.netlify/builders/<name>` too (`builder()` wrapper, On-demand Builder). */
  builder?: boolean;
  rateLimit?: RateLimitConfig;
  memoryMb?: number;
  timeoutMs?: number;
  externalNodeModules?: string[];
  includedFiles?: string[];
  /** Directory `includedFiles` globs are relative to: the site's base directory unless set (in-source globs are relative to the function's directory). */
  includedFilesBasePath?: string;
  nodeBundler?: string;
  displayName?: string;
}

/** Geolocation as v2 `context.geo` holds it (and v1's `x-nf-geo` header carries, base64 JSON). */
export interface Geo {
  city?: string;
  country?: { code?: string; name?: string };
  subdivision?: { code?: string; name?: string };
  postalCode?: string;
  timezone?: string;
  latitude?: number;
  longitude?: number;
}

/** Per-request platform facts the caller (the server's router) knows and the container's context needs. */
export interface InvocationContextInput {
  /** Named groups from the `config.path` pattern that matched (v2 `context.params`). */
  params?: Record<string, string>;
  /** Default: the request's `x-nf-geo` header (base64 JSON), else netlify dev's mock location (San Francisco, US). */
  geo?: Geo;
}

/** Which handler API a function uses. */
export type HandlerApi = 'v1' | 'v2';

/** A function the simulator found and bundled. */
export interface FunctionInfo {
  name: string;
  api: HandlerApi;
  /** A v2 function's `config.path`, if it sets one. (Kept while callers move to `config.path`.) */
  configPath?: string | string[];
  /** The function's merged config. Filled in by the function registry. */
  config?: FunctionConfig;
  /** Set when the function failed to bundle or to load its config: it is listed, and its requests get this error. */
  error?: { code: SimErrorCode; message: string };
  /** Content hash of the esbuild bundle; it changes when the source (or anything it imports) changes. */
  bundleHash: string;
  bundleBytes: number;
}

/** Options for one invocation. */
export interface InvokeOptions {
  /** The client's IP, as Netlify passes it (v2 `context.ip`, v1 `x-nf-client-connection-ip`). Default 127.0.0.1. */
  clientIp?: string;
  /** Request id to use; default: a fresh one. */
  requestId?: string;
  /**
   * Called once the request has been handed to a container, before any response. Lets a caller (a
   * log line, a test) know which container took it even when the handler never answers.
   */
  onStart?: (start: { requestId: string; containerId: string; coldStart: boolean }) => void;
  /**
   * Called with the report when the invocation ends (the container froze, failed or stopped, or the
   * request was throttled), synchronously, before `done` resolves with the same report. Lets a caller
   * that serves many requests (the local server) act on every end without a promise per invocation.
   */
  onEnd?: (report: InvocationReport) => void;
  /** Routing facts for the v2 context (params) and platform headers (geo). */
  context?: InvocationContextInput;
}

/** How an invocation ended. */
export type InvocationOutcome =
  | 'ok'
  | 'handler-error' // the handler threw or rejected: error response, container stays warm
  | 'init-error' // module top level threw: container discarded
  | 'timeout' // exceeded timeoutMs: container reset (its /tmp kept)
  | 'crash' // uncaught exception or process.exit: container killed
  | 'out-of-memory' // exceeded memoryLimitMb: container killed
  | 'throttled'; // maxConcurrency reached: 429, no container used

/** The API a function armed a timer with. */
export type TimerApi = 'setTimeout' | 'setInterval' | 'timers/promises.setTimeout' | 'timers/promises.setInterval' | 'AbortSignal.timeout';

/** Work still in flight when a container froze. */
export interface PendingWork {
  kind: 'http-request' | 'timer';
  /** For requests. */
  method?: string;
  url?: string;
  /** For timers: the delay it was scheduled with. */
  delayMs?: number;
  /** For timers: how it was armed. */
  timerApi?: TimerApi;
  /** Which invocation started it. */
  requestId: string;
}

/** What the platform's REPORT line carries, plus what the container left behind at freeze. */
export interface InvocationReport {
  requestId: string;
  functionName: string;
  containerId: string;
  outcome: InvocationOutcome;
  coldStart: boolean;
  /** Time spent in the INIT phase (module evaluation), on cold starts only. */
  initDurationMs?: number;
  durationMs: number;
  billedDurationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Work left in flight when the container froze after this invocation. Empty when it was killed or reset. */
  pendingAtFreeze: PendingWork[];
  /**
   * Lambda's INIT_REPORT when this container's Init phase failed and init was retried within this
   * invocation: today only a timeout (the Init phase ran past `initTimeoutMs`).
   */
  initReport?: { phase: 'init'; status: 'timeout'; durationMs: number };
  /** For outcomes other than 'ok': what went wrong, as the platform would log it. */
  errorMessage?: string;
}

/** What {@link Simulator.invoke} resolves with, as soon as the response is available. */
export interface InvocationResult {
  requestId: string;
  containerId: string;
  coldStart: boolean;
  /** The response. A streamed v2 body streams. */
  response: Response;
  /**
   * Settles when the container froze (or was killed) after this invocation: for v2, only after the
   * `waitUntil` promises settled, although the response went out at once. Never rejects.
   */
  done: Promise<InvocationReport>;
}

/**
 * A request whose body has already been read: what an HTTP server holds once a request arrived. The
 * headers are as iterating a web `Headers` yields them: lower-case names in sorted order, repeated
 * fields joined with ", " except `set-cookie`, which keeps one entry per cookie.
 */
export interface BufferedRequest {
  method: string;
  /** Absolute URL. */
  url: string;
  headers: Array<[string, string]>;
  /** Null when there is no body (or an empty one). */
  body: Uint8Array | null;
}

/**
 * An answer whose body is whole in memory: a v1 result, or an error the platform answers with. A server
 * writes it in one go, without going through web streams.
 */
export interface BufferedResponse {
  kind: 'buffered';
  status: number;
  /** Lower-case names, sorted; one entry per `set-cookie`. */
  headers: Array<[string, string]>;
  /** A string is sent UTF-8 encoded (node:http then writes head and body as one string, in one write). */
  body: Uint8Array | string | null;
  /**
   * The v1 result came through @netlify/functions' `builder()` (it carried `metadata.builder_function`).
   * netlify dev answers a `/.netlify/builders/<name>` request whose result lacks it with a 400.
   */
  builder?: boolean;
}

/** What {@link Simulator.invokeBuffered} resolves with: a v1 result stays buffered, a v2 response streams. */
export interface BufferedInvocationResult extends Omit<InvocationResult, 'response'> {
  response: BufferedResponse | Response;
}

/**
 * A timer armed inside a container that runs on a {@link SimulatorOptions.clock} ManualClock (see
 * `Simulator.timers()`): it fires once the clock reaches `dueMs` while the container is thawed.
 */
export interface ArmedTimer {
  containerId: string;
  functionName: string;
  /** Unique within its container. */
  id: number;
  api: TimerApi;
  delayMs: number;
  /** Clock time at which it is due. */
  dueMs: number;
  /** The invocation that armed it (`init` for module scope). */
  requestId: string;
}

/** Lifecycle state of a container. */
export type ContainerState = 'initializing' | 'busy' | 'frozen' | 'stopped';

/** A point-in-time view of one container, for `/__sim/containers` and tests. */
export interface ContainerSnapshot {
  id: string;
  functionName: string;
  state: ContainerState;
  invocations: number;
  bundleHash: string;
  /**
   * Module evaluation (the INIT phase) at its last cold start, as Lambda's REPORT `Init Duration`.
   * Real milliseconds, rounded to 2 decimals; 0 before INIT finished.
   */
  initDurationMs: number;
  /**
   * The whole cold start as a caller waits for it: worker start plus module evaluation. Real
   * milliseconds, rounded to 2 decimals; 0 before INIT finished.
   */
  spawnMs: number;
  /** Milliseconds (by the clock) since its last invocation ended; 0 while busy. */
  idleMs: number;
  /** The container's private temp directory (its `os.tmpdir()`). */
  tmpDir: string;
  lastPendingAtFreeze: PendingWork[];
}

/** Error codes the simulator throws with (as `SimError.code`). */
export type SimErrorCode =
  | 'FUNCTION_NOT_FOUND'
  | 'BUNDLE_FAILED'
  | 'CONFIG_INVALID' // the function's config fails Netlify's in-source config schema (a deploy would fail)
  | 'INIT_FAILED' // the function's module threw while loading (its requests get the runtime's init error)
  | 'SIMULATOR_CLOSED'
  | 'INVALID_OPTIONS';
