/**
 * The seed article ("Serverless Functions are Stateful"), reproduced with the project's real functions
 * running in simulated containers: warm state, cold starts from concurrency, idle reaping, /tmp, and
 * the fire-and-forget bug, all driven by a manual clock instead of sleeps.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startRecordingServer, type RecordingServer } from '../fixtures/recording-server.ts';
import { startLocalBlobs } from '../../src/dev/local-blobs.ts';
import type { Simulator } from '../../src/sim/index.ts';
import { call, FUNCTIONS_DIR, json, request, startSim, type Call } from './helpers.ts';

const TEN_MINUTES_MS = 600_000;

function message(c: Call): string {
  return json<{ message: string }>(c).message;
}

async function sink(): Promise<RecordingServer> {
  const server = await startRecordingServer();
  onTestFinished(() => server.close());
  return server;
}

function burst(sim: Simulator, name: string, n: number): Promise<Call[]> {
  return Promise.all(Array.from({ length: n }, () => call(sim, name)));
}

function post(body: unknown): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

describe('warm containers carry state', () => {
  it('hello-world answers 1, 2, 3 from one warm container, as in the article', async () => {
    const { sim } = startSim({ functionsDir: FUNCTIONS_DIR });
    const calls = [await call(sim, 'hello-world'), await call(sim, 'hello-world'), await call(sim, 'hello-world')];
    expect(calls.map(message)).toEqual(['Hello, abc is 1', 'Hello, abc is 2', 'Hello, abc is 3']);
    expect(new Set(calls.map((c) => c.result.containerId)).size).toBe(1);
    expect(calls.map((c) => c.result.coldStart)).toEqual([true, false, false]);
  });

  it('rate-limiting follows the article’s transcript, and the window resets after 5 s by the clock', async () => {
    const { sim, clock } = startSim({ functionsDir: FUNCTIONS_DIR });
    const transcript: Array<[number, string]> = [];
    for (let i = 0; i < 5; i++) {
      const c = await call(sim, 'rate-limiting');
      transcript.push([c.status, message(c)]);
      if (c.status === 429) expect(c.result.response.headers.get('retry-after')).toMatch(/^[1-5]$/);
    }
    expect(transcript).toEqual([
      [200, 'Hello, count is 1'],
      [200, 'Hello, count is 2'],
      [200, 'Hello, count is 3'],
      [429, 'Too many requests! 4'],
      [429, 'Too many requests! 5'],
    ]);
    clock.advance(5000); // "wait 5 seconds..."
    const after = await call(sim, 'rate-limiting');
    expect([after.status, message(after)]).toEqual([200, 'Hello, count is 1']);
    expect(after.result.coldStart).toBe(false); // same container: the window reset, not the module
  });

  it('whoami reports one identity across warm invocations, coldStart only on the first', async () => {
    const { sim } = startSim({ functionsDir: FUNCTIONS_DIR });
    const first = json<{ containerId: string; coldStart: boolean; invocation: number }>(await call(sim, 'whoami'));
    const second = json<{ containerId: string; coldStart: boolean; invocation: number }>(await call(sim, 'whoami'));
    expect(first).toMatchObject({ coldStart: true, invocation: 1 });
    expect(second).toMatchObject({ containerId: first.containerId, coldStart: false, invocation: 2 });
  });
});

describe('cold starts come from concurrency', () => {
  it('5 concurrent calls start 5 containers, each counter at 1', async () => {
    const { sim } = startSim({ functionsDir: FUNCTIONS_DIR });
    const calls = await burst(sim, 'hello-world', 5);
    expect(calls.map(message)).toEqual(Array(5).fill('Hello, abc is 1'));
    expect(new Set(calls.map((c) => c.result.containerId)).size).toBe(5);
    expect(calls.every((c) => c.result.coldStart)).toBe(true);
    expect(sim.containers()).toHaveLength(5);
  });

  it('concurrent rate-limiting calls each get a fresh limiter: the limit is per container, not global', async () => {
    const { sim } = startSim({ functionsDir: FUNCTIONS_DIR });
    const calls = await burst(sim, 'rate-limiting', 4);
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200]);
    expect(calls.map(message)).toEqual(Array(4).fill('Hello, count is 1'));
  });

  it('pings every 5 minutes keep one container warm, but a burst of 4 still cold-starts 3', async () => {
    const { sim, clock } = startSim({ functionsDir: FUNCTIONS_DIR });
    const pings: Call[] = [];
    for (let i = 0; i < 12; i++) {
      pings.push(await call(sim, 'whoami'));
      clock.advance(5 * 60_000); // an hour of pings, never idle for 10 minutes
    }
    expect(pings.filter((p) => p.result.coldStart)).toHaveLength(1);
    expect(sim.containers()).toHaveLength(1);
    const calls = await burst(sim, 'whoami', 4);
    expect(calls.filter((c) => c.result.coldStart)).toHaveLength(3);
    expect(calls.filter((c) => !c.result.coldStart).map((c) => c.result.containerId)).toEqual([pings[0]?.result.containerId]);
  });
});

describe('idle reaping', () => {
  it('after 10 idle minutes the container is reaped and the next call starts from fresh state', async () => {
    const { sim, clock } = startSim({ functionsDir: FUNCTIONS_DIR });
    await call(sim, 'hello-world');
    await call(sim, 'hello-world');
    clock.advance(TEN_MINUTES_MS - 1);
    expect(message(await call(sim, 'hello-world'))).toBe('Hello, abc is 3'); // the idle timer restarts on every call
    clock.advance(TEN_MINUTES_MS);
    expect(sim.containers()).toEqual([]);
    const fresh = await call(sim, 'hello-world');
    expect(message(fresh)).toBe('Hello, abc is 1');
    expect(fresh.result.coldStart).toBe(true);
  });
});

describe('/tmp belongs to the container', () => {
  it('tmp-counter climbs within a container, starts at 1 in another, and is gone after reaping', async () => {
    const { sim, clock } = startSim({ functionsDir: FUNCTIONS_DIR });
    type Visit = { visits: number; containerId: string };
    const first = json<Visit>(await call(sim, 'tmp-counter'));
    const second = json<Visit>(await call(sim, 'tmp-counter'));
    expect([first.visits, second.visits]).toEqual([1, 2]);
    const concurrent = (await burst(sim, 'tmp-counter', 3)).map((c) => json<Visit>(c));
    expect(concurrent.map((v) => v.visits).sort()).toEqual([1, 1, 3]);
    const tmpDirs = sim.containers().map((c) => c.tmpDir);
    expect(new Set(tmpDirs).size).toBe(3);
    clock.advance(TEN_MINUTES_MS);
    expect(tmpDirs.filter((dir) => existsSync(dir))).toEqual([]); // reaped: every /tmp is gone
    const afterReap = json<Visit>(await call(sim, 'tmp-counter'));
    expect(afterReap.visits).toBe(1);
    expect(tmpDirs).not.toContain(sim.containers()[0]?.tmpDir);
  });
});

describe('the fire-and-forget bug, deterministically', () => {
  async function unawaitedSim(): Promise<{ sim: Simulator; clock: ReturnType<typeof startSim>['clock']; server: RecordingServer }> {
    const server = await sink();
    const { sim, clock } = startSim({ functionsDir: FUNCTIONS_DIR, env: { SEND_DATA_URL: `${server.url}/sink` } });
    return { sim, clock, server };
  }

  it('send-data-unawaited: payload 1 is not at the sink after invocation 1, but arrives during invocation 2', async () => {
    const { sim, server } = await unawaitedSim();
    const first = await call(sim, 'send-data-unawaited', post({ n: 1 }));
    expect([first.status, first.text]).toEqual([200, 'OK']);
    // Barrier: send-data cold-starts another container and awaits its own delivery to the same sink.
    // Had container 1 kept running, its request (started long before) would have arrived first.
    await call(sim, 'send-data', post({ barrier: true }));
    expect(server.requests.map((r) => JSON.parse(r.body))).toEqual([{ barrier: true }]);
    // The result of invocation 1 says what it left behind.
    // The request, and the deadline (AbortSignal.timeout) the request listens to.
    expect(first.report.pendingAtFreeze).toEqual([
      expect.objectContaining({ kind: 'http-request', method: 'POST', url: `${server.url}/sink`, requestId: first.result.requestId }),
      { kind: 'timer', timerApi: 'AbortSignal.timeout', delayMs: 10_000, requestId: first.result.requestId },
    ]);

    const second = await call(sim, 'send-data-unawaited', post({ n: 2 }));
    expect(second.result.containerId).toBe(first.result.containerId);
    // "We only see the effect of the first sendData on the 2nd function invocation."
    expect(server.requests.map((r) => JSON.parse(r.body))).toEqual([{ barrier: true }, { n: 1 }]);
    expect(second.report.pendingAtFreeze.filter((work) => work.kind === 'http-request')).toEqual([
      expect.objectContaining({ kind: 'http-request', requestId: second.result.requestId }),
    ]);
    // (The first delivery's deadline may still be listened to while its answer is drained: not asserted.)
    expect(second.report.pendingAtFreeze).toContainEqual({ kind: 'timer', timerApi: 'AbortSignal.timeout', delayMs: 10_000, requestId: second.result.requestId });
  });

  it('send-data-unawaited: the payload is lost if the container is reaped in between', async () => {
    const { sim, clock, server } = await unawaitedSim();
    const first = await call(sim, 'send-data-unawaited', post({ n: 1 }));
    clock.advance(TEN_MINUTES_MS);
    const second = await call(sim, 'send-data-unawaited', post({ n: 2 }));
    expect(second.result.coldStart).toBe(true);
    expect(second.result.containerId).not.toBe(first.result.containerId);
    await call(sim, 'send-data-unawaited', post({ n: 3 })); // thaws the new container: payload 2 moves, payload 1 is gone
    expect(server.requests.map((r) => JSON.parse(r.body))).toEqual([{ n: 2 }]);
  });

  it('send-data awaits delivery: the payload is at the sink before the response, nothing pending', async () => {
    const { sim, server } = await unawaitedSim();
    const result = await sim.invoke('send-data', request('send-data', post({ n: 1 })));
    expect(server.requests.map((r) => JSON.parse(r.body))).toEqual([{ n: 1 }]);
    expect([result.response.status, await result.response.text()]).toEqual([200, 'OK']);
    expect((await result.done).pendingAtFreeze).toEqual([]);
  });

  it('send-data-wait-until answers before delivery is acknowledged, and delivers before its container freezes', async () => {
    const { sim, server } = await unawaitedSim();
    let acknowledge!: () => void;
    server.script(() => ({ kind: 'respond', status: 200, body: '{"ok":true}', until: new Promise<void>((r) => (acknowledge = r)) }));
    const result = await sim.invoke('send-data-wait-until', request('send-data-wait-until', post({ n: 1 })));
    expect([result.response.status, await result.response.text()]).toEqual([200, 'OK']);
    await server.waitForRequests(1);
    expect(sim.containers()[0]?.state).toBe('busy'); // not frozen: waitUntil keeps it running
    acknowledge();
    const report = await result.done;
    expect(report).toMatchObject({ outcome: 'ok', pendingAtFreeze: [] });
    expect(server.requests.map((r) => JSON.parse(r.body))).toEqual([{ n: 1 }]);
  });
});

describe('collect (v2, Netlify Blobs) in a container', () => {
  it('stores a payload once per idempotency key and lists it', async () => {
    const blobs = await startLocalBlobs();
    onTestFinished(() => blobs.close());
    const { sim } = startSim({ functionsDir: FUNCTIONS_DIR, env: blobs.env });
    const send = (): Promise<Call> =>
      call(sim, 'collect', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'key-1' }, body: '{"n":1}' });
    expect((await send()).status).toBe(201);
    expect((await send()).status).toBe(200);
    const list = json<{ items: Array<{ payload: unknown; idempotencyKey: string }> }>(await call(sim, 'collect'));
    expect(list.items).toEqual([expect.objectContaining({ payload: { n: 1 }, idempotencyKey: 'key-1' })]);
  });
});
