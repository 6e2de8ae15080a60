import { describe, expect, it, onTestFinished } from 'vitest';
import type { ArmedTimer, TimerApi } from '../../src/sim/index.ts';
import { request, startSim } from './helpers.ts';

interface Answer {
  startedAt: number;
  events: Array<{ name: string; at: number }>;
}

/** Starts `timer-kinds?kind=...` and waits until its container armed a timer of `api`. */
async function startWaiting(kind: string, api: TimerApi) {
  const ctx = startSim();
  const answer = ctx.sim.invoke('timer-kinds', request('timer-kinds', { query: `kind=${encodeURIComponent(kind)}` })).then(async (result) => (await result.response.json()) as Answer);
  const timer = await ctx.sim.whenTimer((t) => t.api === api);
  return { ...ctx, answer, timer };
}

describe('container timers on a ManualClock', () => {
  it('setTimeout fires when the clock passes its due time, not before', async () => {
    const { clock, sim, answer, timer } = await startWaiting('setTimeout', 'setTimeout');
    const start = clock.now();
    expect(timer).toMatchObject<Partial<ArmedTimer>>({ delayMs: 1000, dueMs: start + 1000 });
    clock.advance(999);
    await clock.settled();
    expect(sim.timers()).toContainEqual(timer); // still armed: not due yet
    clock.advance(1);
    await clock.settled();
    expect(await answer).toEqual({ startedAt: start, events: [{ name: 'fired', at: start + 1000 }] });
  });

  it('setInterval fires once per period as the clock moves through it while the handler waits', async () => {
    const { clock, answer } = await startWaiting('setInterval', 'setInterval');
    const start = clock.now();
    clock.advance(250); // two periods pass: ticks at 100 and 200, each reading its own time
    await clock.settled();
    clock.advance(50);
    expect(await answer).toEqual({
      startedAt: start,
      events: [
        { name: 'tick 1', at: start + 100 },
        { name: 'tick 2', at: start + 200 },
        { name: 'tick 3', at: start + 300 },
      ],
    });
  });

  it.each([
    ['node:timers', 'setTimeout', 250],
    ['promisify', 'timers/promises.setTimeout', 250],
    ['timers/promises', 'timers/promises.setTimeout', 500],
    ['scheduler.wait', 'timers/promises.setTimeout', 500],
  ] as const)('%s follows the clock', async (kind, api, delayMs) => {
    const { clock, sim, answer, timer } = await startWaiting(kind, api);
    const start = clock.now();
    expect(timer.dueMs).toBe(start + delayMs);
    clock.advance(delayMs - 1);
    await clock.settled();
    expect(sim.timers().map((t) => t.id)).toContain(timer.id);
    clock.advance(1);
    const { events } = await answer;
    expect(events).toEqual([{ name: expect.any(String), at: start + delayMs }]);
  });

  it('node:timers/promises setInterval yields once per period', async () => {
    const { clock, answer } = await startWaiting('timers/promises.setInterval', 'timers/promises.setInterval');
    const start = clock.now();
    clock.advance(600);
    expect((await answer).events).toEqual([
      { name: 'tick 1', at: start + 200 },
      { name: 'tick 2', at: start + 400 },
      { name: 'tick 3', at: start + 600 },
    ]);
  });

  it('AbortSignal.timeout aborts with a TimeoutError when the clock passes its delay', async () => {
    const { clock, sim, answer, timer } = await startWaiting('AbortSignal.timeout', 'AbortSignal.timeout');
    const start = clock.now();
    clock.advance(299);
    await clock.settled();
    expect(sim.timers()).toContainEqual(timer);
    clock.advance(1);
    expect((await answer).events).toEqual([{ name: 'aborted: TimeoutError', at: start + 300 }]);
  });

  it('a timers/promises sleep given an AbortSignal.timeout is cut short by the deadline', async () => {
    const { clock, answer } = await startWaiting('sleep-aborted-by-timeout', 'timers/promises.setTimeout');
    const start = clock.now();
    clock.advance(300);
    expect((await answer).events).toEqual([{ name: 'rejected: AbortError', at: start + 300 }]);
  });

  it('keeps Node\'s order: timers due together run in one phase, an immediate they queue runs before a later timer', async () => {
    const { clock, answer } = await startWaiting('order', 'setTimeout');
    const start = clock.now();
    clock.advance(20); // one advance past all three due times
    expect((await answer).events).toEqual([
      { name: 'a@10', at: start + 10 },
      { name: 'b@10', at: start + 10 },
      { name: 'immediate from a', at: start + 10 },
      { name: 'c@15', at: start + 15 },
    ]);
  });

  it('a zero-delay timer armed with an immediate runs after it, as in Node', async () => {
    const { sim, clock } = startSim();
    const start = clock.now();
    const result = await sim.invoke('timer-kinds', request('timer-kinds', { query: 'kind=zero-vs-immediate' }));
    expect(((await result.response.json()) as Answer).events).toEqual([
      { name: 'immediate', at: start },
      { name: 'timeout 0', at: start },
    ]);
  });

  it('a zero-delay timer fires without the clock moving', async () => {
    const { sim, clock } = startSim();
    const start = clock.now();
    const result = await sim.invoke('timer-kinds', request('timer-kinds', { query: 'kind=zero' }));
    expect(await result.response.json()).toEqual({ startedAt: start, events: [{ name: 'zero', at: start }] });
  });
});


describe("an HTTP client's own deadlines on a ManualClock", () => {
  async function hangingServer() {
    const { startRecordingServer } = await import('../fixtures/recording-server.ts');
    const server = await startRecordingServer();
    onTestFinished(() => server.close());
    server.script(() => ({ kind: 'hang' }));
    return server;
  }

  it.each([
    ['npm undici bundled into the function', 'undici', 2000],
    ["Node's global fetch", 'fetch', 300_000],
  ] as const)('%s times out waiting for headers when the clock passes its deadline', async (_name, via, timeoutMs) => {
    const server = await hangingServer();
    const { sim, clock } = startSim({ timeoutMs: 900_000 }); // the function's own limit must not come first
    const start = clock.now();
    const answer = sim
      .invoke('undici-deadline', request('undici-deadline', { query: `via=${via}&target=${encodeURIComponent(`${server.url}/slow`)}` }))
      .then(async (result) => (await result.response.json()) as { failedAt: number; code: string | null });
    await server.waitForRequests(1);
    clock.advance(timeoutMs - 1000);
    await clock.settled();
    expect(sim.containers()[0]?.state).toBe('busy'); // still waiting
    clock.advance(2000);
    const { failedAt, code } = await answer;
    expect(code).toBe('UND_ERR_HEADERS_TIMEOUT');
    // undici's own timers tick every 499 ms and are accurate to about a second (lib/util/timers.js).
    expect(failedAt - start).toBeGreaterThanOrEqual(timeoutMs);
    expect(failedAt - start).toBeLessThanOrEqual(timeoutMs + 1000);
  });
});
