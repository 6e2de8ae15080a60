/**
 * Inside a container: keeps track of the work a handler started and did not finish, so the result of
 * each invocation can report what was left pending when its container froze (the seed article's
 * fire-and-forget bug), and so a thawed container can let that carried-over work settle.
 *
 * Outbound HTTP is observed through `diagnostics_channel`, which both undici (global `fetch`, or the
 * npm package bundled into a function) and `node:http`/`node:https` publish to. Timers are observed by
 * wrapping the global `setTimeout`/`setInterval` before the function's module is evaluated.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import { promisify } from 'node:util';
import type { PendingWork, TimerApi } from './api.ts';

/** Work started during module evaluation (the INIT phase) is attributed to this id. */
export const INIT_REQUEST_ID = 'init';

type TimerCallback = (...args: unknown[]) => void;

/** How many entries each of the tracker's internal tables holds (see {@link PendingWorkTracker.internalCounts}). */
export interface TrackerCounts {
  /** Outbound requests started and not yet answered or failed. */
  requests: number;
  /** Timers scheduled and not yet known to have fired or been cleared. */
  timers: number;
  /** Pending {@link PendingWorkTracker.whenSettled} calls. */
  settleWaiters: number;
}

/**
 * What the tracker needs of a timer: Node's `Timeout`, or a handle standing for a timer the global
 * wrappers do not see (`timers/promises`, `AbortSignal.timeout`, a virtual timer). It is pending while
 * `_destroyed` is not true, and reported at freeze while `hasRef()` holds.
 */
export interface TrackedTimer {
  hasRef(): boolean;
  readonly _destroyed?: boolean;
}

/** What {@link PendingWorkTracker.requestsInFlight} returns when nothing is in flight (never added to). */
const NOTHING_IN_FLIGHT: ReadonlySet<object> = new Set();

/** Below this many tracked timers, scheduling a timer never scans the table for cleared ones. */
const MIN_TIMER_PRUNE_AT = 64;

/**
 * Whether a Node timer was cleared (by any route) or has fired and will not run again. Node marks
 * both with `_destroyed` in `unenroll`/`listOnTimeout`. That field is the only signal shared by
 * every way to clear a timer: `clearTimeout(timer)`, `clearTimeout(numericId)` (ids come from
 * `Number(timer)`), `timer.close()`, and the `clearTimeout` of `node:timers`, which the global
 * wrapper never sees. `hasRef()` is no help: it stays true after a clear.
 */
function isDestroyed(timer: TrackedTimer): boolean {
  return field(timer, '_destroyed') === true;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof URL) return value.origin;
  return undefined;
}

/** Tracks, inside one container, the requests and timers in flight and who started them. */
export class PendingWorkTracker {
  #invocation = new AsyncLocalStorage<string>();
  #requests = new Map<object, PendingWork>();
  #timers = new Map<TrackedTimer, PendingWork>();
  #settleWaiters = new Set<() => void>();
  /** Scheduling a timer prunes cleared ones once the table reaches this size (amortised: it doubles). */
  #timerPruneAt = MIN_TIMER_PRUNE_AT;
  /** Undoes what the constructor installed (channel subscriptions, global timer wrappers). */
  #undo: Array<() => void> = [];
  readonly realSetTimeout = globalThis.setTimeout;
  readonly realClearTimeout = globalThis.clearTimeout;

  constructor() {
    this.#observeUndici();
    this.#observeNodeHttp();
    this.#wrapTimers();
  }

