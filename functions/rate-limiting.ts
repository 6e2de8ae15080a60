import type { Handler } from '@netlify/functions';
import { v1Json } from '../src/lib/http-boundary.ts';
import { FixedWindowLimiter, rateLimitHeaders } from '../src/lib/rate-limit-window.ts';

// Module scope: one limiter per container, as in the seed article. Warm invocations share it;
// a cold start (another container) gets a fresh one, which is why this is no real rate limit.
const limiter = new FixedWindowLimiter({ windowMs: 5_000, limit: 3 });

/** The article's limiter: at most 3 calls per 5 s window (per container), then 429 with Retry-After. */
export const handler: Handler = async () => {
  const decision = limiter.hit();
  const headers = rateLimitHeaders(decision);
  if (!decision.allowed) {
    return v1Json(429, { message: `Too many requests! ${decision.count}` }, headers);
  }
  return v1Json(200, { message: `Hello, count is ${decision.count}` }, headers);
};
