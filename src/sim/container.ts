/**
 * One execution environment ("container"): a worker thread with its own module instance of the
 * function's bundle and its own temp directory. It serves one invocation at a time, is frozen between
 * invocations, and is reset (new module instance, same /tmp) after a crash, an out-of-memory kill, an
 * init error or a timeout, as AWS resets an environment without clearing its /tmp.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { BufferedRequest, BufferedResponse, Clock, ContainerSnapshot, ContainerState, InvocationOutcome, InvocationReport, PendingWork, SimLogger } from './api.ts';
import type { FunctionBundle } from './bundler.ts';
import { ManualClock } from './clock.ts';
import { retainBundle, touchBundle } from './bundle-cache.ts';
import { ContainerClockLink } from './container-clock.ts';
import { isClockMessage, type FromRuntimeClock } from './clock-protocol.ts';
import { DEFAULT_INIT_TIMEOUT_MS, initTimeoutReport, watchInit } from './init-limit.ts';
import { SimError } from './errors.ts';
import { roundMs, type ContainerEndReason, type SimEventLog } from './events.ts';
import { errorResponse, fromV1Result, InvalidV1ResultError } from './http-mapping.ts';
import { Invocation } from './invocation.ts';
import { containerEnv, envHints } from './lambda-env.ts';
import { DEFAULT_NODE_VERSION_MAJOR } from './platform-defaults.ts';
import { OutOfMemoryError, RuntimeExitError, TimeoutError, type PlatformError } from './platform-errors.ts';
import { decodeFrozen, isFrozenWire, type FrozenMessage, type FrozenWire } from './freeze-wire.ts';
import { encodeInvocation, redispatch, type InvokeWire } from './invoke-wire.ts';
import type { FinalMessage, FromRuntime, RuntimeWorkerData, SerializedError } from './protocol.ts';

/** How long stop() waits for a container's thread before leaving it to end in the background (real ms). */
export const stopWaitMs = 1_000;

/** Threads of stopped or reset containers that have not ended yet. */
const lingeringThreads = new Set<Promise<void>>();

/**
 * How many container threads were detached (stopped, or reset after a timeout or crash) and have not
 * ended yet: a thread blocked in native code ends only when that call returns.
 */
export function lingeringThreadCount(): number {
  return lingeringThreads.size;
}

/** Everything a container needs from the simulator. */
export interface ContainerOptions {
  id: string;
  bundle: FunctionBundle;
  runtimePath: string;
  clock: Clock;
  timeoutMs: number;
  memoryLimitMb: number;
  thawGraceMs: number;
  env: Record<string, string>;
  /** Variables a local tool would set that production leaves undefined, name -> the WARN for reading one. */
  envNotices?: Record<string, string> | undefined;
  tmpRoot: string;
  logger?: SimLogger | undefined;
  /** Log a REPORT line and the pending-at-freeze warnings per invocation (false when the caller logs its own). */
  reportLines: boolean;
  /** The Node.js major the function targets in production (see SimulatorOptions.nodeVersionMajor). */
  nodeVersionMajor?: number;
  /** The Init phase's limit (init-limit.ts). Default 10 s. */
  initTimeoutMs?: number;
  /** Where the container's lifecycle events go (events.ts). */
  events?: SimEventLog | undefined;
}

/** The event reason for a stop() reason the pool or simulator gives. */
function stopReason(reason: string): ContainerEndReason {
  if (reason === 'reaped') return 'reaped';
  if (reason === 'retired') return 'rebuilt';
  return 'shut-down';
}

/** The event reason for an invocation outcome that ends the runtime. */
function failReason(outcome: InvocationOutcome): ContainerEndReason {
  if (outcome === 'timeout') return 'timed-out';
  if (outcome === 'out-of-memory') return 'out-of-memory';
  if (outcome === 'init-error') return 'init-error';
  return 'crashed';
}

/** The path (with query) of an absolute URL, for an invocation's start event: no URL parse per invocation. */
function requestPath(url: string): string {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  const hash = url.indexOf('#');
  return slash < 0 ? '/' : url.slice(slash, hash < 0 ? undefined : hash);
}

/** A young generation of an eighth of the memory limit, between 1 and 16 MB (see the Worker's resourceLimits). */
function youngGenerationMb(memoryLimitMb: number): number {
  return Math.min(16, Math.max(1, Math.floor(memoryLimitMb / 8)));
}

