import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BufferedInvocationResult, BufferedRequest, Clock, ContainerSnapshot, FunctionInfo, Geo, InvocationReport, InvokeOptions, SimLogger } from '../sim/api.ts';
import { systemClock, type SimEventSource } from '../sim/index.ts';
import { ConcurrencyGate } from './concurrency-gate.ts';
import { ServerError, fromSimulatorError } from './errors.ts';
import { EventStream } from './event-stream.ts';
import { formatAccess, formatEnd, formatPendingWarning, formatReport, formatStart, type AccessEntry } from './invocation-log.ts';
import type { RedirectRule } from '../site/redirects.ts';
import { describeParserError, rawErrorResponse, type ParserError } from './parse-errors.ts';
import { RateLimiter } from './rate-limiter.ts';
import { clientIp, ClientGoneError, readBody, requestHeaders } from './request.ts';
import { drain, sendError, sendJson, writeBuffered, writeResponse } from './response.ts';
import { containersPath, RouteTable, type RouteTableOptions } from './routes.ts';
import { nextRun, ScheduleRunner, scheduledAnswer, scheduledRequest } from './scheduled.ts';
import { isSimPage, serveSimPage, simPrefix } from './sim-pages.ts';
import { sendStaticFile, StaticFiles, type StaticFile } from './static-files.ts';
import { isOwnConnection } from './own-connections.ts';
import { isLoopback, isWildcard, simAccessAllowed, TargetParser, urlHost } from './url.ts';

/**
 * The part of the simulator facade (`src/sim/index.ts`) the server uses. The server depends on this
 * shape only, so a test double can stand in for the simulator, as undici's MockAgent stands in for a Dispatcher.
 */
