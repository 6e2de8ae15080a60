import type { Clock } from './api.ts';

/**
 * The real clock. Its timers are unref'd: an idle-reaping timer must not keep a dev server or a test
 * process alive on its own (the workers and sockets already do while there is work).
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, callback) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    timer.unref();
    return () => clearTimeout(timer);
  },
};

interface ManualTimer {
  dueMs: number;
  seq: number;
  callback: () => void;
}

/**
 * A clock that only moves when told to. Tests advance it to make containers idle out or invocations
 * time out, and handlers inside containers see the same time through `Date`, without anyone sleeping.
 */
export class ManualClock implements Clock {
  #nowMs: number;
  #timers = new Map<number, ManualTimer>();
  #nextSeq = 0;
  #listeners = new Set<(nowMs: number) => Promise<void> | void>();
  /** What the listeners are still doing for the advances so far (see {@link settled}). */
  #unsettled = new Set<Promise<void>>();

  /** @param startMs initial time; default 2026-01-01T00:00:00Z so transcripts are reproducible. */
  constructor(startMs: number = Date.UTC(2026, 0, 1)) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  setTimer(delayMs: number, callback: () => void): () => void {
    const seq = this.#nextSeq++;
    this.#timers.set(seq, { dueMs: this.#nowMs + Math.max(0, delayMs), seq, callback });
    return () => {
      this.#timers.delete(seq);
    };
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in due order. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError(`ManualClock cannot go backwards (advance(${ms}))`);
    this.set(this.#nowMs + ms);
  }

  /** Sets the time to `ms` (not earlier than now), firing due timers in due order. */
  set(ms: number): void {
    if (ms < this.#nowMs) throw new RangeError(`ManualClock cannot go backwards (${ms} < ${this.#nowMs})`);
    for (;;) {
      let next: ManualTimer | undefined;
      for (const timer of this.#timers.values()) {
        if (timer.dueMs > ms) continue;
        if (!next || timer.dueMs < next.dueMs || (timer.dueMs === next.dueMs && timer.seq < next.seq)) next = timer;
      }
      if (!next) break;
      this.#timers.delete(next.seq);
      // Time passes up to each timer as it fires, so a callback reading now() sees its own due time.
      this.#nowMs = next.dueMs;
      next.callback();
    }
    this.#nowMs = ms;
    for (const listener of this.#listeners) {
      const work = listener(ms);
      if (!work) continue;
      this.#unsettled.add(work);
      void work.then(() => this.#unsettled.delete(work));
    }
  }

  /**
   * Calls `listener` with the new time after every {@link advance} or {@link set}, once this clock's own
   * due timers have fired. The simulator uses it to move the time of busy containers, whose timers run
   * on their own threads: the promise a listener returns is what {@link settled} waits for. Returns a
   * function that unsubscribes.
   */
  onAdvance(listener: (nowMs: number) => Promise<void> | void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Resolves once everything the advances so far set off has happened: with a simulator, every busy
   * container has fired the timers that came due (and run the microtasks and immediates they queued).
   * A test awaits it after `advance()` before it checks that something did, or did not, happen.
   */
  async settled(): Promise<void> {
    while (this.#unsettled.size > 0) await Promise.all([...this.#unsettled]);
  }

  /** How many timers are armed; lets tests check that `close()` left none behind. */
  get pendingTimers(): number {
    return this.#timers.size;
  }
}
