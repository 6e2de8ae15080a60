/**
 * A function's `config.rateLimit`, enforced locally as Netlify's edge enforces it: `windowLimit` requests
 * per `windowSize` seconds, counted per aggregation key (`ip`: the client address; `domain`: the host the
 * request was sent to; both: the pair), with Netlify's one algorithm, `sliding_window`
 * (`@netlify/zip-it-and-ship-it` `src/rate_limit.ts`). Over the limit, `action: "rate_limit"` answers 429
 * and `action: "rewrite"` serves `to` instead.
 *
 * The window slides over request times read from the injected clock, so a test moves the manual clock
 * instead of sleeping. State lives here, outside the route table, so a rebuild does not reset it (a deploy
 * does not reset Netlify's counters either).
 */
import type { Clock, RateLimitConfig } from '../sim/api.ts';

/** Who sent a request, for aggregation. */
export interface RateLimitSubject {
  ip: string;
  /** The request's host name (no port). */
  domain: string;
}

/** Sliding-window request counts per function and aggregation key. */
export class RateLimiter {
  readonly #clock: Clock;
  /** Request times (ms) inside the current window, oldest first, per `function|key`. */
  #hits = new Map<string, number[]>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Counts this request against `rule` and says whether it is over the limit. A request over the limit is
   * not counted, so a client that keeps retrying is let through once the window has slid past.
   */
  exceeded(functionName: string, rule: RateLimitConfig, subject: RateLimitSubject): boolean {
    const nowMs = this.#clock.now();
    const key = `${functionName}|${rule.aggregateBy.map((by) => `${by}=${subject[by]}`).join('|')}`;
    const windowMs = rule.windowSize * 1000;
    const hits = (this.#hits.get(key) ?? []).filter((atMs) => atMs > nowMs - windowMs);
    if (hits.length >= rule.windowLimit) {
      this.#hits.set(key, hits);
      return true;
    }
    hits.push(nowMs);
    this.#hits.set(key, hits);
    return false;
  }
}
