/**
 * The simulator's event model: what happened to each container, in order, on the simulator's clock.
 * The local server streams these at `/__sim/events` and draws them at `/__sim/`; tests subscribe to
 * them instead of polling snapshots. Every event carries the function and container it is about, the
 * clock time (`atMs`, the injected clock: a ManualClock in tests) and a sequence number that orders
 * events emitted at the same clock time.
 *
 * The story of one container: `container-spawned`, `invocation-start`, `init-done` (cold start),
 * `response`, `frozen` (with the work left pending at freeze); later `thawed` (with the work carried
 * over), `invocation-start`, `carried-over-finished` (that work resumed and settled inside this later
 * invocation), `response`, `frozen`...; and finally `container-ended` (reaped, crashed, timed out, out
 * of memory, init error, replaced by a rebuild, shut down).
 */
import type { Clock, InvocationOutcome, PendingWork } from './api.ts';

/** Why a container (or its runtime) ended. */
export type ContainerEndReason =
  /** Idle past the idle timeout: the platform stopped it. Work frozen inside it is lost. */
  | 'reaped'
  /** The runtime crashed (uncaught exception, process.exit). The environment is reset; /tmp is kept. */
  | 'crashed'
  /** The invocation ran past its time limit. The environment is reset; /tmp is kept. */
  | 'timed-out'
  /** The runtime exceeded the memory limit. The environment is reset; /tmp is kept. */
  | 'out-of-memory'
  /** The module's top level threw during INIT. The environment is reset; /tmp is kept. */
  | 'init-error'
  /** The function was rebuilt (its bundle changed): old containers finish, then stop, as after a deploy. */
  | 'rebuilt'
  /** The simulator (the server) shut down. */
  | 'shut-down';

/** What every event carries. */
export interface SimEventBase {
  /** 1, 2, 3... from the simulator's start; orders events that share a clock time. */
  seq: number;
  /** The simulator's clock (epoch milliseconds) when it happened. */
  atMs: number;
  functionName: string;
  /** Empty for `throttled` (no container took the request). */
  containerId: string;
}

/** A new execution environment: a worker is starting and will evaluate the function's module (INIT). */
export interface ContainerSpawnedEvent {
  type: 'container-spawned';
  bundleHash: string;
}

/** INIT finished: the module was evaluated. */
export interface InitDoneEvent {
  type: 'init-done';
  /** Module evaluation alone, as Lambda's REPORT `Init Duration` (real milliseconds, 2 decimals). */
  initDurationMs: number;
  /** Worker start plus module evaluation: the whole cold start as the caller waits for it (real ms, 2 decimals). */
  spawnMs: number;
}

/** A container took a request. */
export interface InvocationStartEvent {
  type: 'invocation-start';
  requestId: string;
  method: string;
  /** Path and query as the function sees them. */
  path: string;
  coldStart: boolean;
}

/** The response's status was known (the head went out, or the whole buffered answer). */
export interface ResponseEvent {
  type: 'response';
  requestId: string;
  status: number;
}

/** The invocation ended and the container froze, keeping whatever the handler did not finish. */
export interface FrozenEvent {
  type: 'frozen';
  /** The invocation after which it froze: it left `pendingAtFreeze` behind. */
  requestId: string;
  outcome: Extract<InvocationOutcome, 'ok' | 'handler-error'>;
  /** The invocation's duration (real ms, 2 decimals), as the REPORT line. */
  durationMs: number;
  billedDurationMs: number;
  maxMemoryUsedMb: number;
  /** Work still in flight when it froze: it makes no progress until a later invocation thaws the container. */
  pendingAtFreeze: PendingWork[];
  errorMessage?: string;
}

/** A later invocation thawed a frozen container. */
export interface ThawedEvent {
  type: 'thawed';
  /** The invocation that thawed it. */
  requestId: string;
  /** How long it was frozen, on the simulator's clock. */
  frozenForMs: number;
  /** Work frozen at the last freeze that resumes now, inside this invocation. */
  carriedOver: PendingWork[];
}

/** Work carried over from before the freeze resumed and settled, inside a later invocation. */
export interface CarriedOverFinishedEvent {
  type: 'carried-over-finished';
  /** The invocation it finished inside (not the one that started it: each work item names that one). */
  requestId: string;
  /** Settled (answered or failed) during this invocation's thaw. */
  finished: PendingWork[];
  /** Still in flight when the thaw's grace period ran out; it runs on beside this invocation. */
  stillPending: PendingWork[];
}

