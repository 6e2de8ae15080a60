/**
 * The simulator's end of a container's clock channel (ManualClock only; see runtime-timers.ts for the
 * container's end). When the clock advances while the container is awake (initialising or busy), the
 * container is told, fires its timers that came due, and acknowledges; `ManualClock.settled()` waits
 * for that. A frozen container is not told: its timers wait for the thaw, which carries the time.
 *
 * With the system clock nothing here exists, so the main thread pays nothing per invocation.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { ArmedTimer, Clock } from './api.ts';
import type { FromRuntimeClock, ToRuntimeClock } from './clock-protocol.ts';
import { ManualClock } from './clock.ts';

/** Timers armed inside the containers on one clock, as they report them. */
export class ArmedTimers {
  #byContainer = new Map<string, Map<number, ArmedTimer>>();
  #waiters = new Set<{ predicate: (timer: ArmedTimer) => boolean; resolve: (timer: ArmedTimer) => void }>();

  /** Every armed timer, earliest due first. */
  list(): ArmedTimer[] {
    return [...this.#byContainer.values()].flatMap((timers) => [...timers.values()]).sort((a, b) => a.dueMs - b.dueMs || a.id - b.id);
  }

  /** Resolves with the first armed timer matching `predicate`: one armed now, or the next one armed. */
  when(predicate: (timer: ArmedTimer) => boolean): Promise<ArmedTimer> {
    const found = this.list().find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.add({ predicate, resolve }));
  }

  set(timer: ArmedTimer): void {
    let timers = this.#byContainer.get(timer.containerId);
    if (!timers) {
      timers = new Map();
      this.#byContainer.set(timer.containerId, timers);
    }
    timers.set(timer.id, timer);
    for (const waiter of this.#waiters) {
      if (!waiter.predicate(timer)) continue;
      this.#waiters.delete(waiter);
      waiter.resolve(timer);
    }
  }

  delete(containerId: string, id: number): void {
    this.#byContainer.get(containerId)?.delete(id);
  }

  /** The container's runtime is gone (reset or stopped): so are its timers. */
  drop(containerId: string): void {
    this.#byContainer.delete(containerId);
  }
}

const registries = new WeakMap<Clock, ArmedTimers>();

/** The armed-timer registry of the containers on `clock`. */
export function armedTimers(clock: Clock): ArmedTimers {
  let registry = registries.get(clock);
  if (!registry) {
    registry = new ArmedTimers();
    registries.set(clock, registry);
  }
  return registry;
}

/** One container runtime's clock channel; a new one per worker (a reset container gets a new runtime). */
export class ContainerClockLink {
  /** Transferred to the worker in its workerData. */
  readonly workerPort: MessagePort;
  readonly #port: MessagePort;
  readonly #containerId: string;
  readonly #functionName: string;
  readonly #isAwake: () => boolean;
  readonly #registry: ArmedTimers;
  readonly #unsubscribe: () => void;
  #seq = 0;
  /** Who waits for the acknowledgement of each clock message, by its seq. */
  #waiters = new Map<number, Array<() => void>>();

  /** A link for a container on `clock`, or undefined when the clock is not a ManualClock (nothing to link). */
  static open(clock: Clock, containerId: string, functionName: string, isAwake: () => boolean): ContainerClockLink | undefined {
    return clock instanceof ManualClock ? new ContainerClockLink(clock, containerId, functionName, isAwake) : undefined;
  }

  private constructor(clock: ManualClock, containerId: string, functionName: string, isAwake: () => boolean) {
    const channel = new MessageChannel();
    this.#port = channel.port1;
    this.workerPort = channel.port2;
    this.#containerId = containerId;
    this.#functionName = functionName;
    this.#isAwake = isAwake;
    this.#registry = armedTimers(clock);
    // Only the simulator speaks on this port; the container answers on its main port (receive()).
    this.#port.unref();
    this.#unsubscribe = clock.onAdvance((nowMs) => this.#advance(nowMs));
  }

  /**
   * Tells the container that it is `nowMs` (the clock's time while the clock is still on its way to a
   * later one) and resolves once it has caught up with exactly that time: fired what was due by then.
   * Resolves at once when the container is not awake, and when it froze or its runtime is gone.
   */
  catchUp(nowMs: number): Promise<void> {
    return this.#advance(nowMs) ?? Promise.resolve();
  }

  /** The container froze: its timers wait for the thaw, so nothing is owed for the advances so far. */
  frozen(): void {
    this.#releaseWaiters(Number.POSITIVE_INFINITY);
  }

  /** The runtime is gone: stop listening to the clock and forget its timers. */
  close(): void {
    this.#unsubscribe();
    this.#releaseWaiters(Number.POSITIVE_INFINITY);
    this.#registry.drop(this.#containerId);
    this.#port.close();
  }

  #advance(nowMs: number): Promise<void> | undefined {
    if (!this.#isAwake()) return undefined;
    const seq = ++this.#seq;
    const message: ToRuntimeClock = { type: 'clock', seq, nowMs };
    this.#port.postMessage(message);
    return new Promise((resolve) => this.#wait(seq, resolve));
  }

  /** A clock report from the runtime, as it arrived on the runtime's main port. */
  receive(message: FromRuntimeClock): void {
    switch (message.type) {
      case 'armed': {
        const { id, api, delayMs, dueMs, requestId } = message;
        this.#registry.set({ containerId: this.#containerId, functionName: this.#functionName, id, api, delayMs, dueMs, requestId });
        return;
      }
      case 'disarmed':
        this.#registry.delete(this.#containerId, message.id);
        return;
      case 'ack':
        this.#releaseWaiters(message.seq);
        return;
    }
  }

  #wait(seq: number, resolve: () => void): void {
    const waiting = this.#waiters.get(seq);
    if (waiting) waiting.push(resolve);
    else this.#waiters.set(seq, [resolve]);
  }

  #releaseWaiters(upToSeq: number): void {
    for (const [seq, waiting] of this.#waiters) {
      if (seq > upToSeq) continue;
      this.#waiters.delete(seq);
      for (const resolve of waiting) resolve();
    }
  }
}
