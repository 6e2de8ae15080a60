import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BufferedInvocationResult, BufferedRequest, Clock, ContainerSnapshot, FunctionInfo, Geo, InvocationReport, InvokeOptions, SimLogger } from '../sim/api.ts';
import { systemClock } from '../sim/index.ts';
import { ServerError, fromSimulatorError } from './errors.ts';
import { formatEnd, formatPendingWarning, formatReport, formatStart } from './invocation-log.ts';
import type { RedirectRule } from '../site/redirects.ts';
import { RateLimiter } from './rate-limiter.ts';
import { clientIp, ClientGoneError, readBody, requestHeaders } from './request.ts';
import { drain, sendError, sendJson, writeBuffered, writeResponse } from './response.ts';
import { RouteTable, type RouteTableOptions } from './routes.ts';
import { nextRun, ScheduleRunner, scheduledAnswer, scheduledRequest } from './scheduled.ts';
import { isWildcard, parseTarget, publicUrl, urlHost } from './url.ts';

/**
 * The part of the simulator facade (`src/sim/index.ts`) the server uses. The server depends on this
 * shape only, so a test double can stand in for the simulator, as undici's MockAgent stands in for a Dispatcher.
 */
export interface SimulatorPort {
  functions(): Promise<FunctionInfo[]>;
  invokeBuffered(name: string, request: BufferedRequest, options?: InvokeOptions): Promise<BufferedInvocationResult>;
  containers(): ContainerSnapshot[];
  refresh(): Promise<string[]>;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

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
  /** Whether a static file answers a path: a `preferStatic` function yields to it (see routes.ts). */
  hasStaticFile?: (pathname: string) => boolean;
  /** Geolocation for requests without an `x-nf-geo` header (`--country`); default netlify dev's mock location. */
  geo?: Geo;
}

/** Netlify's buffered request payload limit for synchronous functions (docs/platform-facts.md#netlify-functions). */
export const defaultMaxBodyBytes = 6 * 1024 * 1024;

const silentLogger: SimLogger = { info: () => undefined, warn: () => undefined };

/**
 * A thin adapter from node:http to the container simulator: Netlify-style routing in, the simulator's
 * web `Response` streamed out, Lambda-style logs on the side. All platform behaviour (containers,
 * freeze, v1 event mapping) lives in the simulator; this class only speaks HTTP.
 */
export class LocalServer {
  #server: Server;
  #simulator: SimulatorPort;
  #routes: RouteTable;
  #redirects: readonly RedirectRule[];
  #logger: SimLogger;
  #maxBodyBytes: number;
  #url: string;
  #inFlight = new Set<Promise<void>>();
  #nextRequestNumber = 1;
  #closing: Promise<void> | undefined;
  #refreshing: Promise<string[]> = Promise.resolve([]);
  #routeOptions: RouteTableOptions;
  #clock: Clock;
  #schedules: ScheduleRunner | undefined;
  #geo: Geo | undefined;

  private constructor(init: {
    server: Server;
    simulator: SimulatorPort;
    routes: RouteTable;
    redirects: readonly RedirectRule[];
    logger: SimLogger;
    maxBodyBytes: number;
    url: string;
    routeOptions: RouteTableOptions;
    clock: Clock;
    geo: Geo | undefined;
  }) {
    this.#server = init.server;
    this.#simulator = init.simulator;
    this.#routes = init.routes;
    this.#redirects = init.redirects;
    this.#logger = init.logger;
    this.#maxBodyBytes = init.maxBodyBytes;
    this.#url = init.url;
    this.#routeOptions = init.routeOptions;
    this.#clock = init.clock;
    this.#geo = init.geo;
  }