export interface SimulatorPort {
  functions(): Promise<FunctionInfo[]>;
  invokeBuffered(name: string, request: BufferedRequest, options?: InvokeOptions): Promise<BufferedInvocationResult>;
  containers(): ContainerSnapshot[];
  /** What happened to every container (src/sim/events.ts), for `/__sim/events` and the timeline page. */
  events(): SimEventSource;
  refresh(): Promise<string[]>;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * How long the server waits on a client. Every bound is what keeps one slow or stalled client from
 * holding the server, or its shutdown, for Node's defaults (300 s for a request, none for a body).
 */
export interface HttpTimeouts {
  /** Request line and headers must arrive within this. Default 10 000 (Node: 60 000). Answered 408. */
  headersMs: number;
  /** The whole request, body included, must arrive within this. Default 30 000 (Node: 300 000). Answered 408. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this. Default 5 000 (Node's default). */
  keepAliveMs: number;
  /**
   * After refusing a body (413, or a shutdown 503) the server reads and discards what the client is
   * still sending for at most this long, then closes: answering and closing at once with unread bytes
   * queued makes the kernel send a reset, and the client loses the answer (EPIPE). Default 2 000.
   */
  lingerMs: number;
  /** ...and at most this many bytes. Default 16 MiB. */
  lingerMaxBytes: number;
}

/** The defaults of {@link HttpTimeouts} (docs/reliability.md). */
export const defaultHttpTimeouts: HttpTimeouts = {
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
  lingerMs: 2_000,
  lingerMaxBytes: 16 * 1024 * 1024,
};

/** Options for {@link LocalServer.start}. */
export interface LocalServerOptions {
  /**
   * Builds the simulator once the server listens, so that `env.URL` is the server's real address
   * (port 0 resolves only then): send-data's default destination is `${URL}/.netlify/functions/collect`.
   */
  createSimulator(env: { URL: string }): SimulatorPort | Promise<SimulatorPort>;
  /** Default 8888, as netlify dev. 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1: a dev server should not be reachable from the network unless asked (HOST=0.0.0.0). */
  host?: string;
  /** netlify.toml redirects; 200 rewrites into `/.netlify/functions/` are served. */
  redirects?: readonly RedirectRule[];
  /** Request body limit. Default 6 MiB, Netlify's buffered payload limit for synchronous functions. */
  maxBodyBytes?: number;
  /** Log sink for START/END/REPORT lines and warnings. Default: silent. */
  logger?: SimLogger;
  /** Time source for `config.rateLimit` windows and `runSchedules`. Default: the system clock. */
  clock?: Clock;
  /** Fire scheduled functions on the clock, as Netlify's scheduler does (netlify dev never does). Default false. */
  runSchedules?: boolean;
  /**
   * The site's publish directory (netlify.toml `[build] publish`), served as static files the way
   * Netlify serves them (static-files.ts); a `preferStatic` function yields to a file there (routes.ts).
   * Default: none, only functions are served.
   */
  publishDir?: string;
  /** Geolocation for requests without an `x-nf-geo` header (`--country`); default netlify dev's mock location. */
  geo?: Geo;
  /**
   * The deploy context (`--context`) the server tells functions in `x-nf-deploy-context`, which production's
   * proxy sets on every request and the v2 bootstrap reads into `context.deploy.context`. Unset: the
   * request's own header, else `dev` (netlify dev).
   */
  deployContext?: string;
  /** Client bounds; each field defaults to {@link defaultHttpTimeouts}. */
  timeouts?: Partial<HttpTimeouts>;
  /** Serve `/__sim/*` to clients beyond this machine (SIM_EXPOSE=1). Default false: loopback clients only. */
  exposeSim?: boolean;
  /** Invocations of one function running at once; see concurrency-gate.ts. Default {@link defaultFunctionConcurrency}. */
  functionConcurrency?: number;
  /** Requests of one function waiting for a slot before 429. Default {@link defaultQueueLength}. */
  queueLength?: number;
  /** How long close() lets in-flight and waitUntil work finish before stopping it. Default {@link defaultShutdownGraceMs}. */
  shutdownGraceMs?: number;
}

/** Netlify's buffered request payload limit for synchronous functions (docs/platform-facts.md#netlify-functions). */
export const defaultMaxBodyBytes = 6 * 1024 * 1024;

/**
 * Containers of one function running at once. Measured by bench/container-rss.ts (docs/reliability.md):
 * a container costs 15 to 20 MiB of RSS; a burst of 500 requests to send-data-wait-until (which calls
 * collect) peaked at +640 MiB with 16, +1,180 MiB with 32, in the same time (2 cores), while without a
 * limit 150 requests alone made 109 containers, +1,820 MiB, and took twice as long.
 */
export const defaultFunctionConcurrency = 16;

/** Requests of one function waiting for a container before the server answers 429. */
export const defaultQueueLength = 1000;

/** How long shutdown waits for in-flight requests and waitUntil work. */
export const defaultShutdownGraceMs = 10_000;

const silentLogger: SimLogger = { info: () => undefined, warn: () => undefined };

/**
 * Where a request comes from: a client, or a container of this server calling its own site (told apart
 * only while shutdown drains; see own-connections.ts).
 */
type Origin = 'outside' | 'own';

/**
 * A thin adapter from node:http to the container simulator: Netlify-style routing in, the simulator's
 * web `Response` streamed out, Lambda-style logs on the side. All platform behaviour (containers,
 * freeze, v1 event mapping) lives in the simulator; this class only speaks HTTP.
 *
 * Shutdown refuses outside requests at once but keeps serving the containers' own calls to the site
 * (a waitUntil delivery to collect) until the simulator's work has drained.
 */
export class LocalServer {
  #server: Server;
  #simulator: SimulatorPort;
  #routes: RouteTable;
  #redirects: readonly RedirectRule[];
  #logger: SimLogger;
  #maxBodyBytes: number;
  #timeouts: HttpTimeouts;
  #exposeSim: boolean;
  #gate: ConcurrencyGate;
  #shutdownGraceMs: number;
  #url: string;
  #inFlight = new Set<Promise<void>>();
  /** Invocations whose container has not frozen yet (a v2 answer goes out before its waitUntil work ends). */
  #running = new Set<Promise<unknown>>();
  #targets: TargetParser;
  /** Requests still receiving their body: nothing acknowledged yet; outside ones are cut at shutdown. */
  #receiving = new Map<() => void, Socket>();
  #nextRequestNumber = 1;
  #draining = false;
  #closing: Promise<void> | undefined;
  #refreshing: Promise<string[]> = Promise.resolve([]);
  #routeOptions: RouteTableOptions;
  #clock: Clock;
  #schedules: ScheduleRunner | undefined;
  #static: StaticFiles | undefined;
  #events: EventStream;
  #geo: Geo | undefined;
  #deployContext: string | undefined;

