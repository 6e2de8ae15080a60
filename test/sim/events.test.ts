/**
 * The simulator's event model (src/sim/events.ts): the bounded log itself, and the story the real
 * simulator tells through it (cold start, freeze with pending work, thaw, carried-over work finishing
 * inside a later invocation, and every way a container ends), on a ManualClock.
 */
import { once } from 'node:events';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ManualClock, type SimEvent, type SimEventSource } from '../../src/sim/index.ts';
import { SimEventLog } from '../../src/sim/events.ts';
import { call, FIXTURES_DIR, request, startSim, whenStarted } from './helpers.ts';

/** What the story needs from an event: its type and the fields that matter, not seq/atMs. */
function story(events: SimEvent[], containerId: string): Array<Record<string, unknown>> {
  return events
    .filter((event) => event.containerId === containerId)
    .map((event) => {
      switch (event.type) {
        case 'container-spawned':
          return { type: event.type };
        case 'init-done':
          return { type: event.type };
        case 'invocation-start':
          return { type: event.type, requestId: event.requestId, method: event.method, path: event.path, coldStart: event.coldStart };
        case 'response':
          return { type: event.type, requestId: event.requestId, status: event.status };
        case 'frozen':
          return { type: event.type, requestId: event.requestId, outcome: event.outcome, pendingAtFreeze: event.pendingAtFreeze };
        case 'thawed':
          return { type: event.type, requestId: event.requestId, carriedOver: event.carriedOver };
        case 'carried-over-finished':
          return { type: event.type, requestId: event.requestId, finished: event.finished, stillPending: event.stillPending };
        case 'container-ended':
          return { type: event.type, reason: event.reason, requestId: event.requestId, outcome: event.outcome, lostWork: event.lostWork, tmpKept: event.tmpKept };
        case 'throttled':
          return { type: event.type, requestId: event.requestId };
      }
    });
}

/** A server that answers every request, counting them (a destination for leaves-work). */
async function sink(): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      bodies.push(body);
      res.end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

function collect(source: SimEventSource): SimEvent[] {
  const events: SimEvent[] = [];
  onTestFinished(source.subscribe((event) => events.push(event)));
  return events;
}

describe('SimEventLog', () => {
  it('numbers events, stamps them with the clock, and keeps at most historyLimit of them, oldest dropped first', () => {
    const clock = new ManualClock();
    const log = new SimEventLog({ clock, historyLimit: 3 });
    for (let i = 1; i <= 5; i++) {
      log.emit('fn', `c${i}`, { type: 'response', requestId: `r${i}`, status: 200 });
      clock.advance(1000);
    }
    expect(log.history().map((event) => [event.seq, event.containerId, event.atMs - Date.UTC(2026, 0, 1)])).toEqual([
      [3, 'c3', 2000],
      [4, 'c4', 3000],
      [5, 'c5', 4000],
    ]);
    expect(log.dropped).toBe(2);
    expect(log.historyLimit).toBe(3);
  });

  it('tells subscribers synchronously until they unsubscribe; a throwing subscriber breaks nothing', () => {
    const log = new SimEventLog({ clock: new ManualClock() });
    const seen: number[] = [];
    log.subscribe(() => {
      throw new Error('a broken subscriber');
    });
    const unsubscribe = log.subscribe((event) => seen.push(event.seq));
    log.emit('fn', 'c1', { type: 'container-spawned', bundleHash: 'h' });
    unsubscribe();
    log.emit('fn', 'c1', { type: 'container-spawned', bundleHash: 'h' });
    expect(seen).toEqual([1]);
    expect(log.history()).toHaveLength(2);
  });

  it('refuses a history bound that is not a positive integer', () => {
    expect(() => new SimEventLog({ clock: new ManualClock(), historyLimit: 0 })).toThrow(RangeError);
  });
});

