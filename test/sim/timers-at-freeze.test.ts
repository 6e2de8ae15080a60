import { describe, expect, it, onTestFinished } from 'vitest';
import { Simulator } from '../../src/sim/index.ts';
import { call, FIXTURES_DIR, json, startSim } from './helpers.ts';

const MINUTE_MS = 60_000;

describe('timers and freezing', () => {
  it.each(['ManualClock', 'system clock'] as const)('reports timers/promises sleeps and listened-to AbortSignal.timeout deadlines pending at freeze (%s)', async (clockKind) => {
    let sim: Simulator;
    if (clockKind === 'ManualClock') sim = startSim().sim;
    else {
      sim = new Simulator({ functionsDir: FIXTURES_DIR });
      onTestFinished(() => sim.destroy());
    }
    const first = await call(sim, 'leaves-timers');
    const requestId = first.result.requestId;
    // The unlistened deadline and the unref'd sleep change nothing when they fire: not reported.
    expect(first.report.pendingAtFreeze).toEqual([
      { kind: 'timer', timerApi: 'timers/promises.setTimeout', delayMs: 30_000, requestId },
      { kind: 'timer', timerApi: 'timers/promises.setTimeout', delayMs: 40_000, requestId },
      { kind: 'timer', timerApi: 'AbortSignal.timeout', delayMs: 20_000, requestId },
    ]);
    expect(sim.containers()[0]?.lastPendingAtFreeze).toEqual(first.report.pendingAtFreeze);
  });

  it('a frozen container\'s interval does not fire; thawed after 10 minutes it fires once, before the handler, then every minute from the thaw', async () => {
    const { sim, clock } = startSim({ idleTimeoutMs: 30 * MINUTE_MS });
    const start = clock.now();
    const first = await call(sim, 'interval-thaw');
    expect(json(first)).toEqual({ now: start, ticks: [] });

    clock.advance(10 * MINUTE_MS);
    await clock.settled();
    // Frozen: the interval is overdue by nine minutes but has not fired.
    expect(sim.timers()).toEqual([expect.objectContaining({ api: 'setInterval', dueMs: start + MINUTE_MS, containerId: first.result.containerId })]);

    const second = await call(sim, 'interval-thaw');
    expect(second.result.containerId).toBe(first.result.containerId);
    // As after a long freeze in production: the overdue interval fires once, at the thaw time.
    expect(json(second)).toEqual({ now: start + 10 * MINUTE_MS, ticks: [start + 10 * MINUTE_MS] });
    expect(sim.timers()).toEqual([expect.objectContaining({ dueMs: start + 11 * MINUTE_MS })]);

    clock.advance(MINUTE_MS);
    const third = await call(sim, 'interval-thaw');
    expect(json(third)).toEqual({ now: start + 11 * MINUTE_MS, ticks: [start + 10 * MINUTE_MS, start + 11 * MINUTE_MS] });
  });

  it('at the thaw, every kind of timer that came due while frozen fires in due order, at the thaw time, before the handler', async () => {
    const { sim, clock } = startSim();
    expect(json(await call(sim, 'thaw-order', { query: 'arm=1' }))).toEqual([]);
    clock.advance(10_000);
    const thawAt = clock.now();
    expect(json(await call(sim, 'thaw-order'))).toEqual([
      { name: 'setTimeout 1000', at: thawAt },
      { name: 'AbortSignal.timeout 1500', at: thawAt },
      { name: 'timers/promises 2000', at: thawAt },
      { name: 'setTimeout 3000', at: thawAt },
    ]);
  });

  it('a deadline left at freeze fires at the thaw after it came due, and not before', async () => {
    const { sim, clock } = startSim();
    await call(sim, 'leaves-timers');
    clock.advance(19_999);
    expect(json(await call(sim, 'leaves-timers'))).toEqual({ deadlinesFired: 0 });
    clock.advance(1); // the first deadline is due now; the second one's is 20 s after the second call
    expect(json(await call(sim, 'leaves-timers'))).toEqual({ deadlinesFired: 1 });
  });

  it('a frozen container is not told when the clock advances; a busy one is', async () => {
    const { sim, clock } = startSim();
    await call(sim, 'leaves-timers');
    const busy = sim.invoke('timer-kinds', new Request('http://localhost/.netlify/functions/timer-kinds?kind=setTimeout'));
    await sim.whenTimer((timer) => timer.functionName === 'timer-kinds');
    clock.advance(20_000);
    await clock.settled();
    // The busy container's 1 s timer fired and it answered; the frozen one's 20 s deadline is overdue, unfired.
    expect((await busy).response.status).toBe(200);
    expect(sim.timers().filter((timer) => timer.functionName === 'leaves-timers' && timer.delayMs === 20_000)).toHaveLength(1);
  });
});