/**
 * What the simulator hands a container for one invocation: the request as it arrived, and what the
 * platform adds to it. The container's runtime maps it to what the handler gets (invoke-wire.ts).
 */
export interface InvocationPayload {
  requestId: string;
  clientIp: string;
  request: BufferedRequest;
  /** The invocation's geo as the `x-nf-geo` header carries it (base64 JSON). */
  geoHeader: string;
  siteId: string;
  /** v2 `context.params`. */
  params?: Record<string, string> | undefined;
}

/** An invocation as it runs: the response arrives first, the report when the container froze. */
export interface RunningInvocation {
  coldStart: boolean;
  /** A v1 result or an error stays buffered; a v2 response is a web Response (it may stream). */
  response: Promise<Response | BufferedResponse>;
  done: Promise<InvocationReport>;
}

/** A platform error as the client sees it (its stack is the simulator's, of no use to anyone). */
function platformError(error: PlatformError): SerializedError {
  return { errorType: error.code, errorMessage: error.message };
}

/** One simulated execution environment; driven by its {@link ContainerPool}. */
export class Container {
  readonly id: string;
  readonly functionName: string;
  readonly bundleHash: string;
  readonly tmpDir: string;
  #options: ContainerOptions;
  #state: ContainerState = 'initializing';
  #worker: Worker | null = null;
  #flag = new Int32Array(new SharedArrayBuffer(4));
  #active: Invocation | null = null;
  #invocations = 0;
  #initDurationMs = 0;
  #spawnMs = 0;
  /** Work frozen at the last freeze and not yet thawed (for the thawed / container-ended events). */
  #frozenWork: PendingWork[] = [];
  #stopReason = 'stopped';
  #lastEndedAtMs: number;
  #lastPendingAtFreeze: PendingWork[] = [];
  #lastWorkerError: Error | null = null;
  /** Cancels the armed timeout watch (see #watchTimeout); null when none is armed. */
  #timeoutWatch: (() => void) | null = null;
  /** ManualClock only: the running runtime's clock channel (container-clock.ts). */
  #clockLink: ContainerClockLink | undefined;
  /** Whether this container's Init phase has begun: only that first init is held to the INIT limit. */
  #initPhaseStarted = false;
  /** Cancels the INIT limit's watch while the Init phase runs. */
  #initWatch: (() => void) | null = null;
  /** The INIT_REPORT of an invocation whose Init phase timed out and was retried within it. */
  #initReports = new WeakMap<Invocation, NonNullable<InvocationReport['initReport']>>();
  /** Keeps the bundle cache from removing the files this container starts from (bundle-cache.ts). */
  #releaseBundles: Array<() => void>;

  constructor(options: ContainerOptions) {
    this.#options = options;
    this.id = options.id;
    this.functionName = options.bundle.name;
    this.bundleHash = options.bundle.bundleHash;
    // Each container gets a private os.tmpdir(): the worker's TMPDIR points here (AWS: /tmp per environment).
    this.tmpDir = mkdtempSync(path.join(options.tmpRoot, `${this.functionName}-`));
    this.#releaseBundles = [retainBundle(options.bundle.bundlePath), retainBundle(options.runtimePath)];
    this.#lastEndedAtMs = options.clock.now();
  }

  get state(): ContainerState {
    return this.#state;
  }

  snapshot(): ContainerSnapshot {
    return {
      id: this.id,
      functionName: this.functionName,
      state: this.#state,
      invocations: this.#invocations,
      bundleHash: this.bundleHash,
      initDurationMs: this.#initDurationMs,
      spawnMs: this.#spawnMs,
      idleMs: this.#active ? 0 : Math.max(0, this.#options.clock.now() - this.#lastEndedAtMs),
      tmpDir: this.tmpDir,
      lastPendingAtFreeze: this.#lastPendingAtFreeze,
    };
  }

