/**
 * TEST DOUBLE. A small in-process stand-in for the container simulator that implements the same
 * interface the server uses (`SimulatorPort`), so the HTTP layer can be tested on its own: routing,
 * body limits, streaming, disconnects, logs and shutdown. It models just enough of the platform to be
 * observable (reuse of a free container, a new one when all are busy, reports at freeze); the real
 * simulator is exercised by the integration suite.
 */
import type {
  BufferedInvocationResult,
  BufferedRequest,
  BufferedResponse,
  ContainerSnapshot,
  FunctionInfo,
  HandlerApi,
  InvocationReport,
  InvokeOptions,
  PendingWork,
} from '../../src/sim/api.ts';
import type { SimulatorPort } from '../../src/server/server.ts';
import { systemClock } from '../../src/sim/clock.ts';
import { SimEventLog, type SimEventSource } from '../../src/sim/events.ts';

/** What a fake function's handler gets besides the request. */
export interface FakeContext {
  requestId: string;
  containerId: string;
  clientIp: string;
  /** Module-scope state of this container. */
  state: Map<string, unknown>;
  /** Work to report as pending when the container freezes after this invocation. */
  leavePending(work: Omit<PendingWork, 'requestId'>): void;
}

/** A function the fake serves. */
export interface FakeFunction {
  name: string;
  api?: HandlerApi;
  configPath?: string | string[];
  /** The function's merged config, as the registry fills it (only `preferStatic` matters to the server today). */
  config?: FunctionInfo['config'];
  handler(request: Request, context: FakeContext): Response | Promise<Response>;
}

/** Thrown like `SimError`: callers branch on `code`. */
export class FakeSimError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

interface FakeContainer {
  id: string;
  functionName: string;
  state: ContainerSnapshot['state'];
  invocations: number;
  bundleHash: string;
  moduleState: Map<string, unknown>;
  lastPendingAtFreeze: PendingWork[];
}

/** One recorded invocation, for assertions. */
export interface FakeInvocation {
  name: string;
  requestId: string;
  containerId: string;
  clientIp: string;
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

export class FakeSimulator implements SimulatorPort {
  #definitions = new Map<string, { fn: FakeFunction; hash: string }>();
  #published = new Map<string, string>();
  #containers: FakeContainer[] = [];
  #nextContainer = 1;
  #version = 0;
  #closed = false;
  #inFlight = new Set<Promise<unknown>>();
  /** The env the server handed over (URL). */
  env: Record<string, string> = {};
  /** Every invocation, in arrival order. */
  readonly invocations: FakeInvocation[] = [];
  closeCalls = 0;
  destroyCalls = 0;
  /** The fake emits no events of its own; a test may emit some to exercise the stream. */
  readonly eventLog = new SimEventLog({ clock: systemClock });

  constructor(functions: FakeFunction[]) {
    for (const fn of functions) this.#define(fn);
    for (const [name, { hash }] of this.#definitions) this.#published.set(name, hash);
  }

  /** Replaces or adds a function's "source"; it is served after `refresh()`, as after a rebuild. */
  update(fn: FakeFunction): void {
    this.#define(fn);
  }

  #define(fn: FakeFunction): void {
    this.#version += 1;
    this.#definitions.set(fn.name, { fn, hash: `hash-${fn.name}-${this.#version}` });
  }

  async functions(): Promise<FunctionInfo[]> {
    const infos: FunctionInfo[] = [];
    for (const [name, hash] of this.#published) {
      const fn = this.#definitions.get(name)?.fn;
      if (!fn) continue;
      const info: FunctionInfo = { name, api: fn.api ?? 'v2', bundleHash: hash, bundleBytes: 100 };
      if (fn.configPath !== undefined) info.configPath = fn.configPath;
      if (fn.config !== undefined) info.config = fn.config;
      infos.push(info);
    }
    return infos;
  }

