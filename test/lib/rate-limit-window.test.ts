import { describe, expect, it } from 'vitest';
import { FixedWindowLimiter, rateLimitHeaders } from '../../src/lib/rate-limit-window.ts';

/** A clock the test moves by hand. */
function manualClock(startMs = 1_000_000) {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

describe('FixedWindowLimiter', () => {
  it('opens the window at the first call, not at construction', () => {
    const clock = manualClock();
    const limiter = new FixedWindowLimiter({ windowMs: 5_000, limit: 3, clock });
    clock.advance(60_000); // a long idle container before its first call
    expect(limiter.hit()).toMatchObject({ allowed: true, count: 1, resetInMs: 5_000 });
  });

  it('allows `limit` calls, keeps counting refusals, and starts over at exactly windowMs', () => {
    const clock = manualClock();
    const limiter = new FixedWindowLimiter({ windowMs: 5_000, limit: 3, clock });
    const seen = [];
    for (let i = 0; i < 5; i++) {
      seen.push(limiter.hit());
      clock.advance(1_000);
    }
    expect(seen.map((d) => [d.allowed, d.count, d.remaining, d.resetInMs])).toEqual([
      [true, 1, 2, 5_000],
      [true, 2, 1, 4_000],
      [true, 3, 0, 3_000],
      [false, 4, 0, 2_000],
      [false, 5, 0, 1_000],
    ]);
    // now = start + 5000: the window has ended.
    expect(limiter.hit()).toMatchObject({ allowed: true, count: 1, resetInMs: 5_000 });
  });

  it('rejects a nonsensical configuration', () => {
    expect(() => new FixedWindowLimiter({ windowMs: 0, limit: 3 })).toThrow(RangeError);
    expect(() => new FixedWindowLimiter({ windowMs: 1_000, limit: 0 })).toThrow(RangeError);
  });
});

describe('rateLimitHeaders', () => {
  it('rounds Retry-After and t up to whole seconds', () => {
    const headers = rateLimitHeaders({ allowed: false, count: 4, limit: 3, remaining: 0, windowMs: 5_000, resetInMs: 1 });
    expect(headers).toEqual({
      'ratelimit-policy': '"per-container";q=3;w=5',
      ratelimit: '"per-container";r=0;t=1',
      'retry-after': '1',
    });
  });

  it('sends no Retry-After on an allowed call', () => {
    const headers = rateLimitHeaders({ allowed: true, count: 1, limit: 3, remaining: 2, windowMs: 5_000, resetInMs: 5_000 });
    expect(headers).not.toHaveProperty('retry-after');
  });
});