/** The container, or its runtime, ended. */
export interface ContainerEndedEvent {
  type: 'container-ended';
  reason: ContainerEndReason;
  /** The invocation that was running when it ended, if any. */
  requestId?: string;
  outcome?: InvocationOutcome;
  durationMs?: number;
  errorMessage?: string;
  /** Work frozen in it that will now never run (a reaped container's undelivered request). */
  lostWork: PendingWork[];
  /**
   * True when only the runtime ended and the environment is reset: the same container (same id and
   * /tmp) cold-starts again on its next invocation, as AWS resets an environment after a crash.
   */
  tmpKept: boolean;
}

/** A request refused at the concurrency limit (429): no container took it. */
export interface ThrottledEvent {
  type: 'throttled';
  requestId: string;
  method: string;
  path: string;
}

/** What an emitter says; the log adds {@link SimEventBase}'s `seq` and `atMs`. */
export type SimEventBody =
  | ContainerSpawnedEvent
  | InitDoneEvent
  | InvocationStartEvent
  | ResponseEvent
  | FrozenEvent
  | ThawedEvent
  | CarriedOverFinishedEvent
  | ContainerEndedEvent
  | ThrottledEvent;

/** One event as subscribers and the stream see it. */
export type SimEvent = SimEventBody & SimEventBase;

/** The kinds of event. */
export type SimEventType = SimEvent['type'];

/** Receives each event as it is emitted, synchronously. */
export type SimEventListener = (event: SimEvent) => void;

/** The read side of the event log: history since start (bounded) and live subscription. */
export interface SimEventSource {
  /** Events still held, oldest first (at most {@link historyLimit}). */
  history(): SimEvent[];
  /** How many events the log holds at most; older ones are dropped first. */
  readonly historyLimit: number;
  /** How many events were dropped from the front of the history so far. */
  readonly dropped: number;
  /** Calls `listener` for every later event. Returns a function that unsubscribes. */
  subscribe(listener: SimEventListener): () => void;
}

/**
 * Default history bound: at most 10,000 events, about 2,000 invocations (a warm invocation makes 4 or
 * 5 events), a few MB of memory. Enough for an afternoon of manual testing; a load test drops the
 * oldest events first and the page says how many were dropped.
 */
export const DEFAULT_EVENT_HISTORY_LIMIT = 10_000;

/** Milliseconds rounded to 2 decimals: the one rounding for every duration in events, snapshots and logs. */
export function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** The simulator's event log: a bounded ring of history plus synchronous subscribers. */
export class SimEventLog implements SimEventSource {
  readonly historyLimit: number;
  #clock: Clock;
  #ring: SimEvent[] = [];
  /** Index in #ring of the oldest event once the ring is full. */
  #head = 0;
  #seq = 0;
  #dropped = 0;
  #listeners = new Set<SimEventListener>();

  constructor(options: { clock: Clock; historyLimit?: number }) {
    const limit = options.historyLimit ?? DEFAULT_EVENT_HISTORY_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`historyLimit must be a positive integer, got ${limit}`);
    this.historyLimit = limit;
    this.#clock = options.clock;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Records an event about `containerId` of `functionName` and tells every subscriber. `body` becomes
   * the event (its base fields are set on it), so callers pass a new object each time: copying it into
   * another would cost one more object per event, and a warm invocation makes four.
   */
  emit(functionName: string, containerId: string, body: SimEventBody): SimEvent {
    const event = body as SimEvent;
    event.seq = ++this.#seq;
    event.atMs = this.#clock.now();
    event.functionName = functionName;
    event.containerId = containerId;
    if (this.#ring.length < this.historyLimit) {
      this.#ring.push(event);
    } else {
      this.#ring[this.#head] = event;
      this.#head = (this.#head + 1) % this.historyLimit;
      this.#dropped += 1;
    }
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A subscriber's failure (a closed stream, a test's assertion) must not break the container
        // that emitted the event: the simulator goes on, the subscriber misses nothing else.
      }
    }
    return event;
  }

  history(): SimEvent[] {
    return [...this.#ring.slice(this.#head), ...this.#ring.slice(0, this.#head)];
  }

  subscribe(listener: SimEventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