  async invokeBuffered(name: string, buffered: BufferedRequest, options: InvokeOptions = {}): Promise<BufferedInvocationResult> {
    // The fake's handlers take a web Request, as v2 functions do.
    const request = new Request(buffered.url, { method: buffered.method, headers: buffered.headers, body: buffered.body });
    if (this.#closed) throw new FakeSimError('SIMULATOR_CLOSED', 'the simulator is closed');
    const hash = this.#published.get(name);
    const definition = this.#definitions.get(name);
    if (hash === undefined || !definition) throw new FakeSimError('FUNCTION_NOT_FOUND', `no function named ${name}`);
    const requestId = options.requestId ?? `fake-${this.invocations.length + 1}`;
    const clientIp = options.clientIp ?? '127.0.0.1';
    let container = this.#containers.find((c) => c.functionName === name && c.state === 'frozen' && c.bundleHash === hash);
    const coldStart = container === undefined;
    if (!container) {
      container = {
        id: `c${this.#nextContainer++}`,
        functionName: name,
        state: 'busy',
        invocations: 0,
        bundleHash: hash,
        moduleState: new Map(),
        lastPendingAtFreeze: [],
      };
      this.#containers.push(container);
    }
    const active = container;
    options.onStart?.({ requestId, containerId: active.id, coldStart });
    active.state = 'busy';
    active.invocations += 1;
    const body = await request.clone().text();
    this.invocations.push({
      name,
      requestId,
      containerId: active.id,
      clientIp,
      method: request.method,
      url: request.url,
      headers: request.headers,
      body,
    });
    const pending: PendingWork[] = [];
    const context: FakeContext = {
      requestId,
      containerId: active.id,
      clientIp,
      state: active.moduleState,
      leavePending: (work) => pending.push({ ...work, requestId }),
    };
    const run = Promise.resolve().then(() => definition.fn.handler(request, context));
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run)).catch(() => undefined);
    let response: Response;
    let outcome: InvocationReport['outcome'] = 'ok';
    let errorMessage: string | undefined;
    try {
      response = await run;
    } catch (error) {
      outcome = 'handler-error';
      errorMessage = error instanceof Error ? error.message : String(error);
      response = Response.json({ errorType: 'Error', errorMessage }, { status: 500 });
    }
    active.state = 'frozen';
    active.lastPendingAtFreeze = pending;
    const report: InvocationReport = {
      requestId,
      functionName: name,
      containerId: active.id,
      outcome,
      coldStart,
      durationMs: 1.5,
      billedDurationMs: 2,
      memorySizeMb: 1024,
      maxMemoryUsedMb: 40,
      pendingAtFreeze: pending,
    };
    if (coldStart) report.initDurationMs = 12.25;
    if (errorMessage !== undefined) report.errorMessage = errorMessage;
    // As the real simulator: a v1 answer comes back buffered, a v2 one as a web Response.
    const answer: BufferedResponse | Response =
      (definition.fn.api ?? 'v2') === 'v1'
        ? { kind: 'buffered', status: response.status, headers: [...response.headers], body: response.body ? new Uint8Array(await response.arrayBuffer()) : null }
        : response;
    return { requestId, containerId: active.id, coldStart, response: answer, done: Promise.resolve(report) };
  }

  events(): SimEventSource {
    return this.eventLog;
  }

  containers(): ContainerSnapshot[] {
    return this.#containers.map((c) => ({
      id: c.id,
      functionName: c.functionName,
      state: c.state,
      invocations: c.invocations,
      bundleHash: c.bundleHash,
      initDurationMs: 12.25,
      spawnMs: 30.5,
      idleMs: c.state === 'busy' ? 0 : 5,
      tmpDir: `/fake/tmp/${c.id}`,
      lastPendingAtFreeze: c.lastPendingAtFreeze,
    }));
  }

  async refresh(): Promise<string[]> {
    const changed: string[] = [];
    for (const [name, { hash }] of this.#definitions) {
      if (this.#published.get(name) === hash) continue;
      this.#published.set(name, hash);
      changed.push(name);
      // As after a deploy: old containers take no new requests.
      for (const c of this.#containers) if (c.functionName === name && c.state === 'frozen') c.state = 'stopped';
    }
    return changed;
  }

  async close(): Promise<void> {
    this.closeCalls += 1;
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    for (const c of this.#containers) c.state = 'stopped';
  }

  async destroy(): Promise<void> {
    this.destroyCalls += 1;
    this.#closed = true;
    for (const c of this.#containers) c.state = 'stopped';
  }
}