  private constructor(init: {
    server: Server;
    simulator: SimulatorPort;
    routes: RouteTable;
    redirects: readonly RedirectRule[];
    logger: SimLogger;
    options: LocalServerOptions;
    timeouts: HttpTimeouts;
    url: string;
    routeOptions: RouteTableOptions;
    clock: Clock;
    staticFiles: StaticFiles | undefined;
    geo: Geo | undefined;
  }) {
    const { options } = init;
    this.#server = init.server;
    this.#simulator = init.simulator;
    this.#routes = init.routes;
    this.#redirects = init.redirects;
    this.#logger = init.logger;
    this.#maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
    this.#timeouts = init.timeouts;
    this.#exposeSim = options.exposeSim ?? false;
    this.#shutdownGraceMs = options.shutdownGraceMs ?? defaultShutdownGraceMs;
    const limit = options.functionConcurrency ?? defaultFunctionConcurrency;
    const maxQueued = options.queueLength ?? defaultQueueLength;
    this.#gate = new ConcurrencyGate({
      limit,
      maxQueued,
      onFirstLimit: (name) =>
        this.#logger.warn(
          `${name} reached ${limit} concurrent invocations: further requests to a function at its limit wait in a queue (up to ${maxQueued}, then 429 like Lambda throttling). ` +
            `Set SIM_FUNCTION_CONCURRENCY to change it: every concurrent invocation is a container (a worker thread of about 18 MiB), so an unbounded burst of 500 requests would take about 9 GiB (docs/reliability.md)`,
        ),
    });
    this.#url = init.url;
    this.#targets = new TargetParser(init.url);
    this.#routeOptions = init.routeOptions;
    this.#clock = init.clock;
    this.#static = init.staticFiles;
    this.#events = new EventStream(init.simulator.events(), () => init.clock.now());
    this.#geo = init.geo;
    this.#deployContext = options.deployContext;
  }

  /**
   * Listens, then builds the simulator with `URL` set to the bound address, then serves.
   * Rejects with `ServerError` code `PORT_IN_USE` when the port is taken.
   */
  static async start(options: LocalServerOptions): Promise<LocalServer> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 8888;
    const timeouts: HttpTimeouts = { ...defaultHttpTimeouts, ...options.timeouts };
    const logger = options.logger ?? silentLogger;
    // Requests that arrive between listen() and the simulator being ready wait for it.
    let instance: LocalServer | undefined;
    let resolveReady: (server: LocalServer) => void = () => undefined;
    let rejectReady: (error: unknown) => void = () => undefined;
    const ready = new Promise<LocalServer>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    ready.catch(() => undefined);
    const server = httpServer(timeouts, options.maxBodyBytes ?? defaultMaxBodyBytes, (req, res) => {
      if (instance) instance.#accept(req, res);
      else void ready.then((s) => s.#accept(req, res), () => res.destroy());
    });
    try {
      await listen(server, port, host);
    } catch (error) {
      rejectReady(error);
      throw error;
    }
    const address = server.address() as AddressInfo;
    const url = `http://${urlHost(host)}:${address.port}`;
    // Containers call the server by IP: on a wildcard bind, "localhost" may resolve to an address
    // family the socket does not listen on.
    const selfUrl = isWildcard(host) ? `http://127.0.0.1:${address.port}` : url;
    if (!isLoopback(host)) {
      logger.warn(
        `listening on ${host}, beyond this machine: anyone who can reach port ${address.port} can call every function` +
          (options.exposeSim ? ', and /__sim/* (SIM_EXPOSE=1) shows pending request URLs and bundle hashes' : '; /__sim/* stays loopback-only (SIM_EXPOSE=1 opens it)'),
      );
    }
    let simulator: SimulatorPort | undefined;
    let staticFiles: StaticFiles | undefined;
    try {
      simulator = await options.createSimulator({ URL: selfUrl });
      const redirects = options.redirects ?? [];
      const clock = options.clock ?? systemClock;
      staticFiles = options.publishDir === undefined ? undefined : new StaticFiles(options.publishDir);
      const files = staticFiles;
      const routeOptions: RouteTableOptions = {
        rateLimiter: new RateLimiter(clock),
        ...(files !== undefined && { hasStaticFile: (pathname: string) => files.resolve(pathname) !== undefined }),
      };
      const functions = await simulator.functions();
      const routes = new RouteTable(functions, redirects, routeOptions);
      instance = new LocalServer({ server, simulator, routes, redirects, logger, options, timeouts, url, routeOptions, clock, geo: options.geo, staticFiles });
      if (options.runSchedules === true) instance.#startSchedules(functions);
      resolveReady(instance);
      return instance;
    } catch (error) {
      rejectReady(error);
      // The function list could not be built (an unreadable functions directory; a function that does
      // not bundle is listed with its error instead): leave nothing behind (the simulator already made
      // its temp root).
      await simulator?.destroy().catch(() => undefined);
      staticFiles?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw error;
    }
  }

  /** The server's base URL, for example `http://127.0.0.1:8888`. */
  get url(): string {
    return this.#url;
  }

  /** The bound port (useful after `port: 0`). */
  get port(): number {
    return Number(new URL(this.#url).port);
  }

  /** The simulator behind this server. */
  get simulator(): SimulatorPort {
    return this.#simulator;
  }

  /** The redirects the routing uses. */
  get redirects(): readonly RedirectRule[] {
    return this.#redirects;
  }

  /** Routing notes (redirects or paths not served) for the startup log. */
  get skippedRoutes(): readonly string[] {
    return this.#routes.skipped;
  }

  /**
   * What the server holds right now: public requests still receiving their body, requests being
   * handled, and invocations whose container has not frozen yet (waitUntil work included).
   */
  get load(): { receiving: number; handling: number; running: number } {
    return { receiving: this.#receiving.size, handling: this.#inFlight.size, running: this.#running.size };
  }

  /** The burst policy in force: per-function concurrency and queue length. */
  get concurrency(): { limit: number; maxQueued: number } {
    return { limit: this.#gate.limit, maxQueued: this.#gate.maxQueued };
  }

  /**
   * Re-bundles (after a source change) and re-reads the function list, as a deploy would: changed
   * functions get new containers for new requests while the old ones drain. Calls are serialized.
   * Resolves with the names of the functions that changed.
   */
  refresh(): Promise<string[]> {
    const run = async (): Promise<string[]> => {
      const changed = await this.#simulator.refresh();
      const functions = await this.#simulator.functions();
      this.#routes = new RouteTable(functions, this.#redirects, this.#routeOptions);
      this.#schedules?.update(functions);
      return changed;
    };
    this.#refreshing = this.#refreshing.then(run, run);
    return this.#refreshing;
  }

  /**
   * Serves from `simulator` and `redirects` from now on (the site's netlify.toml or `.env` changed, so
   * every container needs the new environment): new requests go to it at once, the previous simulator
   * drains its in-flight invocations and stops. Serialized with {@link refresh}. If the new simulator
   * cannot list its functions, it is destroyed and the previous one keeps serving.
   */
  replaceSimulator(simulator: SimulatorPort, redirects: readonly RedirectRule[]): Promise<void> {
    const run = async (): Promise<string[]> => {
      let functions: FunctionInfo[];
      let routes: RouteTable;
      try {
        functions = await simulator.functions();
        routes = new RouteTable(functions, redirects, this.#routeOptions);
      } catch (error) {
        await simulator.destroy().catch(() => undefined);
        throw error;
      }
      const previous = this.#simulator;
      this.#simulator = simulator;
      // A new simulator numbers its events from 1 again: open streams end, and reconnect to its history.
      this.#events.replaceSource(simulator.events());
      this.#routes = routes;
      this.#redirects = redirects;
      this.#schedules?.update(functions);
      await previous.close();
      return [];
    };
    const replaced = this.#refreshing.then(run, run);
    this.#refreshing = replaced.catch(() => []);
    return replaced.then(() => undefined);
  }

  /**
   * Graceful shutdown that loses nothing acknowledged, in this order:
   * 1. Outside requests are refused: a new one gets 503 SERVER_CLOSING (connection closed), and so
   *    does one still sending its body (never acknowledged). Idle connections are closed.
   * 2. Requests already invoked finish, responses included, and every invocation runs until its
   *    container froze (waitUntil work included). The containers' own calls to the site (send-data
   *    delivering to collect) are still served meanwhile, so that work can complete.
   * 3. After `graceMs` (default 10 s) whatever still runs is stopped, with a WARN per container for the
   *    work that dies with it, and the simulator is closed (frozen containers' pending work is listed
   *    the same way).
   * Idempotent; resolves when the listener is closed. Never waits on a container thread blocked in
   * native code (those are terminated in the background).
   */
  close(graceMs = this.#shutdownGraceMs): Promise<void> {
    this.#schedules?.close();
    this.#closing ??= this.#shutdown(graceMs);
    return this.#closing;
  }

  async #shutdown(graceMs: number): Promise<void> {
    this.#draining = true;
    this.#server.closeIdleConnections();
    // Event streams never end by themselves: end them (their clients reconnect to a restarted server).
    this.#events.closeAll();
    this.#static?.close();
    for (const [cut, socket] of [...this.#receiving]) if (!isOwnConnection(socket)) cut();
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const drained = (async (): Promise<'drained'> => {
      // New work can start while waiting (a waitUntil delivery invokes collect): loop until none is left.
      while (this.#inFlight.size > 0 || this.#running.size > 0) {
        await Promise.race([Promise.allSettled([...this.#inFlight, ...this.#running]), graceOver]);
        if (Date.now() - started >= graceMs) break;
      }
      return 'drained';
    })();
    const outcome = await Promise.race([drained, graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout' || this.#inFlight.size > 0 || this.#running.size > 0) {
      this.#logger.warn(
        `shutdown grace of ${graceMs} ms is over with ${this.#inFlight.size} request(s) and ${this.#running.size} invocation(s) still running: stopping them (their containers are listed below)`,
      );
      await this.#simulator.destroy();
    } else {
      this.#logger.info(`drained in ${Date.now() - started} ms: stopping every container`);
      await this.#simulator.close();
    }
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  /** Stops at once: drops connections and destroys every container. */
  async destroy(): Promise<void> {
    this.#schedules?.close();
    this.#draining = true;
    this.#closing ??= Promise.resolve();
    this.#static?.close();
    this.#events.closeAll();
    this.#server.close();
    this.#server.closeAllConnections();
    await this.#simulator.destroy();
  }

  #accept(req: IncomingMessage, res: ServerResponse): void {
    const access = this.#trackAccess(req, res);
    // One then() for both outcomes, which also forgets the request: catch() and finally() would each
    // allocate more promises on every request. `handled` itself never rejects.
    const handled: Promise<void> = this.#handle(req, res, access).then(
      () => void this.#inFlight.delete(handled),
      (error: unknown) => {
        this.#inFlight.delete(handled);
        this.#logger.warn(`internal error serving ${req.method ?? '?'} ${req.url ?? '?'}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        sendError(res, 'INTERNAL_ERROR', 'the local server failed to handle this request');
      },
    );
    this.#inFlight.add(handled);
  }

  /**
   * Logs one access line when the response is over (finished or cut off). Requests for the
   * simulator's own pages are left out: the timeline page would otherwise fill the log with itself.
   */
  #trackAccess(req: IncomingMessage, res: ServerResponse): Partial<AccessEntry> | undefined {
    const target = req.url ?? '/';
    if (target.startsWith(simPrefix) || target === '/__sim') return undefined;
    const startedMs = performance.now();
    // Filled in as the request is served (request id, container, static file), then completed and
    // logged in place: one object per request.
    const access: Partial<AccessEntry> = { method: req.method ?? '?', path: target };
    // on(), not once(): 'close' is emitted once, and once() wraps every listener in another function.
    res.on('close', () => {
      access.status = res.statusCode;
      access.durationMs = performance.now() - startedMs;
      if (!res.writableFinished) access.aborted = true;
      this.#logger.info(formatAccess(access as AccessEntry));
    });
    return access;
  }

  /** Serves a file of the publish directory (GET and HEAD only, as Netlify's CDN and netlify dev). */
  async #serveStatic(req: IncomingMessage, res: ServerResponse, file: StaticFile, access: Partial<AccessEntry> | undefined): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendError(res, 'METHOD_NOT_ALLOWED', 'a static file answers GET and HEAD only');
      return;
    }
    if (access && this.#static) access.staticFile = path.relative(this.#static.rootDir, file.filePath);
    await sendStaticFile(res, file, req.method === 'HEAD');
  }

  async #handle(req: IncomingMessage, res: ServerResponse, access: Partial<AccessEntry> | undefined): Promise<void> {
    // A client that hangs up mid-request must not take the server down: errors on its socket end here.
    req.on('error', ignoreError);
    res.on('error', ignoreError);
    // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without a Host header.
    if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
      res.setHeader('connection', 'close');
      sendError(res, 'MALFORMED_REQUEST', 'an HTTP/1.1 request must carry a Host header');
      return;
    }
    if (this.#draining && this.#origin(req) === 'outside') {
      this.#refuse(req, res, 'SERVER_CLOSING', 'the server is shutting down');
      return;
    }
    let url: URL;
    try {
      url = this.#targets.parse(req.url ?? '/');
    } catch {
      sendError(res, 'BAD_REQUEST', 'the request target is not a valid URL path');
      return;
    }
    if (url.pathname === '/__sim' || url.pathname.startsWith('/__sim/')) {
      if (!simAccessAllowed(req.socket.remoteAddress, this.#exposeSim)) {
        sendError(res, 'SIM_NOT_EXPOSED', '/__sim/* answers clients on this machine only; start the server with SIM_EXPOSE=1 to open it');
        return;
      }
    }
    if (isSimPage(url.pathname)) {
      await serveSimPage(req, res, url.pathname, this.#events);
      return;
    }
    const route = this.#routes.match(url.pathname, { method: req.method ?? 'GET', ip: clientIp(req), domain: url.hostname });
    if (this.#static && route.kind !== 'sim-containers' && !url.pathname.startsWith('/.netlify/')) {
      // Netlify serves a static file before a rewrite (unless forced), after a function's config.path
      // (unless preferStatic, which routes.ts already let yield): see static-files.ts.
      const file = this.#static.resolve(url.pathname);
      if (file && !(route.kind === 'function' && this.#routes.winsOverStatic(url.pathname))) {
        await this.#serveStatic(req, res, file, access);
        return;
      }
    }
    if (route.kind === 'not-found') {
      // A rateLimit rewrite to a static path, else the site's own 404 page (as Netlify serves it for a
      // path nothing answers), else the JSON error.
      const rewritten = route.rewrittenPathname === undefined ? undefined : this.#static?.resolve(route.rewrittenPathname);
      if (rewritten) {
        await this.#serveStatic(req, res, rewritten, access);
        return;
      }
      const notFoundPage = route.code === 'ROUTE_NOT_FOUND' && (req.method === 'GET' || req.method === 'HEAD') ? this.#static?.resolve('/404.html') : undefined;
      if (notFoundPage) await sendStaticFile(res, notFoundPage, req.method === 'HEAD', 404);
      else sendError(res, route.code, route.message);
      return;
    }
    if (route.kind === 'rate-limited') {
      this.#logger.warn(`${req.method ?? 'GET'} ${url.pathname} rate limited: ${route.message}`);
      sendError(res, 'RATE_LIMITED', route.message);
      return;
    }
    if (route.kind === 'sim-containers') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        sendError(res, 'METHOD_NOT_ALLOWED', `${containersPath} answers GET only`);
        return;
      }
      sendJson(res, 200, await this.#containersReport());
      return;
    }
    await this.#invoke(route.name, url, req, res, route.params, access);
  }

  /**
   * Answers an error to a request whose body may still be arriving, then reads and discards what is
   * left of it (bounded in bytes and time) before closing, so the client gets the answer instead of a
   * reset.
   */
  #refuse(req: IncomingMessage, res: ServerResponse, code: 'SERVER_CLOSING' | 'PAYLOAD_TOO_LARGE', message: string): void {
    if (!req.complete) lingerAndClose(req, res, this.#timeouts);
    else res.shouldKeepAlive = false;
    sendError(res, code, message);
  }

  /** Only asked while draining: the check reads /proc, and before shutdown every request is served alike. */
  #origin(req: IncomingMessage): Origin {
    return isOwnConnection(req.socket) ? 'own' : 'outside';
  }

  async #invoke(
    name: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
    params: Record<string, string> | undefined,
    access: Partial<AccessEntry> | undefined,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    let body: Uint8Array | null = null;
    if (method !== 'GET' && method !== 'HEAD') {
      // An outside request still receiving its body when shutdown starts was never acknowledged: it is
      // refused (503) rather than waited for.
      let cut: () => void = () => undefined;
      const shutdown = new Promise<'cut'>((resolve) => (cut = () => resolve('cut')));
      this.#receiving.set(cut, req.socket);
      try {
        const received = await Promise.race([readBody(req, this.#maxBodyBytes), shutdown]);
        if (received === 'cut') {
          this.#refuse(req, res, 'SERVER_CLOSING', 'the server is shutting down');
          return;
        }
        body = received;
      } catch (error) {
        if (error instanceof ClientGoneError) return;
        if (error instanceof ServerError && error.code === 'PAYLOAD_TOO_LARGE') {
          this.#refuse(req, res, error.code, error.message);
          return;
        }
        throw error;
      } finally {
        this.#receiving.delete(cut);
      }
    }
    let release: () => void;
    try {
      const slot = this.#gate.acquire(name);
      release = typeof slot === 'function' ? slot : await slot;
    } catch (error) {
      if (!(error instanceof ServerError)) throw error;
      res.setHeader('retry-after', '1');
      sendError(res, error.code, error.message);
      return;
    }
    const requestId = `r${this.#nextRequestNumber++}`;
    if (access) access.requestId = requestId;
    // Handed over as it arrived (no web Request in between): the simulator maps it for the function.
    let request: BufferedRequest = { method, url: this.#targets.publicUrl(url, req.headers.host), headers: requestHeaders(req), body };
    // As production's proxy: its own deploy context, whatever the client sent.
    if (this.#deployContext !== undefined) {
      const others = request.headers.filter(([name]) => name !== 'x-nf-deploy-context');
      // Kept in the order a web Headers iterates (sorted by name), as BufferedRequest promises.
      request.headers = [...others, ['x-nf-deploy-context', this.#deployContext] as [string, string]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    }
    const schedule = this.#routes.config(name)?.schedule;
    const nextRunMs = schedule === undefined ? undefined : nextRun(schedule, this.#clock.now());
    if (nextRunMs !== undefined) request = scheduledRequest(request, nextRunMs);
    const geo = this.#geo !== undefined && req.headers['x-nf-geo'] === undefined ? this.#geo : undefined;
    let result: BufferedInvocationResult;
    // The slot is held until the container froze: that is when it is free for the next request. The
    // end arrives in the simulator's own callback, synchronously: a then() on `done` for it cost a
    // promise and a turn of the microtask queue on every request.
    let ended: InvocationReport | undefined;
    try {
      result = await this.#simulator.invokeBuffered(name, request, {
        clientIp: clientIp(req),
        requestId,
        onStart: (start) => {
          if (access) {
            access.containerId = start.containerId;
            access.coldStart = start.coldStart;
          }
          this.#logger.info(formatStart(start, name));
        },
        onEnd: (report) => {
          ended = report;
          release();
        },
        // A request's own x-nf-geo header is more specific than the server-wide --country.
        ...((params !== undefined || geo !== undefined) && { context: { ...(params !== undefined && { params }), ...(geo !== undefined && { geo }) } }),
      });
    } catch (error) {
      release();
      const mapped = fromSimulatorError(error);
      this.#logger.warn(`${requestId} ${name} got no answer: ${mapped.code}: ${mapped.message}`);
      sendError(res, mapped.code, mapped.message);
      return;
    }
    // Still running after its answer (waitUntil work, a streamed body, a background function): shutdown
    // waits for it.
    if (ended === undefined) {
      const { done } = result;
      this.#running.add(done);
      void done.then(() => this.#running.delete(done));
    }
    if (nextRunMs !== undefined) {
      // A scheduled function called over HTTP: netlify dev's note instead of its response (scheduled.ts).
      const report = ended ?? (await result.done);
      this.#logReport(report);
      const { response } = result;
      const status = response.status;
      if (response instanceof Response) await drain(response.body);
      const answer = scheduledAnswer({ path: url.pathname, userAgent: req.headers['user-agent'], report, status });
      writeBuffered({ kind: 'buffered', status: answer.status, headers: [['content-type', answer.contentType]], body: answer.body }, res, requestId, method === 'HEAD');
      return;
    }
    // A background function's 202 goes out at once: its run (up to 15 minutes) is not waited for.
    if (this.#routes.api(name) === 'v1' && this.#routes.config(name)?.background !== true) {
      // A v1 handler has nothing left to do once it returned (no waitUntil, no streaming): its
      // container freezes together with the answer, so waiting for the freeze costs nothing (it has
      // usually come with the answer). It makes the log read in order (END, REPORT and any "froze with
      // pending work" warning before the client has its answer) and guarantees that a client calling
      // again at once finds the container free.
      // v2 answers are not held: they may stream, and waitUntil work runs after the response is sent.
      this.#logReport(ended ?? (await result.done));
    } else if (ended !== undefined) {
      this.#logReport(ended);
    } else {
      void result.done.then((report) => this.#logReport(report));
    }
    const { response } = result;
    if (response instanceof Response) await writeResponse(response, res, requestId, method === 'HEAD');
    else writeBuffered(response, res, requestId, method === 'HEAD');
  }

  #startSchedules(functions: readonly FunctionInfo[]): void {
    this.#schedules = new ScheduleRunner({
      clock: this.#clock,
      logger: this.#logger,
      run: async (name, nextRunMs) => {
        if (this.#closing) return;
        const requestId = `r${this.#nextRequestNumber++}`;
        const request = scheduledRequest({ method: 'POST', url: `${this.#url}/.netlify/functions/${name}`, headers: [], body: null }, nextRunMs);
        const result = await this.#simulator.invokeBuffered(name, request, { requestId, onStart: (start) => this.#logger.info(formatStart(start, name)) });
        if (result.response instanceof Response) await drain(result.response.body);
        this.#logReport(await result.done);
      },
    });
    this.#schedules.update(functions);
  }

  /** Names of the functions `runSchedules` has a timer armed for. */
  get scheduledFunctions(): string[] {
    return this.#schedules?.armed ?? [];
  }

  #logReport(report: InvocationReport): void {
    // A throttled request never reached a container: there is nothing to END or REPORT (the simulator
    // logs the throttle itself).
    if (report.containerId === '') return;
    this.#logger.info(formatEnd(report));
    this.#logger.info(formatReport(report));
    const pending = formatPendingWarning(report);
    if (pending !== undefined) this.#logger.warn(pending);
  }

  async #containersReport(): Promise<ContainersReport> {
    const functions = await this.#simulator.functions();
    const snapshots = this.#simulator.containers();
    const report: ContainersReport = { functions: {} };
    for (const info of functions) {
      report.functions[info.name] = { api: info.api, bundleHash: info.bundleHash, containers: [] };
    }
    for (const snapshot of snapshots) {
      const entry = (report.functions[snapshot.functionName] ??= { api: 'v1', bundleHash: snapshot.bundleHash, containers: [] });
      entry.containers.push({
        id: snapshot.id,
        state: snapshot.state,
        invocations: snapshot.invocations,
        bundleHash: snapshot.bundleHash,
        initDurationMs: snapshot.initDurationMs,
        spawnMs: snapshot.spawnMs,
        idleMs: snapshot.idleMs,
        pendingAtLastFreeze: snapshot.lastPendingAtFreeze,
      });
    }
    return report;
  }
}

/** The listener for errors on a request's own streams: one function for every request, not a closure each. */
function ignoreError(): void {
  // Nothing to do: the request's handling ends on its own when its socket goes.
}

/** A node:http server with the client bounds set and parser refusals answered in JSON. */
function httpServer(timeouts: HttpTimeouts, maxBodyBytes: number, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      // Node checks the two timeouts above only this often (default 30 s): a bound of 10 s checked
      // every 30 s would be a bound of 40 s.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(timeouts.headersMs / 2))),
      // Node's own refusal of an HTTP/1.1 request without Host is a bare 400 with no body: #handle
      // refuses it instead, in JSON with a code, as every other bad request.
      requireHostHeader: false,
    },
    handler,
  );
  server.on('clientError', (error: ParserError & Error, socket: Socket) => onClientError(error, socket));
  // `Expect: 100-continue` asks whether to send the body at all (curl does for large uploads). Node
  // alone says "100 Continue" to everything; a body the limit refuses gets its 413 at once instead, so
  // the client never uploads it (RFC 9110 §10.1.1).
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers['content-length']);
    if (!(Number.isFinite(declared) && declared > maxBodyBytes)) res.writeContinue();
    handler(req, res);
  });
  return server;
}

/**
 * A request the parser refused (or that timed out) never reaches a handler: answer it here, in the
 * same JSON as every other error, then close (the parser cannot find the next request's start).
 */
function onClientError(error: ParserError, socket: Socket): void {
  // The client is gone already: there is no one to answer.
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const current = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  // Pipelining: the refused bytes are a later request, and the one before it (complete, being answered)
  // is still owed its response. Answering at once would put the 400 where the client expects the first
  // request's answer (HTTP/1.1 matches responses by order) and cut that answer off. So the 400 follows
  // the current response, as it would have without the error.
  if (current !== undefined && current.req.complete && !current.writableFinished) {
    const refusal = rawErrorResponse(describeParserError(error));
    const answer = (): void => {
      if (socket.writable) socket.end(refusal);
      else socket.destroy();
      setTimeout(() => socket.destroy(), 1_000).unref();
    };
    current.once('finish', answer);
    current.once('close', () => {
      if (!current.writableFinished) socket.destroy();
    });
    return;
  }
  // A response already under way for the request the parser failed in (in its body, while it was being
  // answered) cannot get a second head: cut the connection, as Node does.
  if (current?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(rawErrorResponse(describeParserError(error)));
  // Whatever the client still sends after an error is not parsed any more; a client that does not
  // close its side is dropped shortly after.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/**
 * The lingering close for a request answered before its body was read: the answer goes out with
 * `Connection: close` and a FIN (a half-close), and the server keeps reading and dropping the body for
 * at most `lingerMs` and `lingerMaxBytes` before it closes the socket. Closing at once, with unread
 * bytes in the receive queue, makes the kernel send a reset, and a client still uploading (Node's
 * fetch posting 7 MB) then gets EPIPE or ECONNRESET instead of the answer already sent.
 */
function lingerAndClose(req: IncomingMessage, res: ServerResponse, timeouts: HttpTimeouts): void {
  const socket = req.socket;
  res.shouldKeepAlive = false;
  // node:http closes a `Connection: close` response's socket with destroySoon(), a full close once the
  // answer is written. Only this socket's is replaced, by a half-close: the client still reads the
  // answer, and its remaining upload is read here instead of reset.
  (socket as Socket & { destroySoon?: () => void }).destroySoon = () => socket.end();
  let discardedBytes = 0;
  const close = (): void => {
    clearTimeout(timer);
    req.off('data', onData);
    socket.destroy();
  };
  const onData = (chunk: Buffer): void => {
    discardedBytes += chunk.length;
    if (discardedBytes > timeouts.lingerMaxBytes) close();
  };
  const timer = setTimeout(close, timeouts.lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  req.on('data', onData);
  req.resume();
}

/** The body of `GET /__sim/containers`. */
export interface ContainersReport {
  functions: Record<
    string,
    {
      api: FunctionInfo['api'];
      bundleHash: string;
      containers: Array<{
        id: string;
        state: ContainerSnapshot['state'];
        invocations: number;
        bundleHash: string;
        /** Module evaluation at the last cold start, as Lambda's Init Duration (ms, 2 decimals). */
        initDurationMs: number;
        /** Worker start plus module evaluation at the last cold start (ms, 2 decimals). */
        spawnMs: number;
        idleMs: number;
        pendingAtLastFreeze: ContainerSnapshot['lastPendingAtFreeze'];
      }>;
    }
  >;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(new ServerError('PORT_IN_USE', `port ${port} is already in use on ${host}; set PORT to another port`, { cause: error }));
      } else if (error.code === 'EACCES') {
        reject(new ServerError('PORT_IN_USE', `not allowed to listen on ${host}:${port}; choose a port above 1023`, { cause: error }));
      } else {
        reject(error);
      }
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
