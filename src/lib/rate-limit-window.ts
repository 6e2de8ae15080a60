import { systemClock, type NowClock } from './clock.ts';

/** Options for {@link FixedWindowLimiter}. */
export interface FixedWindowOptions {
  /** Window length. The article uses 5000 ms. */
  windowMs: number;
  /** Calls allowed per window. The article allows 3. */
  limit: number;
  /** Time source; tests pass a manual clock instead of sleeping. Default: {@link systemClock}. */
  clock?: NowClock;
}

/** What the limiter decided for one call. */
export interface RateLimitDecision {
  allowed: boolean;
  /** This call's number within the current window (keeps counting past the limit: 4, 5, … as in the article). */
  count: number;
  limit: number;
  /** Calls left in this window (never negative). */
  remaining: number;
  windowMs: number;
  /** Milliseconds until the window resets. */
  resetInMs: number;
}

/**
 * The seed article's limiter: a fixed window that opens at the first call, allows `limit` calls, and
 * starts over with the first call at or after `windowMs`. It lives in module scope, so it is per
 * container: each new container (cold start) gets its own fresh window. That is the article's point,
 * and why it is no real rate limit.
 */
export class FixedWindowLimiter {
  readonly #windowMs: number;
  readonly #limit: number;
  readonly #clock: NowClock;
  #windowStartMs: number | undefined;
  #count = 0;

  constructor(options: FixedWindowOptions) {
    if (!(options.windowMs > 0) || !Number.isInteger(options.limit) || options.limit < 1) {
      throw new RangeError('windowMs must be > 0 and limit a positive integer');
    }
    this.#windowMs = options.windowMs;
    this.#limit = options.limit;
    this.#clock = options.clock ?? systemClock;
  }

  /** Counts one call and decides it. */
  hit(): RateLimitDecision {
    const nowMs = this.#clock.now();
    if (this.#windowStartMs === undefined || nowMs - this.#windowStartMs >= this.#windowMs) {
      this.#windowStartMs = nowMs;
      this.#count = 0;
    }
    this.#count += 1;
    return {
      allowed: this.#count <= this.#limit,
      count: this.#count,
      limit: this.#limit,
      remaining: Math.max(0, this.#limit - this.#count),
      windowMs: this.#windowMs,
      resetInMs: Math.max(0, this.#windowStartMs + this.#windowMs - nowMs),
    };
  }
}

/** The policy name used in the RateLimit headers. */
export const RATE_LIMIT_POLICY_NAME = 'per-container';

/**
 * Response headers for a decision, per the IETF httpapi RateLimit draft (-08 and later):
 * `RateLimit-Policy: "<name>";q=<quota>;w=<window s>` and `RateLimit: "<name>";r=<remaining>;t=<reset s>`,
 * plus `Retry-After` (whole seconds, rounded up so a client never retries early) when refused.
 */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const resetSeconds = Math.ceil(decision.resetInMs / 1000);
  const headers: Record<string, string> = {
    'ratelimit-policy': `"${RATE_LIMIT_POLICY_NAME}";q=${decision.limit};w=${Math.ceil(decision.windowMs / 1000)}`,
    ratelimit: `"${RATE_LIMIT_POLICY_NAME}";r=${decision.remaining};t=${resetSeconds}`,
  };
  if (!decision.allowed) headers['retry-after'] = String(resetSeconds);
  return headers;
}