  /** Starts one invocation. The caller (the pool) guarantees the container is idle or new. */
  invoke(payload: InvocationPayload, onFinished: (report: InvocationReport) => void): RunningInvocation {
    if (this.#active || this.#state === 'stopped' || this.#state === 'busy') {
      throw new Error(`container ${this.id} is not idle (${this.#state})`);
    }
    const clock = this.#options.clock;
    const coldStart = this.#worker === null;
    const nowMs = clock.now();
    const active = new Invocation({
      requestId: payload.requestId,
      coldStart,
      deadlineMs: nowMs + this.#options.timeoutMs,
      method: payload.request.method,
      url: payload.request.url,
      onFinished,
    });
    this.#active = active;
    const events = this.#options.events;
    this.#watchTimeout();
    const message = encodeInvocation(payload.request, {
      requestId: payload.requestId,
      nowMs,
      deadlineMs: active.deadlineMs,
      clientIp: payload.clientIp,
      geoHeader: payload.geoHeader,
      siteId: payload.siteId,
      params: payload.params,
    });
    if (coldStart) {
      this.#state = 'initializing';
      const worker = this.#spawn(nowMs);
      events?.emit(this.functionName, this.id, { type: 'invocation-start', requestId: payload.requestId, method: payload.request.method, path: requestPath(payload.request.url), coldStart });
      worker.postMessage(message);
      this.#limitInit(active, message);
    } else {
      this.#state = 'busy';
      if (events) {
        events.emit(this.functionName, this.id, { type: 'invocation-start', requestId: payload.requestId, method: payload.request.method, path: requestPath(payload.request.url), coldStart });
        events.emit(this.functionName, this.id, {
          type: 'thawed',
          requestId: payload.requestId,
          frozenForMs: nowMs - this.#lastEndedAtMs,
          carriedOver: this.#frozenWork,
        });
        this.#frozenWork = [];
      }
      this.#worker?.postMessage(message);
      this.#thaw();
    }
    return { coldStart, response: active.response, done: active.done };
  }

