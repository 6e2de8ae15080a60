/**
 * The burst policy: at most `limit` invocations of one function run at once (each is a container,
 * that is a worker thread with its own heap); further requests wait in a first-in, first-out queue of
 * at most `maxQueued`, and beyond that are refused like Lambda throttling (429). Without it, a burst
 * of N concurrent requests starts N containers: 50 clients on send-data-wait-until and collect made
 * 287 containers and 6.5 GB of RSS (docs/reliability.md has the measurements).
 *
 * Per function, not global: send-data holds its slot while it waits for collect, so a global limit
 * could fill every slot with senders whose deliveries then wait forever behind them.
 */
import { ServerError } from './errors.ts';

/** Options for {@link ConcurrencyGate}. */
export interface ConcurrencyGateOptions {
  /** Invocations of one function running at once. */
  limit: number;
  /** Requests of one function waiting for a slot; more are refused with `THROTTLED`. */
  maxQueued: number;
  /** Called once, the first time any function reaches its limit (the one log line that explains it). */
  onFirstLimit?: (functionName: string) => void;
}

interface Lane {
  running: number;
  waiting: Array<() => void>;
}

/** Per-function admission: a slot now, a place in the queue, or a THROTTLED refusal. */
export class ConcurrencyGate {
  readonly limit: number;
  readonly maxQueued: number;
  #lanes = new Map<string, Lane>();
  #onFirstLimit: ((functionName: string) => void) | undefined;
  #announced = false;

  constructor(options: ConcurrencyGateOptions) {
    this.limit = options.limit;
    this.maxQueued = options.maxQueued;
    this.#onFirstLimit = options.onFirstLimit;
  }

  /**
   * Takes a slot for one invocation of `functionName`, waiting in its queue if all are taken.
   * Resolves with the release function (call it once, when the container is back in its pool).
   * @throws ServerError `THROTTLED` when the queue is full
   */
  acquire(functionName: string): Promise<() => void> | (() => void) {
    let lane = this.#lanes.get(functionName);
    if (!lane) {
      lane = { running: 0, waiting: [] };
      this.#lanes.set(functionName, lane);
    }
    const current = lane;
    if (current.running < this.limit) {
      current.running += 1;
      return this.#releaser(functionName, current);
    }
    if (!this.#announced) {
      this.#announced = true;
      this.#onFirstLimit?.(functionName);
    }
    if (current.waiting.length >= this.maxQueued) {
      throw new ServerError('THROTTLED', `${functionName} is at its concurrency limit (${this.limit} running, ${this.maxQueued} queued); retry later`);
    }
    return new Promise((resolve) => {
      current.waiting.push(() => resolve(this.#releaser(functionName, current)));
    });
  }

  /** Invocations running and waiting, per function with any. */
  stats(): Record<string, { running: number; waiting: number }> {
    const result: Record<string, { running: number; waiting: number }> = {};
    for (const [name, lane] of this.#lanes) result[name] = { running: lane.running, waiting: lane.waiting.length };
    return result;
  }

  #releaser(functionName: string, lane: Lane): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next in line, so a queued request cannot be overtaken.
      const next = lane.waiting.shift();
      if (next) {
        next();
        return;
      }
      lane.running -= 1;
      if (lane.running === 0) this.#lanes.delete(functionName);
    };
  }
}
