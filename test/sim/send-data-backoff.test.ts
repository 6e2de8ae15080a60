import { describe, expect, it, onTestFinished } from 'vitest';
import { startRecordingServer } from '../fixtures/recording-server.ts';
import { FUNCTIONS_DIR, request, startSim } from './helpers.ts';

const RETRY_BASE_MS = 1000;

describe("send-data's retry back-off, on the simulator's clock alone", () => {
  it('retries a failing sink only once each back-off has passed by the clock, then answers 200', async () => {
    const sink = await startRecordingServer();
    onTestFinished(() => sink.close());
    let failures = 3;
    sink.script(() => (failures-- > 0 ? { kind: 'respond', status: 503, body: '{"error":"busy"}' } : undefined));
    const { sim, clock } = startSim({
      functionsDir: FUNCTIONS_DIR,
      env: {
        SEND_DATA_URL: `${sink.url}/collect`,
        SEND_DATA_RETRY_BASE_MS: String(RETRY_BASE_MS),
        SEND_DATA_MAX_ATTEMPTS: '4',
        SEND_DATA_DEADLINE_MS: '60000',
      },
    });
    const invoked = sim.invoke('send-data', request('send-data', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' }));
    const seen = new Set<number>();
    for (let retry = 1; retry <= 3; retry++) {
      await sink.waitForRequests(retry);
      // The back-off sleep the 503 started: retry n waits base * 2^(n-1), jittered down to half of it.
      const backoff = await sim.whenTimer((timer) => timer.api === 'timers/promises.setTimeout' && !seen.has(timer.id));
      seen.add(backoff.id);
      const fullMs = RETRY_BASE_MS * 2 ** (retry - 1);
      expect(backoff.delayMs).toBeGreaterThanOrEqual(fullMs / 2);
      expect(backoff.delayMs).toBeLessThan(fullMs);
      expect(backoff.dueMs).toBe(clock.now() + backoff.delayMs);

      clock.advance(backoff.dueMs - clock.now() - 1);
      await clock.settled();
      expect(sink.requests).toHaveLength(retry); // 1 ms short of the back-off: no retry
      expect(sim.timers()).toContainEqual(backoff);

      clock.advance(1);
      await clock.settled();
      await sink.waitForRequests(retry + 1);
    }
    const result = await invoked;
    expect([result.response.status, await result.response.text()]).toEqual([200, 'OK']);
    expect(sink.requests).toHaveLength(4);
    // One payload, one key: every retry is the same delivery.
    expect(new Set(sink.requests.map((r) => `${r.headers['idempotency-key']} ${r.body}`)).size).toBe(1);
    expect((await result.done).pendingAtFreeze).toEqual([]);
  });

  it('gives up with 504 when the deadline (AbortSignal.timeout) passes during a back-off', async () => {
    const sink = await startRecordingServer();
    onTestFinished(() => sink.close());
    sink.script(() => ({ kind: 'respond', status: 503 }));
    const { sim, clock } = startSim({
      functionsDir: FUNCTIONS_DIR,
      env: { SEND_DATA_URL: `${sink.url}/collect`, SEND_DATA_RETRY_BASE_MS: '5000', SEND_DATA_MAX_ATTEMPTS: '5', SEND_DATA_DEADLINE_MS: '2000' },
    });
    const invoked = sim.invoke('send-data', request('send-data', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' }));
    await sink.waitForRequests(1);
    const deadline = await sim.whenTimer((timer) => timer.api === 'AbortSignal.timeout');
    await sim.whenTimer((timer) => timer.api === 'timers/promises.setTimeout');
    // The back-off (2.5 to 5 s) outlasts the 2 s deadline: the deadline cuts it short.
    clock.advance(deadline.dueMs - clock.now());
    const result = await invoked;
    expect(result.response.status).toBe(504);
    expect(sink.requests).toHaveLength(1);
  });
});