  /**
   * Stops the container for good (reaped, drained, destroyed): terminates the worker and removes /tmp.
   * Whatever dies with it (an invocation in flight, requests left pending at its last freeze) gets one
   * WARN line, as Lambda's Shutdown phase loses that work without a word. Waits at most
   * {@link stopWaitMs} for the thread: one blocked in native code is left to end in the background.
   */
  async stop(reason = 'stopped'): Promise<void> {
    if (this.#state === 'stopped' && !this.#worker) return;
    this.#state = 'stopped';
    for (const release of this.#releaseBundles) release();
    this.#initWatch?.();
    this.#stopReason = reason;
    this.#timeoutWatch?.();
    this.#timeoutWatch = null;
    const active = this.#active;
    this.#warnLostWork(reason, active);
    if (active) active.markFailed('crash', `container ${reason} during the invocation`);
    // A frozen container cannot touch its /tmp, so an idle one loses it at once (reaping is then
    // visible on disk the moment the clock passes the idle timeout); a busy one only after it is dead.
    if (!active) {
      rmSync(this.tmpDir, { recursive: true, force: true });
      this.#options.events?.emit(this.functionName, this.id, { type: 'container-ended', reason: stopReason(reason), lostWork: this.#frozenWork, tmpKept: false });
      this.#frozenWork = [];
    }
    if (active) this.#finish(active, [], new SimError('SIMULATOR_CLOSED', `container ${this.id} was ${reason} during the invocation`));
    const terminated = this.#detachWorker();
    if (terminated) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), stopWaitMs);
        timer.unref();
      });
      const outcome = await Promise.race([terminated.then(() => 'ended' as const), late]);
      clearTimeout(timer);
      if (outcome === 'late') {
        this.#options.logger?.warn(
          `[${this.functionName} ${this.id}] its thread did not stop within ${stopWaitMs} ms (blocked in native code?); it ends in the background`,
        );
      }
    }
    if (active) rmSync(this.tmpDir, { recursive: true, force: true });
  }

  /** One WARN per container listing the work that is lost with it (method, URL, request id). */
  #warnLostWork(reason: string, active: Invocation | null): void {
    const lost: string[] = [];
    if (active) lost.push(`${active.method} ${active.url} (request ${active.requestId}, still running)`);
    // The last freeze's list: work a frozen container still holds. A busy one thawed it, and it may
    // have finished since, so it is listed only for a frozen container.
    if (!active) {
      for (const work of this.#lastPendingAtFreeze) {
        // A timer is named by its API (timers/promises.setTimeout is how a retry backs off), its delay rounded.
        lost.push(work.kind === 'timer' ? `${work.timerApi ?? 'timer'} of ${Math.round(work.delayMs ?? 0)} ms (request ${work.requestId})` : `${work.method ?? '?'} ${work.url ?? '?'} (request ${work.requestId})`);
      }
    }
    if (lost.length === 0) return;
    this.#options.logger?.warn(`[${this.functionName} ${this.id}] ${reason} with work that is lost with it: ${lost.join('; ')}`);
  }

  /**
   * Takes the worker away from this container and terminates it in the background. The container can
   * start a fresh one at once (a reset environment); nothing waits for this one, since
   * `worker.terminate()` cannot interrupt a thread blocked in a native call (execFileSync, Atomics.wait
   * outside the freeze) and would otherwise hold up the answer, the pool and shutdown.
   */
  #detachWorker(): Promise<void> | null {
    const worker = this.#worker;
    if (!worker) return null;
    this.#worker = null;
    this.#clockLink?.close();
    this.#clockLink = undefined;
    const terminated = worker.terminate().then(
      () => undefined,
      () => undefined,
    );
    lingeringThreads.add(terminated);
    void terminated.then(() => lingeringThreads.delete(terminated));
    return terminated;
  }

  #spawn(initNowMs: number): Worker {
    const { bundle, memoryLimitMb, thawGraceMs, env, runtimePath } = this.#options;
    const spawnedMs = performance.now();
    // A flag of its own per thread: a detached one still ending must not see this one's thaws.
    this.#flag = new Int32Array(new SharedArrayBuffer(4));
    // A start is a use: the bundle cache removes least recently used bundles first.
    void touchBundle(bundle.bundlePath);
    this.#options.events?.emit(this.functionName, this.id, { type: 'container-spawned', bundleHash: bundle.bundleHash });
    Atomics.store(this.#flag, 0, 1);
    this.#clockLink?.close();
    const link = ContainerClockLink.open(this.#options.clock, this.id, bundle.name, () => this.#state === 'busy' || this.#state === 'initializing');
    this.#clockLink = link;
    const workerData: RuntimeWorkerData = {
      bundlePath: bundle.bundlePath,
      functionName: bundle.name,
      api: bundle.api,
      memoryLimitMb,
      freezeFlag: this.#flag.buffer as SharedArrayBuffer,
      thawGraceMs,
      initNowMs,
      clockFlows: !(this.#options.clock instanceof ManualClock),
      ...(this.#options.nodeVersionMajor !== undefined && { nodeVersionMajor: this.#options.nodeVersionMajor }),
      ...(link && { clockPort: link.workerPort }),
    };
    // Lambda's variables and the site's, not the shell's (lambda-env.ts); reading a left-out one warns.
    const workerEnv = containerEnv({
      siteEnv: env,
      functionName: bundle.name,
      memoryLimitMb,
      tmpDir: this.tmpDir,
      nodeVersionMajor: this.#options.nodeVersionMajor ?? DEFAULT_NODE_VERSION_MAJOR,
    });
    workerData.envHints = envHints({ owner: env, functionName: bundle.name, given: workerEnv, notices: this.#options.envNotices, logger: this.#options.logger });
    const worker = new Worker(runtimePath, {
      workerData,
      ...(link && { transferList: [link.workerPort] }),
      env: workerEnv,
      // The platform's memory limit: V8 kills the isolate (ERR_WORKER_OUT_OF_MEMORY) past it. Node lets a
      // worker's isolate run 16 MB past its limit while it terminates; a young generation larger than that
      // can promote more in one GC and V8 then aborts the WHOLE process (measured: half the runs at a 48 or
      // 64 MB limit with V8's default young generation, none once it is capped at an eighth of the limit).
      // The cap also bounds each container's footprint: under fetch-heavy traffic (collect) V8 otherwise
      // grows every worker's young generation to 128 MB of garbage-in-waiting, about 45 KB of host RSS per
      // request until every container has reached it (live data stays near 10 MB).
      resourceLimits: { maxOldGenerationSizeMb: memoryLimitMb, maxYoungGenerationSizeMb: youngGenerationMb(memoryLimitMb) },
      stdout: true,
      stderr: true,
    });
    this.#worker = worker;
    this.#lastWorkerError = null;
    const prefix = `[${bundle.name} ${this.id}]`;
    const logger = this.#options.logger;
    worker.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().trimEnd().split('\n')) logger?.info(`${prefix} ${line}`);
    });
    worker.stderr.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().trimEnd().split('\n')) logger?.warn(`${prefix} ${line}`);
    });
    worker.on('message', (message: FromRuntime | FromRuntimeClock | FrozenWire) => {
      // A runtime abandoned for a retried init may still speak while it is terminated.
      if (this.#worker !== worker) return;
      if (isFrozenWire(message)) this.#onMessage(decodeFrozen(message), spawnedMs);
      else if (isClockMessage(message)) this.#clockLink?.receive(message);
      else this.#onMessage(message, spawnedMs);
    });
    worker.on('error', (error: Error) => {
      this.#lastWorkerError = error;
    });
    worker.on('exit', (code) => this.#onExit(worker, code));
    return worker;
  }

  /**
   * Times out the active invocation at its deadline, on the simulator's clock (a test advances it
   * instead of waiting 60 s). One timer per container, armed for the deadline of the invocation that
   * armed it and re-armed when it fires for a later one, rather than one timer set and cleared per
   * invocation: that pair was a measurable cost on the server's main thread at thousands of
   * invocations a second, and an invocation almost never times out.
   */
  #watchTimeout(): void {
    const active = this.#active;
    if (this.#timeoutWatch || !active) return;
    const clock = this.#options.clock;
    this.#timeoutWatch = clock.setTimer(active.deadlineMs - clock.now(), () => {
      this.#timeoutWatch = null;
      const current = this.#active;
      if (!current) return;
      if (clock.now() >= current.deadlineMs) this.#onTimeout(current);
      else this.#watchTimeout();
    });
  }

  /**
   * The INIT limit (init-limit.ts) on this container's first init. Past it, the runtime is discarded
   * and init retried at once for the invocation that is waiting, as Lambda retries it at the first
   * invocation: the retry counts against the function's timeout, which starts now. Inits after a reset
   * already run inside an invocation, under its timeout, and are not limited again.
   */
  #limitInit(active: Invocation, message: InvokeWire): void {
    if (this.#initPhaseStarted) return;
    this.#initPhaseStarted = true;
    const clock = this.#options.clock;
    // On the clock, the limit counts only once the init has caught up with the time and still waits:
    // a test that advances the clock while a runtime is still booting has not made init slow.
    const caughtUp = (): Promise<void> => this.#clockLink?.catchUp(clock.now()) ?? Promise.resolve();
    this.#initWatch = watchInit(clock, this.#options.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS, caughtUp, (durationMs) => {
      this.#initWatch = null;
      const abandoned = this.#worker;
      if (this.#active !== active || this.#state !== 'initializing' || !abandoned) return;
      this.#initReports.set(active, { phase: 'init', status: 'timeout', durationMs });
      this.#options.logger?.warn(`[${this.functionName} ${this.id}] ${initTimeoutReport(durationMs)}`);
      this.#worker = null;
      this.#clockLink?.close();
      this.#clockLink = undefined;
      void abandoned.terminate().then(() => {
        if (this.#active !== active || this.#state === 'stopped' || this.#worker) return;
        const nowMs = clock.now();
        active.restartDeadline(nowMs + this.#options.timeoutMs);
        this.#watchTimeout();
        this.#spawn(nowMs).postMessage(redispatch(message, nowMs, active.deadlineMs));
      });
    });
  }

  #thaw(): void {
    Atomics.store(this.#flag, 0, 1);
    Atomics.notify(this.#flag, 0);
  }

  #onMessage(message: FromRuntime, spawnedMs: number): void {
    const active = this.#active;
    if (message.type === 'ready' || message.type === 'init-error') {
      this.#initWatch?.();
      this.#initWatch = null;
    }
    if (message.type === 'ready') {
      this.#spawnMs = roundMs(performance.now() - spawnedMs);
      this.#initDurationMs = roundMs(message.initDurationMs);
      if (active) active.initDurationMs = message.initDurationMs;
      this.#options.events?.emit(this.functionName, this.id, { type: 'init-done', initDurationMs: this.#initDurationMs, spawnMs: this.#spawnMs });
      if (this.#state === 'initializing') this.#state = 'busy';
      return;
    }
    if (!active) return;
    switch (message.type) {
      case 'init-error':
        this.#fail(active, 'init-error', message.error, 502);
        return;
      case 'v1-response':
      case 'v2-complete':
      case 'v2-end':
      case 'v2-body-error':
      case 'handler-error':
        this.#complete(active, message);
        return;
      case 'v2-head':
        // Only a body still being produced comes this way (a whole one, or none, is 'v2-complete').
        this.#emitResponse(active, message.status);
        active.respondStreaming({ status: message.status, statusText: message.statusText, headers: message.headers });
        return;
      case 'v2-chunk':
        active.enqueue(message.chunk);
        return;
      case 'carried-over':
        this.#options.events?.emit(this.functionName, this.id, {
          type: 'carried-over-finished',
          requestId: active.requestId,
          finished: message.finished,
          stillPending: message.stillPending,
        });
        return;
      case 'frozen':
        // Both in this one synchronous step: the response completes and the container goes back to
        // its pool, so by the time the caller sees the end of the response it is already idle.
        this.#state = 'frozen';
        this.#clockLink?.frozen();
        this.#lastPendingAtFreeze = message.pendingAtFreeze;
        if (message.final) this.#complete(active, message.final);
        this.#finish(active, message.pendingAtFreeze, undefined, message);
        return;
    }
  }

  /** The end of a response: a v1 result, the end (or failure) of a v2 body, or a handler error. */
  #complete(active: Invocation, message: FinalMessage): void {
    switch (message.type) {
      case 'v1-response':
        try {
          this.#respond(active, fromV1Result(message.result));
        } catch (error) {
          if (!(error instanceof InvalidV1ResultError)) throw error;
          this.#handlerError(active, { errorType: error.name, errorMessage: error.message });
        }
        return;
      case 'v2-complete':
        this.#respond(active, { kind: 'buffered', status: message.status, headers: message.headers, body: message.body });
        return;
      case 'v2-end':
        active.closeBody();
        return;
      case 'v2-body-error':
        active.failBody(new Error(message.error.errorMessage));
        return;
      case 'handler-error':
        this.#handlerError(active, message.error);
        return;
    }
  }

  /** A handler that threw or rejected: Netlify's error response, and the container stays warm. */
  #handlerError(active: Invocation, error: SerializedError): void {
    active.markFailed('handler-error', `${error.errorType}: ${error.errorMessage}`);
    this.#options.logger?.warn(`[${this.functionName} ${this.id}] ${active.requestId} ${error.stack ?? active.errorMessage}`);
    this.#respond(active, errorResponse(502, error));
  }

  /** Answers the caller, and tells the event log the status (the first answer only, as Invocation keeps it). */
  #respond(active: Invocation, response: Response | BufferedResponse): void {
    this.#emitResponse(active, response.status);
    active.respond(response);
  }

  #emitResponse(active: Invocation, status: number): void {
    if (active.responded) return;
    this.#options.events?.emit(this.functionName, this.id, { type: 'response', requestId: active.requestId, status });
  }

  #onTimeout(active: Invocation): void {
    if (this.#active !== active) return;
    const timedOut = new TimeoutError(this.#options.timeoutMs);
    // Netlify's timeout body: `{"errorMessage":"<time> <request id> Task timed out after N seconds"}`.
    const stamp = new Date(this.#options.clock.now()).toISOString();
    this.#fail(active, 'timeout', platformError(timedOut), 502, {
      errorMessage: `${stamp} ${active.requestId} ${timedOut.message}`,
    });
  }

  #onExit(worker: Worker, code: number): void {
    // A worker the container detached (stopped or reset) is no longer its own: its exit means nothing.
    if (this.#worker !== worker) return;
    this.#worker = null;
    this.#clockLink?.close();
    this.#clockLink = undefined;
    const active = this.#active;
    const error = this.#lastWorkerError;
    const outOfMemory = (error as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    if (active) {
      const detail = platformError(
        outOfMemory
          ? new OutOfMemoryError(this.#options.memoryLimitMb)
          : new RuntimeExitError(error ? `${error.name}: ${error.message}` : `exit status ${code}`),
      );
      if (error?.stack && !outOfMemory) detail.stack = error.stack;
      this.#fail(active, outOfMemory ? 'out-of-memory' : 'crash', detail, 502);
    } else if (this.#state !== 'stopped') {
      // Died while idle (it cannot while frozen; only if it exited on its own before freezing).
      this.#state = 'frozen';
    }
  }

  /**
   * The invocation failed in a way that ends the runtime: answer with the platform's error, then reset
   * the container (new module instance on the next invocation, /tmp kept), as AWS does after a crash or
   * a timeout.
   */
  #fail(active: Invocation, outcome: InvocationOutcome, error: SerializedError, status: number, body?: { errorMessage: string }): void {
    this.#initWatch?.();
    this.#initWatch = null;
    active.markFailed(outcome, `${error.errorType}: ${error.errorMessage}`);
    this.#options.logger?.warn(`[${this.functionName} ${this.id}] ${active.requestId} ${outcome}: ${error.stack ?? active.errorMessage}`);
    this.#respond(active, errorResponse(status, body ?? error));
    active.failBody(new Error(active.errorMessage));
    // Marked dead at once: the answer above already went out at the deadline, and the container is
    // back in its pool now (its next invocation is a cold start with the same /tmp), whatever the old
    // thread is doing.
    this.#detachWorker();
    if (this.#state !== 'stopped') this.#state = 'frozen';
    this.#finish(active, []);
  }

  #finish(active: Invocation, pending: PendingWork[], rejection?: Error, frozen?: FrozenMessage): void {
    if (this.#active !== active) return;
    this.#active = null;
    this.#invocations += 1;
    this.#lastEndedAtMs = this.#options.clock.now();
    const durationMs = frozen?.durationMs ?? performance.now() - active.startedMs;
    const report: InvocationReport = {
      requestId: active.requestId,
      functionName: this.functionName,
      containerId: this.id,
      outcome: active.outcome,
      coldStart: active.coldStart,
      durationMs,
      // Lambda bills per millisecond and, since Aug 2025, includes the INIT phase (docs/platform-facts.md#lambda-execution-environment).
      billedDurationMs: Math.ceil(durationMs + (active.initDurationMs ?? 0)),
      memorySizeMb: this.#options.memoryLimitMb,
      maxMemoryUsedMb: frozen?.maxMemoryUsedMb ?? 0,
      pendingAtFreeze: pending,
    };
    if (active.initDurationMs !== undefined) report.initDurationMs = active.initDurationMs;
    if (active.errorMessage !== undefined) report.errorMessage = active.errorMessage;
    const initReport = this.#initReports.get(active);
    if (initReport) report.initReport = initReport;
    this.#emitEnd(report, frozen !== undefined);
    // Logged before `done` resolves (finish resolves it), after the pool got the container back.
    active.finish(report, rejection, () => {
      if (this.#options.reportLines) this.#logReport(report);
    });
  }

  /** The invocation's end as an event: the container froze, or its runtime (or the container) ended. */
  #emitEnd(report: InvocationReport, froze: boolean): void {
    const events = this.#options.events;
    if (!events) return;
    const durationMs = roundMs(report.durationMs);
    if (froze && (report.outcome === 'ok' || report.outcome === 'handler-error')) {
      this.#frozenWork = report.pendingAtFreeze;
      events.emit(this.functionName, this.id, {
        type: 'frozen',
        requestId: report.requestId,
        outcome: report.outcome,
        durationMs,
        billedDurationMs: report.billedDurationMs,
        maxMemoryUsedMb: report.maxMemoryUsedMb,
        pendingAtFreeze: report.pendingAtFreeze,
        ...(report.errorMessage !== undefined && { errorMessage: report.errorMessage }),
      });
      return;
    }
    // A stopped container ends for good; otherwise only its runtime ended and the environment is reset.
    const stopped = this.#state === 'stopped';
    this.#frozenWork = [];
    events.emit(this.functionName, this.id, {
      type: 'container-ended',
      reason: stopped ? stopReason(this.#stopReason) : failReason(report.outcome),
      requestId: report.requestId,
      outcome: report.outcome,
      durationMs,
      ...(report.errorMessage !== undefined && { errorMessage: report.errorMessage }),
      lostWork: [],
      tmpKept: !stopped,
    });
  }

  #logReport(report: InvocationReport): void {
    const log = `REPORT RequestId: ${report.requestId} Container: ${this.id} Duration: ${report.durationMs.toFixed(2)} ms Billed Duration: ${report.billedDurationMs} ms Memory Size: ${report.memorySizeMb} MB Max Memory Used: ${report.maxMemoryUsedMb} MB${report.initDurationMs !== undefined ? ` Init Duration: ${report.initDurationMs.toFixed(2)} ms` : ''}`;
    this.#options.logger?.info(log);
    for (const work of report.pendingAtFreeze) {
      this.#options.logger?.warn(
        `[${this.functionName} ${this.id}] pending at freeze: ${work.kind === 'timer' ? `timer (${work.delayMs} ms)` : `${work.method} ${work.url}`} started by ${work.requestId}`,
      );
    }
  }
}
