import { describe, expect, it } from 'vitest';
import { LogCollector } from '../server/helpers.ts';
import { json, request, startSim } from './helpers.ts';

// Far above any real cold start, so only the clock can pass it in these tests.
const INIT_LIMIT_MS = 30_000;

describe('the INIT limit', () => {
  it('an Init phase past the limit is reported as Lambda reports it and retried within the first invocation', async () => {
    const logger = new LogCollector();
    const { sim, clock } = startSim({ logger, initTimeoutMs: INIT_LIMIT_MS, env: { INIT_SLEEP_MS: '50000' } });
    const start = clock.now();
    const invoked = sim.invoke('slow-init', request('slow-init'));
    await sim.whenTimer((timer) => timer.functionName === 'slow-init' && timer.requestId === 'init');

    clock.advance(INIT_LIMIT_MS);
    expect(await logger.waitFor(/INIT_REPORT/)).toMatch(/\] INIT_REPORT Init Duration: 30000\.00 ms Phase: init Status: timeout$/);
    // The retried init is a fresh module evaluation, started at the limit: it sleeps its 50 s again.
    const retried = await sim.whenTimer((timer) => timer.functionName === 'slow-init' && timer.dueMs === start + INIT_LIMIT_MS + 50_000);
    expect(retried.requestId).toBe('init');
    clock.advance(50_000);

    const result = await invoked;
    expect(result.coldStart).toBe(true);
    expect(JSON.parse(await result.response.text())).toEqual({
      initStartedAt: start + INIT_LIMIT_MS,
      initDoneAt: start + INIT_LIMIT_MS + 50_000,
      now: start + INIT_LIMIT_MS + 50_000,
    });
    expect(await result.done).toMatchObject({ outcome: 'ok', initReport: { phase: 'init', status: 'timeout', durationMs: INIT_LIMIT_MS } });

    // The container is warm from then on: no init, no report.
    const warm = await sim.invoke('slow-init', request('slow-init'));
    expect(warm.containerId).toBe(result.containerId);
    expect(JSON.parse(await warm.response.text())).toMatchObject({ initStartedAt: start + INIT_LIMIT_MS });
    expect((await warm.done).initReport).toBeUndefined();
  });

  it("the retried init runs under the function's timeout, which starts when the retry does", async () => {
    const logger = new LogCollector();
    const { sim, clock } = startSim({ logger, initTimeoutMs: INIT_LIMIT_MS, timeoutMs: 40_000, env: { INIT_SLEEP_MS: '50000' } });
    const start = clock.now();
    const invoked = sim.invoke('slow-init', request('slow-init'));
    await sim.whenTimer((timer) => timer.functionName === 'slow-init');
    clock.advance(INIT_LIMIT_MS);
    await sim.whenTimer((timer) => timer.functionName === 'slow-init' && timer.dueMs === start + INIT_LIMIT_MS + 50_000);
    clock.advance(39_999);
    await clock.settled();
    expect(sim.containers()[0]?.state).toBe('initializing'); // 40 s from the retry, not from the request
    clock.advance(1);
    const result = await invoked;
    expect(result.response.status).toBe(502);
    expect(await result.response.text()).toContain('Task timed out after 40.00 seconds');
    expect(await result.done).toMatchObject({ outcome: 'timeout', initReport: { status: 'timeout' } });
  });

  it('an init busy in real CPU work times out on real time, which the ManualClock cannot see', async () => {
    const logger = new LogCollector();
    const { sim, clock } = startSim({ logger, initTimeoutMs: 50, timeoutMs: 1000 });
    const invoked = sim.invoke('init-forever', request('init-forever'));
    expect(await logger.waitFor(/INIT_REPORT/)).toMatch(/Phase: init Status: timeout$/);
    // The retry spins too; only the function's timeout, on the clock, ends it.
    clock.advance(1000);
    const result = await invoked;
    expect(result.response.status).toBe(502);
    expect(await result.done).toMatchObject({ outcome: 'timeout', initReport: { phase: 'init', status: 'timeout' } });
  });

  it('the default limit is 10 s by the clock: an init of 10000 ms passes, one of 10001 ms does not', async () => {
    for (const [sleepMs, timedOut] of [
      [10_000, false],
      [10_001, true],
    ] as const) {
      const logger = new LogCollector();
      const { sim, clock } = startSim({ logger, env: { INIT_SLEEP_MS: String(sleepMs) } });
      const invoked = sim.invoke('slow-init', request('slow-init'));
      await sim.whenTimer((timer) => timer.functionName === 'slow-init');
      clock.advance(sleepMs);
      if (timedOut) {
        expect(await logger.waitFor(/INIT_REPORT/)).toMatch(/INIT_REPORT Init Duration: 10000\.00 ms Phase: init Status: timeout$/);
        // The retry sleeps again from where that one advance ended, now under the function's 60 s timeout.
        await sim.whenTimer((timer) => timer.functionName === 'slow-init' && timer.dueMs === clock.now() + sleepMs);
        clock.advance(sleepMs);
      }
      const result = await invoked;
      expect(result.response.status).toBe(200);
      expect((await result.done).initReport).toEqual(timedOut ? { phase: 'init', status: 'timeout', durationMs: 10_000 } : undefined);
      expect(logger.lines.some((line) => line.includes('INIT_REPORT'))).toBe(timedOut);
      await sim.destroy();
    }
  });
});
