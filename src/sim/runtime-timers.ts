/**
 * Inside a container: timers on the simulator's clock, and every timer API reported at freeze.
 *
 * With the system clock, timers stay Node's own; this module only makes the tracker see the ones the
 * global wrappers miss (`node:timers`, `node:timers/promises`, `AbortSignal.timeout`).
 *
 * With a ManualClock, time inside the container moves only when the simulator says so, and the timer
 * APIs are replaced by virtual ones: a timer is due at a clock time and fires once the clock has
 * reached it while the container is thawed. Two ways time reaches a container:
 * - **thaw** (an invocation arrives with the clock's time): time jumps, as it does for a Lambda
 *   environment after a freeze. Every timer that came due while frozen fires, once, in due order, in
 *   one timers phase, before the handler runs (like carried-over requests, see runtime.ts); they all
 *   read the thaw time, so an interval fires once and re-arms from then.
 * - **advance while busy** (the clock moved while a handler awaits): time flows. Timers fire in steps,
 *   one step per due time, each reading its own due time; a step's timers run in one timers phase, and
 *   what they arm that is due by the new time fires in later steps. The simulator's `settled()` waits
 *   for the container's acknowledgement that nothing due is left.
 *
 * A step is launched by a real zero-delay Node timer and its callbacks run as real immediates, one
 * each, so microtasks drain between them, and `setImmediate` keeps its place relative to them: an
 * immediate a callback queues runs after the step's other timers, before the next step (#armBatch).
 * Node's minimum delay (0 or 1 ms, which Node both makes 1 ms) is due at once: it fires in the next
 * timers phase without the clock moving, so `setTimeout(fn, 0)` still means "after this turn".
 */
import { getEventListeners } from 'node:events';
import { syncBuiltinESMExports } from 'node:module';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { promisify } from 'node:util';
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { TimerApi } from './api.ts';
import type { FromRuntimeClock, ToRuntimeClock } from './clock-protocol.ts';
import type { ClockDate } from './runtime-date.ts';
import type { PendingWorkTracker, TrackedTimer } from './runtime-pending.ts';

/** What the runtime entry needs: the per-invocation time sync. */
export interface RuntimeTime {
  /**
   * Thawed for an invocation at clock time `nowMs`. Returns a promise only when timers came due while
   * the container was frozen: they fire first, and the promise resolves once they have.
   */
  thaw(nowMs: number): Promise<void> | undefined;
}

export interface RuntimeTimersOptions {
  clockDate: ClockDate;
  tracker: PendingWorkTracker;
  /** False with a ManualClock: timers become virtual. */
  clockFlows: boolean;
  /** The clock channel (ManualClock only). */
  clockPort?: MessagePort | undefined;
}

type Callback = (...args: unknown[]) => void;

/** The real functions, taken before anything is replaced. */
const real = {
  setTimeout: timers.setTimeout,
  clearTimeout: timers.clearTimeout,
  setImmediate: timers.setImmediate,
  clearImmediate: timers.clearImmediate,
  sleep: timersPromises.setTimeout,
  interval: timersPromises.setInterval,
  abortSignalTimeout: AbortSignal.timeout.bind(AbortSignal),
};

/** Node's largest delay; larger ones (and non-numbers, and anything below 1) become 1 ms. */
const TIMEOUT_MAX = 2 ** 31 - 1;

function nodeDelay(delay: unknown): number {
  const after = Number(delay);
  return after >= 1 && after <= TIMEOUT_MAX ? after : 1;
}

/** Installs what the clock asks for; see the module comment. Call once, before the function's module loads. */
export function installRuntimeTimers(options: RuntimeTimersOptions): RuntimeTime {
  if (options.clockFlows) {
    installTrackedTimers(options.tracker);
    return {
      thaw(nowMs) {
        options.clockDate.sync(nowMs);
        return undefined;
      },
    };
  }
  const clock = new VirtualTimers(options);
  installVirtualTimers(clock);
  return clock;
}

