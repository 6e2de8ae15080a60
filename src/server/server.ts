import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BufferedInvocationResult, BufferedRequest, BufferedResponse, ContainerSnapshot, FunctionInfo, InvocationReport, InvokeOptions, SimLogger } from '../sim/api.ts';
import { headerList } from '../sim/index.ts';
import { ServerError, errorBody, fromSimulatorError, statusForCode, type ServerErrorCode } from './errors.ts';
import { formatEnd, formatPendingWarning, formatReport, formatStart } from './invocation-log.ts';
import type { RedirectRule } from './netlify-toml.ts';
import { RouteTable } from './routes.ts';

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
}

/** Netlify's buffered request payload limit for synchronous functions (DESIGN.md §2). */
export const defaultMaxBodyBytes = 6 * 1024 * 1024;

const silentLogger: SimLogger = { info: () => undefined, warn: () => undefined };

// Hop-by-hop headers describe this TCP connection, not the request the function sees; the body is
// re-framed (buffered), so a `transfer-encoding: chunked` would be a lie.
const hopByHopHeaders = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/** The client went away before its request body arrived: nothing to answer. */
class ClientGoneError extends Error {}

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

  private constructor(init: {
    server: Server;
    simulator: SimulatorPort;
    routes: RouteTable;
    redirects: readonly RedirectRule[];
    logger: SimLogger;
    maxBodyBytes: number;
    url: string;
  }) {
    this.#server = init.server;
    this.#simulator = init.simulator;
    this.#routes = init.routes;
    this.#redirects = init.redirects;
    this.#logger = init.logger;
    this.#maxBodyBytes = init.maxBodyBytes;
    this.#url = init.url;
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
      const routes = new RouteTable(await simulator.functions(), redirects);
      instance = new LocalServer({
        server,
        simulator,
        routes,
        redirects,
        logger: options.logger ?? silentLogger,
        maxBodyBytes: options.maxBodyBytes ?? defaultMaxBodyBytes,
        url,
      });
      resolveReady(instance);
      return instance;
    } catch (error) {
      rejectReady(error);
      // A function that does not bundle fails startup: leave nothing behind (the simulator already
      // made its temp root).
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
      this.#routes = new RouteTable(await this.#simulator.functions(), this.#redirects);
      return changed;
    };
    this.#refreshing = this.#refreshing.then(run, run);
    return this.#refreshing;
  }

  /**
   * Graceful shutdown: stops accepting connections, lets in-flight requests finish (their responses
   * included), then closes the simulator, which drains containers (waitUntil work too) and removes
   * their temp dirs. Idempotent.
   */
  close(): Promise<void> {
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
    const route = this.#routes.match(url.pathname);
    if (route.kind === 'not-found') {
      sendError(res, route.code, route.message);
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
    await this.#invoke(route.name, url, req, res);
  }

  async #invoke(name: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    const request: BufferedRequest = { method, url: publicUrl(url, req, this.#url), headers: requestHeaders(req), body };
    let result: BufferedInvocationResult;
    try {
      result = await this.#simulator.invokeBuffered(name, request, {
        clientIp: clientIp(req),
        requestId,
        onStart: (start) => this.#logger.info(formatStart(start, name)),
      });
    } catch (error) {
      const mapped = fromSimulatorError(error);
      this.#logger.warn(`${requestId} ${name} was not invoked: ${mapped.code}: ${mapped.message}`);
      sendError(res, mapped.code, mapped.message);
      return;
    }
    if (this.#routes.api(name) === 'v1') {
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

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** A host as it appears in a URL: wildcard addresses become localhost, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (isWildcard(host)) return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The request target as a URL. Origin-form (`/path?query`) is appended to the server's address rather
 * than resolved against it, so `//host/x` stays a path instead of naming another host; absolute-form
 * (`http://host/path`, as sent to proxies) is taken as it is; anything else (`*`) throws.
 */
function parseTarget(target: string, base: string): URL {
  return target.startsWith('/') ? new URL(`${base}${target}`) : new URL(target);
}

/**
 * Buffers the body up to `limitBytes`; beyond it, stops reading and throws PAYLOAD_TOO_LARGE. Null for
 * an empty body. The bytes get a buffer of their own (not a slice of Node's shared pool), because they
 * are copied to a container thread, and copying a view copies its whole underlying buffer.
 */
function readBody(req: IncomingMessage, limitBytes: number): Promise<Uint8Array | null> {
  const tooLarge = (): ServerError =>
    new ServerError('PAYLOAD_TOO_LARGE', `request body exceeds the ${limitBytes}-byte limit for synchronous functions`);
  const declared = Number(req.headers['content-length']);
  // Refuse from the header alone: no point receiving megabytes that will be thrown away.
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.pause();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let sizeBytes = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      sizeBytes += chunk.length;
      if (sizeBytes > limitBytes) {
        cleanup();
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      if (sizeBytes === 0) {
        resolve(null);
        return;
      }
      const bytes = new Uint8Array(sizeBytes);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      resolve(bytes);
    };
    const onClose = (): void => {
      cleanup();
      reject(new ClientGoneError('client disconnected before sending its whole body'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
  });
}

/** The request's header fields as the simulator takes them (see BufferedRequest), hop-by-hop ones left out. */
function requestHeaders(req: IncomingMessage): Array<[string, string]> {
  const fields = new Map<string, string[]>();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (hopByHopHeaders.has(name)) continue;
    const value = raw[i + 1] as string;
    const values = fields.get(name);
    if (values) values.push(value);
    else fields.set(name, [value]);
  }
  return headerList(fields);
}

/** The URL the function sees: the client's Host header, so `rawUrl` reads as the client typed it. */
function publicUrl(url: URL, req: IncomingMessage, fallbackBase: string): string {
  const host = req.headers.host;
  // The usual case, a client that names the server as it listens and sends an origin-form target:
  // the parsed target is already that URL. Only path and query count (no scheme, credentials or
  // fragment from an absolute-form target), so it is reused only when it holds nothing else.
  if (host === url.host) {
    const href = `http://${host}${url.pathname}${url.search}`;
    if (url.href === href) return href;
  }
  if (host !== undefined) {
    try {
      return new URL(`${url.pathname}${url.search}`, `http://${host}`).href;
    } catch {
      // A malformed Host header: fall back to the server's own address.
    }
  }
  return new URL(`${url.pathname}${url.search}`, fallbackBase).href;
}

function clientIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d; Netlify reports the IPv4 form.
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/**
 * Sends a buffered answer (a v1 result, an error, a 202 for a background function): head and body in
 * one write, with a Content-Length.
 */
function writeBuffered(answer: BufferedResponse, res: ServerResponse, requestId: string, isHead: boolean): void {
  if (res.destroyed) return;
  const headers: string[] = [];
  let hasRequestId = false;
  let hasLength = false;
  for (const [name, value] of answer.headers) {
    headers.push(name, value);
    if (name === 'x-nf-request-id') hasRequestId = true;
    else if (name === 'content-length') hasLength = true;
  }
  if (!hasRequestId) headers.push('x-nf-request-id', requestId);
  const body = isHead || answer.status === 204 || answer.status === 304 ? null : answer.body;
  if (body !== null && !hasLength) headers.push('content-length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength));
  res.writeHead(answer.status, headers);
  if (body === null) res.end();
  else res.end(body);
}

/** Sends a function's web `Response` (v2): the head at once, then the body as it streams. */
async function writeResponse(response: Response, res: ServerResponse, requestId: string, isHead: boolean): Promise<void> {
  const headers: string[] = [];
  // Headers iteration yields each set-cookie on its own, so multiple cookies survive.
  for (const [name, value] of response.headers) headers.push(name, value);
  if (!response.headers.has('x-nf-request-id')) headers.push('x-nf-request-id', requestId);
  const body = response.body;
  const bodyless = isHead || response.status === 204 || response.status === 304;
  if (res.destroyed) {
    await drain(body);
    return;
  }
  if (!body || bodyless) {
    res.writeHead(response.status, headers);
    await drain(body);
    res.end();
    return;
  }
  res.writeHead(response.status, headers);
  // Send the head now: a streamed body's first chunk may be a long way off.
  res.flushHeaders();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // A client that hung up: keep reading and drop the rest. On the platform the function runs on
      // after a disconnect (until it ends or times out), and the container freezes only once its body
      // is complete, so the stream is drained rather than cancelled.
      if (res.destroyed) continue;
      // Respect backpressure so a slow client does not make the server buffer a whole stream.
      if (!res.write(value)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
    if (!res.destroyed) res.end();
  } catch {
    // The function's stream failed after the status went out: cut the response, as the platform does.
    res.destroy();
  }
}

/** Reads a body to its end and drops it (see writeResponse for why not `cancel()`). */
async function drain(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  try {
    for (;;) if ((await reader.read()).done) return;
  } catch {
    // A failed body has nothing left to drain.
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, code: ServerErrorCode, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  const text = errorBody(code, message);
  res.writeHead(statusForCode(code), { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