  /**
   * Sizes of the internal tables, as they are (cleared timers are dropped at each {@link snapshot}
   * and in amortised batches in between). For tests and diagnostics: after any number of invocations
   * that finished their work, each followed by a freeze, every count is back to what the container
   * holds at rest, so a count that grows with invocations is a leak inside the container.
   */
  internalCounts(): TrackerCounts {
    return { requests: this.#requests.size, timers: this.#timers.size, settleWaiters: this.#settleWaiters.size };
  }

  /** Unsubscribes from the diagnostics channels and puts the original global timer functions back. */
  dispose(): void {
    for (const undo of this.#undo.splice(0).reverse()) undo();
    this.#requests.clear();
    this.#timers.clear();
  }

  /** Runs `fn` so that every request or timer it starts, even later in callbacks, is attributed to `requestId`. */
  runAs<T>(requestId: string, fn: () => T): T {
    return this.#invocation.run(requestId, fn);
  }

  /**
   * Tracks a timer armed by a route the global wrappers do not see, attributed to the invocation
   * running now. Returns the entry as it will be reported.
   */
  trackTimer(timer: TrackedTimer, delayMs: number, timerApi: TimerApi): PendingWork {
    const entry: PendingWork = { kind: 'timer', delayMs, timerApi, requestId: this.#current() };
    if (this.#timers.size >= this.#timerPruneAt) this.#pruneTimers();
    this.#timers.set(timer, entry);
    return entry;
  }

  /** Work in flight right now: unfinished requests and live timers that keep the event loop alive. */
  snapshot(): PendingWork[] {
    // Nothing tracked, the usual case: no allocation on every freeze.
    if (this.#requests.size === 0 && this.#timers.size === 0) return [];
    // A timer cleared by a route the wrapper does not see would otherwise be reported at every
    // freeze from now on (a phantom), and its callback and closure held for the container's life.
    this.#pruneTimers();
    const work = [...this.#requests.values()];
    for (const [timer, entry] of this.#timers) if (timer.hasRef()) work.push(entry);
    return work;
  }

  /** Identities of the requests in flight, to wait for after the next thaw. */
  requestsInFlight(): ReadonlySet<object> {
    return this.#requests.size === 0 ? NOTHING_IN_FLIGHT : new Set(this.#requests.keys());
  }

  /** Which of `requests` are still in flight, with what they are. */
  describe(requests: ReadonlySet<object>): Map<object, PendingWork> {
    const described = new Map<object, PendingWork>();
    for (const request of requests) {
      const work = this.#requests.get(request);
      if (work) described.set(request, work);
    }
    return described;
  }

  /** Resolves once none of `requests` is in flight any more, or after `graceMs` (real time), whichever is first. */
  whenSettled(requests: ReadonlySet<object>, graceMs: number): Promise<void> {
    const allDone = (): boolean => {
      for (const request of requests) if (this.#requests.has(request)) return false;
      return true;
    };
    if (allDone()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        this.#settleWaiters.delete(check);
        this.realClearTimeout(grace);
        resolve();
      };
      const check = (): void => {
        if (allDone()) finish();
      };
      const grace = this.realSetTimeout(finish, graceMs);
      this.#settleWaiters.add(check);
    });
  }

  #pruneTimers(): void {
    for (const timer of this.#timers.keys()) if (isDestroyed(timer)) this.#timers.delete(timer);
    this.#timerPruneAt = Math.max(MIN_TIMER_PRUNE_AT, this.#timers.size * 2);
  }

  #subscribe(name: string, onMessage: (message: unknown) => void): void {
    diagnosticsChannel.subscribe(name, onMessage);
    this.#undo.push(() => diagnosticsChannel.unsubscribe(name, onMessage));
  }

  #current(): string {
    return this.#invocation.getStore() ?? INIT_REQUEST_ID;
  }

  #settle(request: unknown): void {
    if (typeof request !== 'object' || request === null || !this.#requests.delete(request)) return;
    for (const waiter of [...this.#settleWaiters]) waiter();
  }

  #observeUndici(): void {
    this.#subscribe('undici:request:create', (message) => {
      const request = field(message, 'request');
      if (typeof request !== 'object' || request === null) return;
      const origin = text(field(request, 'origin')) ?? '';
      const path = text(field(request, 'path')) ?? '';
      this.#requests.set(request, {
        kind: 'http-request',
        method: text(field(request, 'method')) ?? 'GET',
        url: origin + path,
        requestId: this.#current(),
      });
    });
    // The response head arriving means the destination received the whole request and answered:
    // for "was it delivered?", that is the moment that matters, even if the body is never read.
    const settle = (message: unknown): void => this.#settle(field(message, 'request'));
    this.#subscribe('undici:request:headers', settle);
    this.#subscribe('undici:request:error', settle);
  }

  #observeNodeHttp(): void {
    // `created` fires synchronously in the ClientRequest constructor; `start` only once the request is
    // being written, which for a fresh connection happens after connect, i.e. after a freeze. Both are
    // subscribed so that older Node versions (with `start` only) still see the request eventually.
    const track = (message: unknown): void => {
      const request = field(message, 'request');
      if (typeof request !== 'object' || request === null || this.#requests.has(request)) return;
      const getHeader = field(request, 'getHeader');
      const hostHeader = typeof getHeader === 'function' ? text(Reflect.apply(getHeader, request, ['host'])) : undefined;
      const host = hostHeader ?? text(field(request, 'host')) ?? '';
      this.#requests.set(request, {
        kind: 'http-request',
        method: text(field(request, 'method')) ?? 'GET',
        url: `${text(field(request, 'protocol')) ?? 'http:'}//${host}${text(field(request, 'path')) ?? ''}`,
        requestId: this.#current(),
      });
    };
    this.#subscribe('http.client.request.created', track);
    this.#subscribe('http.client.request.start', track);
    const settle = (message: unknown): void => this.#settle(field(message, 'request'));
    this.#subscribe('http.client.response.finish', settle);
    this.#subscribe('http.client.request.error', settle);
  }

  #wrapTimers(): void {
    const timers = this.#timers;
    const current = (): string => this.#current();
    const pruneIfLarge = (): void => {
      // Within one long invocation no freeze prunes: keep the table bounded by the live timers.
      if (timers.size >= this.#timerPruneAt) this.#pruneTimers();
    };
    const realSetTimeout = globalThis.setTimeout;
    const realSetInterval = globalThis.setInterval;
    const realClearTimeout = globalThis.clearTimeout;
    const realClearInterval = globalThis.clearInterval;

    const track = (real: typeof setTimeout | typeof setInterval, once: boolean) =>
      function trackedTimer(callback: unknown, delay?: unknown, ...args: unknown[]): NodeJS.Timeout {
        if (typeof callback !== 'function') return Reflect.apply(real, globalThis, [callback, delay, ...args]) as NodeJS.Timeout;
        const timerApi: TimerApi = once ? 'setTimeout' : 'setInterval';
        const entry: PendingWork = { kind: 'timer', delayMs: Number(delay) || 0, timerApi, requestId: current() };
        const run = (...callbackArgs: unknown[]): void => {
          if (once) timers.delete(timer);
          (callback as TimerCallback)(...callbackArgs);
        };
        const timer = Reflect.apply(real, globalThis, [run, delay, ...args]) as NodeJS.Timeout;
        pruneIfLarge();
        timers.set(timer, entry);
        return timer;
      };
    const untrack = (real: typeof clearTimeout) =>
      function untrackedTimer(timer?: unknown): void {
        if (typeof timer === 'object' && timer !== null) timers.delete(timer as NodeJS.Timeout);
        Reflect.apply(real, globalThis, [timer]);
      };

    const trackedSetTimeout = Object.assign(track(realSetTimeout, true), {
      [promisify.custom]: (realSetTimeout as unknown as Record<symbol, unknown>)[promisify.custom],
    });
    globalThis.setTimeout = trackedSetTimeout as unknown as typeof setTimeout;
    globalThis.setInterval = track(realSetInterval, false) as unknown as typeof setInterval;
    globalThis.clearTimeout = untrack(realClearTimeout) as typeof clearTimeout;
    globalThis.clearInterval = untrack(realClearInterval) as typeof clearInterval;
    this.#undo.push(() => {
      globalThis.setTimeout = realSetTimeout;
      globalThis.setInterval = realSetInterval;
      globalThis.clearTimeout = realClearTimeout;
      globalThis.clearInterval = realClearInterval;
    });
  }
}
