import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { invokeV1 } from '../fixtures/invoke.ts';

type RateLimitingModule = typeof import('../../functions/rate-limiting.ts');

/** A fresh module instance stands in for a cold container. */
async function coldStart(): Promise<RateLimitingModule> {
  vi.resetModules();
  return import('../../functions/rate-limiting.ts');
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

describe('rate-limiting', () => {
  let mod: RateLimitingModule;
  beforeEach(async () => {
    // Only Date is faked: the window reads time through the system clock, which the test moves by hand.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    mod = await coldStart();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("replays the article's transcript: 1, 2, 3, 429 with 4 and 5, then 1 after the 5 s window", async () => {
    const transcript: string[] = [];
    const at = async (offsetMs: number): Promise<void> => {
      vi.setSystemTime(T0 + offsetMs);
      const res = await invokeV1(mod.handler);
      transcript.push(`${res.statusCode} ${res.body}`);
    };
    await at(0);
    await at(100);
    await at(200);
    await at(300);
    await at(400);
    await at(5_000); // "wait 5 seconds..."
    expect(transcript).toEqual([
      '200 {"message":"Hello, count is 1"}',
      '200 {"message":"Hello, count is 2"}',
      '200 {"message":"Hello, count is 3"}',
      '429 {"message":"Too many requests! 4"}',
      '429 {"message":"Too many requests! 5"}',
      '200 {"message":"Hello, count is 1"}',
    ]);
  });

  it('still refuses 1 ms before the window ends', async () => {
    for (let i = 0; i < 3; i++) await invokeV1(mod.handler);
    vi.setSystemTime(T0 + 4_999);
    expect((await invokeV1(mod.handler)).statusCode).toBe(429);
  });

  it('sends Retry-After in whole seconds until the window resets, and the IETF RateLimit headers', async () => {
    const first = await invokeV1(mod.handler);
    expect(first.headers).toMatchObject({
      'ratelimit-policy': '"per-container";q=3;w=5',
      ratelimit: '"per-container";r=2;t=5',
    });
    expect(first.headers).not.toHaveProperty('retry-after');
    await invokeV1(mod.handler);
    await invokeV1(mod.handler);
    vi.setSystemTime(T0 + 1_200);
    const refused = await invokeV1(mod.handler);
    expect(refused.statusCode).toBe(429);
    // 3.8 s left: rounded up, so a client that obeys never comes back early.
    expect(refused.headers).toMatchObject({ 'retry-after': '4', ratelimit: '"per-container";r=0;t=4' });
  });

  it('gives a cold container its own window: the limit is per container', async () => {
    for (let i = 0; i < 5; i++) await invokeV1(mod.handler);
    const other = await coldStart();
    expect(JSON.parse((await invokeV1(other.handler)).body)).toEqual({ message: 'Hello, count is 1' });
  });
});