function abortError(reason: unknown): Error {
  // Node's AbortError: what `timers/promises` rejects with when its signal aborts.
  return Object.assign(new Error('The operation was aborted', { cause: reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** Whether anything still waits on `signal`: a deadline nobody listens to changes nothing when it fires. */
function listenedTo(signal: AbortSignal | undefined): boolean {
  if (!signal || signal.aborted) return false;
  return signal.onabort !== null || getEventListeners(signal, 'abort').length > 0;
}

function setModuleExport(target: object, key: string, value: unknown): void {
  Reflect.set(target, key, value);
}

interface SleepOptions {
  signal?: AbortSignal;
  ref?: boolean;
}

/** System clock: real timers, but the tracker sees the APIs the global wrappers do not. */
function installTrackedTimers(tracker: PendingWorkTracker): void {
  function trackedSleep(delay?: unknown, value?: unknown, options?: SleepOptions): Promise<unknown> {
    const handle = { _destroyed: false, hasRef: () => options?.ref !== false };
    const promise = Reflect.apply(real.sleep, timersPromises, [delay, value, options]) as Promise<unknown>;
    tracker.trackTimer(handle, Number(delay) || 0, 'timers/promises.setTimeout');
    const done = (): void => {
      handle._destroyed = true;
    };
    promise.then(done, done);
    return promise;
  }
  function trackedInterval(delay?: unknown, value?: unknown, options?: SleepOptions): AsyncIterableIterator<unknown> {
    const iterator = Reflect.apply(real.interval, timersPromises, [delay, value, options]) as AsyncIterableIterator<unknown>;
    const handle = { _destroyed: false, hasRef: () => options?.ref !== false };
    let started = false;
    const done = (): void => {
      handle._destroyed = true;
    };
    return {
      next: async (...args: [] | [unknown]) => {
        // Node's interval starts at the first next(), as the generator body does.
        if (!started) {
          started = true;
          tracker.trackTimer(handle, Number(delay) || 0, 'timers/promises.setInterval');
        }
        try {
          const result = await iterator.next(...args);
          if (result.done) done();
          return result;
        } catch (error) {
          done();
          throw error;
        }
      },
      return: async (result?: unknown) => {
        done();
        return iterator.return ? iterator.return(result) : { done: true, value: result };
      },
      throw: async (error?: unknown) => {
        done();
        if (iterator.throw) return iterator.throw(error);
        throw error;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
  function trackedAbortTimeout(delay: number): AbortSignal {
    const signal = real.abortSignalTimeout(delay);
    // Weakly: Node's own timeout lets an unreferenced signal be collected, and so must the tracker.
    const ref = new WeakRef(signal);
    // Dropped at the first freeze that finds nobody listening (or the signal aborted or collected): a
    // deadline is created per request by clients like send-data's, and must not pile up for its delay.
    const handle: TrackedTimer = {
      get _destroyed() {
        return !listenedTo(ref.deref());
      },
      hasRef: () => listenedTo(ref.deref()),
    };
    tracker.trackTimer(handle, delay, 'AbortSignal.timeout');
    return signal;
  }
  setModuleExport(timersPromises, 'setTimeout', trackedSleep);
  setModuleExport(timersPromises, 'setInterval', trackedInterval);
  // util.promisify(setTimeout) is timers/promises' setTimeout: the tracked one.
  Object.defineProperty(globalThis.setTimeout, promisify.custom, { value: trackedSleep, writable: true, configurable: true });
  // `node:timers` exports the same functions as the globals, which the tracker wrapped.
  setModuleExport(timers, 'setTimeout', globalThis.setTimeout);
  setModuleExport(timers, 'setInterval', globalThis.setInterval);
  setModuleExport(timers, 'clearTimeout', globalThis.clearTimeout);
  setModuleExport(timers, 'clearInterval', globalThis.clearInterval);
  Object.defineProperty(AbortSignal, 'timeout', { value: trackedAbortTimeout, writable: true, configurable: true });
  syncBuiltinESMExports();
}

/** A virtual timer, shaped like Node's `Timeout` (ref, unref, hasRef, refresh, close, a numeric id). */
class VirtualTimeout implements TrackedTimer {
  /** Fired for good or cleared (the field Node's `Timeout` has, which the tracker reads). */
  _destroyed = true;
  readonly _idleTimeout: number;
  readonly id: number;
  readonly api: TimerApi;
  readonly callback: Callback;
  readonly args: unknown[];
  readonly repeatMs: number | null;
  dueMs = 0;
  /** Cleared by the program: a refresh() no longer brings it back. */
  cleared = false;
  /** Arming order; a new one at every (re-)arm, so a firing scheduled for an older arming is dropped. */
  seq = 0;
  /** Armed at Node's minimum delay (due at once), after the clock message that `seq` is compared with. */
  minDelay = false;
  requestId = 'init';
  #ref = true;
  readonly #owner: VirtualTimers;

  constructor(owner: VirtualTimers, id: number, api: TimerApi, delayMs: number, callback: Callback, args: unknown[], repeat: boolean) {
    this.#owner = owner;
    this.id = id;
    this.api = api;
    this._idleTimeout = delayMs;
    this.callback = callback;
    this.args = args;
    this.repeatMs = repeat ? delayMs : null;
  }

  hasRef(): boolean {
    return this.#ref && !this._destroyed;
  }

  ref(): this {
    this.#ref = true;
    return this;
  }

  unref(): this {
    this.#ref = false;
    return this;
  }

  /** Node: restarts the timer from now with its original delay, even after it fired. */
  refresh(): this {
    if (!this.cleared) this.#owner.arm(this, true);
    return this;
  }

  close(): this {
    this.#owner.clear(this);
    return this;
  }

  [Symbol.toPrimitive](): number {
    return this.id;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

interface Batch {
  /** Cancels what the batch has queued so far (its launch, or its immediates). */
  cancels: Array<() => void>;
  mode: 'jump' | 'step';
}

/** The container's virtual timers and the clock they run on. */
class VirtualTimers implements RuntimeTime {
  readonly #clockDate: ClockDate;
  readonly #tracker: PendingWorkTracker;
  readonly #port: MessagePort | undefined;
  readonly #armed = new Map<number, VirtualTimeout>();
  #nextId = 1;
  #nextSeq = 1;
  /** The time the simulator last said it is. During a step, `Date.now()` is behind it. */
  #targetMs: number;
  #batch: Batch | null = null;
  #thawWaiters: Array<() => void> = [];
  /** The latest clock message not yet acknowledged (0: none). */
  #ackSeq = 0;
  /** Timers armed at minimum delay after this arming order do not hold the acknowledgement back. */
  #ackBaseSeq = 0;
  /** Clock messages received and not yet acknowledged; the first is the one in progress. */
  #clockQueue: ToRuntimeClock[] = [];

  constructor(options: RuntimeTimersOptions) {
    this.#clockDate = options.clockDate;
    this.#tracker = options.tracker;
    this.#port = options.clockPort;
    this.#targetMs = Date.now();
    // A listening port keeps the thread's event loop alive, as the real timers it stands for would:
    // module scope awaiting a virtual sleep must not end the thread as an unsettled top-level await.
    this.#port?.on('message', (message: ToRuntimeClock) => this.#onClock(message));
  }

  /** Creates and arms a timer. */
  create(api: TimerApi, delay: unknown, callback: Callback, args: unknown[], repeat: boolean, reportWhile?: () => boolean): VirtualTimeout {
    const timer = new VirtualTimeout(this, this.#nextId++, api, nodeDelay(delay), callback, args, repeat);
    // A deadline is tracked only while something listens to it (see installTrackedTimers).
    const tracked: TrackedTimer = reportWhile
      ? {
          get _destroyed() {
            return timer._destroyed || !reportWhile();
          },
          hasRef: reportWhile,
        }
      : timer;
    timer.requestId = this.#tracker.trackTimer(tracked, Number(delay) || 0, api).requestId;
    timer._destroyed = false;
    this.arm(timer, true);
    return timer;
  }

  /** (Re-)arms `timer` from now: a first arming or refresh honours Node's minimum delay as "due at once". */
  arm(timer: VirtualTimeout, fresh: boolean): void {
    const nowMs = Date.now();
    // A timeout brought back by refresh() after it fired is pending again.
    if (timer._destroyed) timer.requestId = this.#tracker.trackTimer(timer, timer._idleTimeout, timer.api).requestId;
    timer.minDelay = fresh && timer._idleTimeout <= 1;
    timer.dueMs = timer.minDelay ? nowMs : nowMs + timer._idleTimeout;
    timer.seq = this.#nextSeq++;
    timer._destroyed = false;
    this.#armed.set(timer.id, timer);
    this.#post({ type: 'armed', id: timer.id, api: timer.api, delayMs: timer._idleTimeout, dueMs: timer.dueMs, requestId: timer.requestId });
    if (!this.#batch && timer.dueMs <= this.#targetMs) this.#armBatch('step');
  }

  clear(timer: VirtualTimeout): void {
    timer.cleared = true;
    if (!this.#armed.delete(timer.id)) return;
    timer._destroyed = true;
    this.#post({ type: 'disarmed', id: timer.id });
  }

  /** `clearTimeout(value)` for whatever a program passes: a virtual timer, its numeric id, or a real timer. */
  clearAny(value: unknown): void {
    if (value instanceof VirtualTimeout) this.clear(value);
    else if (typeof value === 'number' || typeof value === 'string') {
      const timer = this.#armed.get(Number(value));
      if (timer) this.clear(timer);
      else real.clearTimeout(value);
    } else if (value !== undefined && value !== null) real.clearTimeout(value as NodeJS.Timeout);
  }

  thaw(nowMs: number): Promise<void> | undefined {
    this.#targetMs = Math.max(this.#targetMs, nowMs);
    this.#clockDate.sync(nowMs);
    // A step armed before the freeze is replaced: after a freeze, everything overdue fires as one.
    if (this.#batch) {
      for (const cancel of this.#batch.cancels) cancel();
      this.#batch = null;
    }
    if (!this.#armBatch('jump')) return undefined;
    return new Promise((resolve) => this.#thawWaiters.push(resolve));
  }

  /**
   * Clock messages are taken one at a time: each is acknowledged once the container has caught up
   * with exactly its time, before the next moves the time on. (The INIT limit relies on it: "has the
   * init finished by the limit?" is asked at the limit's time, even when one advance goes past it.)
   */
  #onClock(message: ToRuntimeClock): void {
    this.#clockQueue.push(message);
    if (this.#clockQueue.length === 1) this.#startClock(message);
  }

  #startClock(message: ToRuntimeClock): void {
    this.#ackSeq = message.seq;
    this.#ackBaseSeq = this.#nextSeq;
    this.#targetMs = Math.max(this.#targetMs, message.nowMs);
    if (this.#batch) return; // the batch in progress picks the new time up when it ends
    if (!this.#armBatch('step')) this.#settle();
  }

  /** Timers due by the target time, in due order. */
  #due(): VirtualTimeout[] {
    const due: VirtualTimeout[] = [];
    for (const timer of this.#armed.values()) if (timer.dueMs <= this.#targetMs) due.push(timer);
    return due.sort((a, b) => a.dueMs - b.dueMs || a.seq - b.seq);
  }

  /**
   * Arms the next batch: all due timers at the thaw time (jump), or those of the earliest due time
   * (step). It launches in the next timers phase (a real zero-delay timer, like Node's own for a due
   * timer) and queues one immediate per timer there, then one for the end of the batch: they all run
   * in that turn's check phase, in due order, with microtasks drained between them, and an immediate
   * a callback queues runs after the whole batch, before the next step. (Real zero-delay timers, one
   * per callback, would be closer to Node's phases, but Node splits those over two turns when their
   * creation straddles a millisecond.) Returns false when nothing is due.
   */
  #armBatch(mode: 'jump' | 'step'): boolean {
    if (this.#due().length === 0) return false;
    const launch = real.setTimeout(() => this.#launch(mode), 0);
    this.#batch = { cancels: [() => real.clearTimeout(launch)], mode };
    return true;
  }

  #launch(mode: 'jump' | 'step'): void {
    const batch = this.#batch;
    if (!batch) return;
    const due = this.#due();
    const first = due[0];
    const members = !first ? [] : mode === 'jump' ? due : due.filter((timer) => timer.dueMs === first.dueMs);
    const atMs = mode === 'jump' || !first ? this.#targetMs : first.dueMs;
    for (const timer of members) {
      const seq = timer.seq;
      const immediate = real.setImmediate(() => this.#fire(timer, seq, atMs));
      batch.cancels.push(() => real.clearImmediate(immediate));
    }
    const end = real.setImmediate(() => this.#afterBatch(mode));
    batch.cancels.push(() => real.clearImmediate(end));
  }

  #fire(timer: VirtualTimeout, seq: number, atMs: number): void {
    // Cleared, or re-armed for later, since this batch was armed.
    if (this.#armed.get(timer.id) !== timer || timer.seq !== seq) return;
    this.#clockDate.sync(atMs);
    if (timer.repeatMs === null) {
      this.#armed.delete(timer.id);
      timer._destroyed = true;
      this.#post({ type: 'disarmed', id: timer.id });
    } else {
      // Node re-arms an interval from the time it started firing: after a long freeze, once.
      this.arm(timer, false);
    }
    timer.callback(...timer.args);
  }

  #afterBatch(mode: 'jump' | 'step'): void {
    this.#batch = null;
    if (mode === 'jump') for (const resolve of this.#thawWaiters.splice(0)) resolve();
    if (this.#armBatch('step')) return;
    this.#settle();
  }

  /** Nothing due is left: time reaches the target, and a waiting clock message is acknowledged. */
  #settle(): void {
    this.#clockDate.sync(this.#targetMs);
    const seq = this.#ackSeq;
    if (seq === 0) return;
    // Timers at minimum delay armed after the clock message are the next turn's work, not the clock's.
    for (const timer of this.#armed.values()) if (timer.dueMs <= this.#targetMs && !(timer.minDelay && timer.seq >= this.#ackBaseSeq)) return;
    this.#ackSeq = 0;
    // After the immediates the last step queued: the acknowledgement covers them too.
    real.setImmediate(() => {
      this.#post({ type: 'ack', seq });
      this.#clockQueue.shift();
      const next = this.#clockQueue[0];
      if (next) this.#startClock(next);
    });
  }

  /**
   * Reports go over the runtime's main port, not the clock channel: in order with its other messages,
   * so the simulator has seen `ready` before a timer the handler armed, and every timer armed before
   * the `frozen` that follows.
   */
  #post(message: FromRuntimeClock): void {
    if (this.#port) parentPort?.postMessage(message);
  }
}

/** ManualClock: every timer API of the container on the virtual clock. */
function installVirtualTimers(clock: VirtualTimers): void {
  function virtualSetTimeout(callback: unknown, delay?: unknown, ...args: unknown[]): NodeJS.Timeout {
    // Not a function: Node's own validation throws its ERR_INVALID_ARG_TYPE.
    if (typeof callback !== 'function') return Reflect.apply(real.setTimeout, timers, [callback, delay, ...args]) as NodeJS.Timeout;
    return clock.create('setTimeout', delay, callback as Callback, args, false) as unknown as NodeJS.Timeout;
  }
  function virtualSetInterval(callback: unknown, delay?: unknown, ...args: unknown[]): NodeJS.Timeout {
    if (typeof callback !== 'function') return Reflect.apply(real.setTimeout, timers, [callback, delay, ...args]) as NodeJS.Timeout;
    return clock.create('setInterval', delay, callback as Callback, args, true) as unknown as NodeJS.Timeout;
  }
  function virtualClear(timer?: unknown): void {
    clock.clearAny(timer);
  }

  function virtualSleep(delay?: unknown, value?: unknown, options?: SleepOptions): Promise<unknown> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        clock.clear(timer);
        reject(abortError(signal?.reason));
      };
      const timer = clock.create(
        'timers/promises.setTimeout',
        delay,
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
        [],
        false,
      );
      if (options?.ref === false) timer.unref();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async function* virtualInterval(delay?: unknown, value?: unknown, options?: SleepOptions): AsyncGenerator<unknown> {
    const signal = options?.signal;
    if (signal?.aborted) throw abortError(signal.reason);
    let notYielded = 0;
    let aborted = false;
    let wake: (() => void) | null = null;
    const timer = clock.create(
      'timers/promises.setInterval',
      delay,
      () => {
        notYielded += 1;
        wake?.();
      },
      [],
      true,
    );
    if (options?.ref === false) timer.unref();
    const onAbort = (): void => {
      aborted = true;
      wake?.();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (notYielded === 0 && !aborted) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
        }
        if (aborted) throw abortError(signal?.reason);
        // Like Node: one value per firing, also for firings that happened while the consumer was busy.
        for (; notYielded > 0; notYielded--) yield value;
      }
    } finally {
      clock.clear(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  // The controller of each virtual timeout signal, held as long as the signal lives (and no longer).
  const controllers = new WeakMap<AbortSignal, AbortController>();
  const collected = new FinalizationRegistry<VirtualTimeout>((timer) => clock.clear(timer));
  function virtualAbortTimeout(delay: number): AbortSignal {
    if (typeof delay !== 'number' || !Number.isInteger(delay) || delay < 0 || delay > 2 ** 32 - 1) {
      // Node's validation and error for a bad delay.
      return real.abortSignalTimeout(delay);
    }
    const controller = new AbortController();
    const signal = controller.signal;
    controllers.set(signal, controller);
    const ref = new WeakRef(signal);
    const timer = clock.create(
      'AbortSignal.timeout',
      delay,
      () => {
        const current = ref.deref();
        if (current) controllers.get(current)?.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      },
      [],
      false,
      () => listenedTo(ref.deref()),
    );
    // Like Node's: it never keeps the loop alive, and a collected signal takes its timer with it.
    timer.unref();
    collected.register(signal, timer);
    return signal;
  }

  // `scheduler.yield()` is not about time and stays Node's; `scheduler.wait()` is a sleep.
  const scheduler: unknown = Object.create((timersPromises as { scheduler?: object }).scheduler ?? null, {
    wait: { value: (delay: number, options?: SleepOptions) => virtualSleep(delay, undefined, options), writable: true, configurable: true },
  });

  Object.assign(virtualSetTimeout, { [promisify.custom]: virtualSleep });
  globalThis.setTimeout = virtualSetTimeout as unknown as typeof setTimeout;
  globalThis.setInterval = virtualSetInterval as unknown as typeof setInterval;
  globalThis.clearTimeout = virtualClear as typeof clearTimeout;
  globalThis.clearInterval = virtualClear as typeof clearInterval;
  setModuleExport(timers, 'setTimeout', globalThis.setTimeout);
  setModuleExport(timers, 'setInterval', globalThis.setInterval);
  setModuleExport(timers, 'clearTimeout', virtualClear);
  setModuleExport(timers, 'clearInterval', virtualClear);
  setModuleExport(timersPromises, 'setTimeout', virtualSleep);
  setModuleExport(timersPromises, 'setInterval', virtualInterval);
  setModuleExport(timersPromises, 'scheduler', scheduler);
  Object.defineProperty(AbortSignal, 'timeout', { value: virtualAbortTimeout, writable: true, configurable: true });
  syncBuiltinESMExports();
}