describe('the events of a real simulator', () => {
  it('tell the fire-and-forget story: pending at freeze, carried over at thaw, finished inside the next invocation, lost when reaped', async () => {
    const destination = await sink();
    const { sim, clock } = startSim({ env: { SINK_URL: destination.url }, idleTimeoutMs: 60_000 });
    const events = collect(sim.events());
    const first = await call(sim, 'leaves-work', { query: 'n=1' });
    const second = await call(sim, 'leaves-work');
    const id = first.result.containerId;
    const work = (requestId: string): Record<string, unknown> => ({ kind: 'http-request', method: 'POST', url: `${destination.url}/leaves-work`, requestId });
    clock.advance(60_000);

    const r1 = first.result.requestId;
    const r2 = second.result.requestId;
    expect(story(events, id)).toEqual([
      { type: 'container-spawned' },
      { type: 'invocation-start', requestId: r1, method: 'GET', path: '/.netlify/functions/leaves-work?n=1', coldStart: true },
      { type: 'init-done' },
      { type: 'response', requestId: r1, status: 200 },
      { type: 'frozen', requestId: r1, outcome: 'ok', pendingAtFreeze: [work(r1)] },
      { type: 'invocation-start', requestId: r2, method: 'GET', path: '/.netlify/functions/leaves-work', coldStart: false },
      { type: 'thawed', requestId: r2, carriedOver: [work(r1)] },
      // r1's request resumed and finished inside r2, before r2's handler ran.
      { type: 'carried-over-finished', requestId: r2, finished: [work(r1)], stillPending: [] },
      { type: 'response', requestId: r2, status: 200 },
      { type: 'frozen', requestId: r2, outcome: 'ok', pendingAtFreeze: [work(r2)] },
      // Reaped while frozen: r2's request never runs.
      { type: 'container-ended', reason: 'reaped', requestId: undefined, outcome: undefined, lostWork: [work(r2)], tmpKept: false },
    ]);
    expect(destination.bodies).toEqual(['{"count":1}']);
    // The same facts as the reports.
    const frozen = events.filter((event) => event.type === 'frozen');
    expect(frozen.map((event) => event.pendingAtFreeze)).toEqual([first.report.pendingAtFreeze, second.report.pendingAtFreeze]);
    // Ten idle minutes show on the clock: the reaping is stamped a minute after the last freeze.
    const ended = events.at(-1);
    expect((ended?.atMs ?? 0) - (frozen.at(-1)?.atMs ?? 0)).toBe(60_000);
  });

  it('name the cold-start figures once, rounded to 2 decimals, the same in the event and the snapshot', async () => {
    const { sim } = startSim();
    const events = collect(sim.events());
    const done = await call(sim, 'echo-v1');
    const init = events.find((event) => event.type === 'init-done');
    if (init?.type !== 'init-done') throw new Error('no init-done event');
    expect(init.initDurationMs).toBe(Math.round(init.initDurationMs * 100) / 100);
    expect(init.spawnMs).toBe(Math.round(init.spawnMs * 100) / 100);
    // Spawn is worker start plus INIT: never shorter than INIT alone.
    expect(init.spawnMs).toBeGreaterThanOrEqual(init.initDurationMs);
    expect(sim.containers()[0]).toMatchObject({ initDurationMs: init.initDurationMs, spawnMs: init.spawnMs });
    expect(Math.round((done.report.initDurationMs ?? -1) * 100) / 100).toBe(init.initDurationMs);
  });

  it('end a timed-out runtime, keep the container (same id, /tmp kept), and cold-start it again', async () => {
    const { sim, clock } = startSim({ timeoutMs: 2000 });
    const events = collect(sim.events());
    // Warm first, so the timeout falls in the handler and not in INIT.
    const warm = await call(sim, 'modes');
    const started = whenStarted();
    const hanging = sim.invoke('modes', request('modes', { query: 'mode=hang' }), { onStart: started.onStart });
    const id = await started.containerId;
    expect(id).toBe(warm.result.containerId);
    clock.advance(2000);
    await (await hanging).done;
    const after = await call(sim, 'modes');
    expect(after.result.containerId).toBe(id);
    expect(story(events, id).map((event) => [event.type, event.reason ?? event.status ?? event.coldStart ?? ''])).toEqual([
      ['container-spawned', ''],
      ['invocation-start', true],
      ['init-done', ''],
      ['response', 200],
      ['frozen', ''],
      ['invocation-start', false],
      ['thawed', ''],
      ['response', 502],
      ['container-ended', 'timed-out'],
      ['container-spawned', ''],
      ['invocation-start', true],
      ['init-done', ''],
      ['response', 200],
      ['frozen', ''],
    ]);
    const ended = events.find((event) => event.type === 'container-ended');
    expect(ended).toMatchObject({ requestId: (await hanging).requestId, outcome: 'timeout', tmpKept: true });
  });

  it('say crashed for an uncaught exception and init-error for a module that throws at load', async () => {
    const { sim } = startSim();
    const events = collect(sim.events());
    const crashed = await call(sim, 'modes', { query: 'mode=crash' });
    const failed = await call(sim, 'init-error');
    const ends = events.filter((event) => event.type === 'container-ended');
    expect(ends.map((event) => [event.containerId, event.reason, event.requestId, event.tmpKept])).toEqual([
      [crashed.result.containerId, 'crashed', crashed.result.requestId, true],
      [failed.result.containerId, 'init-error', failed.result.requestId, true],
    ]);
  });

  it('record a throttled request without a container, and shut-down for every container on close', async () => {
    const { sim, clock } = startSim({ maxConcurrency: 1, timeoutMs: 1000 });
    const events = collect(sim.events());
    const started = whenStarted();
    const hanging = sim.invoke('modes', request('modes', { query: 'mode=hang' }), { onStart: started.onStart });
    await started.containerId;
    const throttled = await sim.invoke('modes', request('modes', { method: 'POST', body: 'x', query: 'a=1' }));
    expect(throttled.response.status).toBe(429);
    expect(events.filter((event) => event.type === 'throttled')).toEqual([
      expect.objectContaining({ type: 'throttled', functionName: 'modes', containerId: '', requestId: throttled.requestId, method: 'POST', path: '/.netlify/functions/modes?a=1' }),
    ]);
    clock.advance(1000);
    await (await hanging).done;
    const warm = await call(sim, 'echo-v1');
    await sim.close();
    const ends = events.filter((event) => event.type === 'container-ended').map((event) => [event.containerId, event.reason]);
    expect(ends).toContainEqual([warm.result.containerId, 'shut-down']);
  });

  it('say rebuilt for a container whose function changed (after refresh), as after a deploy', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'events-rebuild-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await copyFile(path.join(FIXTURES_DIR, 'echo-v1.ts'), path.join(dir, 'echo-v1.ts'));
    const { sim } = startSim({ functionsDir: dir });
    const events = collect(sim.events());
    const before = await call(sim, 'echo-v1');
    await writeFile(path.join(dir, 'echo-v1.ts'), `export const handler = async () => ({ statusCode: 200, body: 'v2 of the source' });\n`);
    expect(await sim.refresh()).toEqual(['echo-v1']);
    const after = await call(sim, 'echo-v1');
    expect(after.text).toBe('v2 of the source');
    expect(events.filter((event) => event.type === 'container-ended').map((event) => [event.containerId, event.reason, event.tmpKept])).toEqual([
      [before.result.containerId, 'rebuilt', false],
    ]);
  });
});