  /**
   * Listens, then builds the simulator with `URL` set to the bound address, then serves.
   * Rejects with `ServerError` code `PORT_IN_USE` when the port is taken.
   */
  static async start(options: LocalServerOptions): Promise<LocalServer> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 8888;
    // Requests that arrive between listen() and the simulator being ready wait for it.
    let instance: LocalServer | undefined;
    let resolveReady: (server: LocalServer) => void = () => undefined;
    let rejectReady: (error: unknown) => void = () => undefined;
    const ready = new Promise<LocalServer>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    ready.catch(() => undefined);
    const server = createServer((req, res) => {
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
    let simulator: SimulatorPort | undefined;
    try {
      simulator = await options.createSimulator({ URL: selfUrl });
      const redirects = options.redirects ?? [];
      const clock = options.clock ?? systemClock;
      const routeOptions: RouteTableOptions = {
        rateLimiter: new RateLimiter(clock),
        ...(options.hasStaticFile !== undefined && { hasStaticFile: options.hasStaticFile }),
      };
      const functions = await simulator.functions();
      const routes = new RouteTable(functions, redirects, routeOptions);
      instance = new LocalServer({
        server,
        simulator,
        routes,
        redirects,
        logger: options.logger ?? silentLogger,
        maxBodyBytes: options.maxBodyBytes ?? defaultMaxBodyBytes,
        url,
        routeOptions,
        clock,
        geo: options.geo,
      });
      if (options.runSchedules === true) instance.#startSchedules(functions);
      resolveReady(instance);
      return instance;
    } catch (error) {
      rejectReady(error);
      // The function list could not be built (an unreadable functions directory; a function that does
      // not bundle is listed with its error instead): leave nothing behind (the simulator already made
      // its temp root).
      await simulator?.destroy().catch(() => undefined);
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
   * Graceful shutdown: stops accepting connections, lets in-flight requests finish (their responses
   * included), then closes the simulator, which drains containers (waitUntil work too) and removes
   * their temp dirs. Idempotent.
   */
  close(): Promise<void> {
    this.#schedules?.close();
    this.#closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      this.#server.closeIdleConnections();
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
      await this.#simulator.close();
      this.#server.closeAllConnections();
      await closed;
    })();
    return this.#closing;
  }

  /** Stops at once: drops connections and destroys every container. */
  async destroy(): Promise<void> {
    this.#schedules?.close();
    this.#closing ??= Promise.resolve();
    this.#server.close();
    this.#server.closeAllConnections();
    await this.#simulator.destroy();
  }

  #accept(req: IncomingMessage, res: ServerResponse): void {
    const handled = this.#handle(req, res).catch((error: unknown) => {
      this.#logger.warn(`internal error serving ${req.method ?? '?'} ${req.url ?? '?'}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      sendError(res, 'INTERNAL_ERROR', 'the local server failed to handle this request');
    });
    this.#inFlight.add(handled);
    // then(), not finally(): finally allocates two more promises per request (handled never rejects).
    const settled = (): void => void this.#inFlight.delete(handled);
    void handled.then(settled, settled);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A client that hangs up mid-request must not take the server down: errors on its socket end here.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    if (this.#closing) {
      res.setHeader('connection', 'close');
      sendError(res, 'SERVER_CLOSING', 'the server is shutting down');
      return;
    }
    let url: URL;
    try {
      url = parseTarget(req.url ?? '/', this.#url);
    } catch {
      sendError(res, 'BAD_REQUEST', 'the request target is not a valid URL path');
      return;
    }
    const route = this.#routes.match(url.pathname, { method: req.method ?? 'GET', ip: clientIp(req), domain: url.hostname });
    if (route.kind === 'not-found') {
      sendError(res, route.code, route.message);
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
        sendError(res, 'METHOD_NOT_ALLOWED', `${containersPathLabel} answers GET only`);
        return;
      }
      sendJson(res, 200, await this.#containersReport());
      return;
    }
    await this.#invoke(route.name, url, req, res, route.params);
  }

  async #invoke(name: string, url: URL, req: IncomingMessage, res: ServerResponse, params?: Record<string, string>): Promise<void> {
    const method = req.method ?? 'GET';
    let body: Uint8Array | null = null;
    if (method !== 'GET' && method !== 'HEAD') {
      try {
        body = await readBody(req, this.#maxBodyBytes);
      } catch (error) {
        if (error instanceof ClientGoneError) return;
        if (error instanceof ServerError && error.code === 'PAYLOAD_TOO_LARGE') {
          // Stop reading the rest of an oversized upload: answer, then close this connection.
          res.setHeader('connection', 'close');
          sendError(res, error.code, error.message);
          return;
        }
        throw error;
      }
    }
    const requestId = `r${this.#nextRequestNumber++}`;
    // Handed over as it arrived (no web Request in between): the simulator maps it for the function.
    let request: BufferedRequest = { method, url: publicUrl(url, req.headers.host, this.#url), headers: requestHeaders(req), body };
    const schedule = this.#routes.config(name)?.schedule;
    const nextRunMs = schedule === undefined ? undefined : nextRun(schedule, this.#clock.now());
    if (nextRunMs !== undefined) request = scheduledRequest(request, nextRunMs);
    const geo = this.#geo !== undefined && req.headers['x-nf-geo'] === undefined ? this.#geo : undefined;
    let result: BufferedInvocationResult;
    try {
      result = await this.#simulator.invokeBuffered(name, request, {
        clientIp: clientIp(req),
        requestId,
        onStart: (start) => this.#logger.info(formatStart(start, name)),
        // A request's own x-nf-geo header is more specific than the server-wide --country.
        ...((params !== undefined || geo !== undefined) && { context: { ...(params !== undefined && { params }), ...(geo !== undefined && { geo }) } }),
      });
    } catch (error) {
      const mapped = fromSimulatorError(error);
      this.#logger.warn(`${requestId} ${name} was not invoked: ${mapped.code}: ${mapped.message}`);
      sendError(res, mapped.code, mapped.message);
      return;
    }
    if (nextRunMs !== undefined) {
      // A scheduled function called over HTTP: netlify dev's note instead of its response (scheduled.ts).
      const report = await result.done;
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
      // container freezes together with the answer, so waiting for the freeze costs nothing. It makes
      // the log read in order (END, REPORT and any "froze with pending work" warning before the client
      // has its answer) and guarantees that a client calling again at once finds the container free.
      // v2 answers are not held: they may stream, and waitUntil work runs after the response is sent.
      this.#logReport(await result.done);
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
        coldStartMs: snapshot.coldStartMs,
        idleMs: snapshot.idleMs,
        pendingAtLastFreeze: snapshot.lastPendingAtFreeze,
      });
    }
    return report;
  }
}

const containersPathLabel = '/__sim/containers';

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
        coldStartMs: number;
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
