import { createServer, get, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import timers from 'node:timers';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PendingWorkTracker } from '../../src/sim/runtime-pending.ts';
import type { PendingWork } from '../../src/sim/api.ts';

/**
 * The tracker a container runs to report what a handler left pending at freeze. It lives for the
 * container's whole life (thousands of invocations under load), so whatever it records for an
 * invocation has to be forgotten once that work is done, or it is both a memory leak and a phantom
 * "pending" entry in every later report.
 */

/** A real server on port 0: `/items` answers JSON at once; `/hold` answers only when `release()` is called. */
async function startServer(): Promise<{ url: string; release: () => void; whenHeld: Promise<void> }> {
  const holding: ServerResponse[] = [];
  let held!: () => void;
  const whenHeld = new Promise<void>((resolve) => (held = resolve));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/hold') {
      holding.push(res);
      held();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ items: [{ key: 'a' }, { key: 'b' }] }));
  });
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const res of holding.splice(0)) res.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    release: () => {
      for (const res of holding.splice(0)) res.end('released');
    },
    whenHeld,
  };
}

function startTracker(): PendingWorkTracker {
  const tracker = new PendingWorkTracker();
  onTestFinished(() => tracker.dispose());
  return tracker;
}

function nodeHttpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/**
 * What collect does per GET (fetch, body read), plus the timer patterns libraries use: cleared by
 * object, by numeric id, by `close()`, through `node:timers`, unref'd then cleared, and one that fires.
 */
async function collectLikeInvocation(url: string): Promise<void> {
  const response = await fetch(`${url}/items`);
  await response.json();
  await nodeHttpGet(`${url}/items`);
  clearTimeout(setTimeout(() => undefined, 60_000));
  clearTimeout(Number(setTimeout(() => undefined, 60_000)));
  setTimeout(() => undefined, 60_000).close();
  timers.clearTimeout(setTimeout(() => undefined, 60_000));
  timers.clearInterval(setInterval(() => undefined, 60_000));
  const unrefd = setTimeout(() => undefined, 60_000);
  unrefd.unref();
  clearTimeout(Number(unrefd));
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

function startedBy(prefix: string, work: PendingWork[]): PendingWork[] {
  return work.filter((entry) => entry.requestId.startsWith(prefix));
}

describe('PendingWorkTracker inside a long-lived container', () => {
  it('reports nothing pending after invocations that finished their requests and cleared their timers, however they cleared them', async () => {
    const server = await startServer();
    const tracker = startTracker();
    for (let i = 0; i < 20; i++) {
      await tracker.runAs(`inv-${i}`, () => collectLikeInvocation(server.url));
      expect(startedBy('inv-', tracker.snapshot())).toEqual([]);
    }
  });

  it('holds no more entries after 300 such invocations than after the first', async () => {
    const server = await startServer();
    const tracker = startTracker();
    // Each invocation ends with a freeze, and the runtime takes a snapshot at every freeze.
    await tracker.runAs('warm-up', () => collectLikeInvocation(server.url));
    tracker.snapshot();
    const atRest = tracker.internalCounts();
    for (let i = 0; i < 300; i++) {
      await tracker.runAs(`inv-${i}`, () => collectLikeInvocation(server.url));
      tracker.snapshot();
    }
    const after = tracker.internalCounts();
    expect(after.requests).toBeLessThanOrEqual(atRest.requests);
    expect(after.timers).toBeLessThanOrEqual(atRest.timers);
    expect(after.settleWaiters).toBe(0);
  });

  it('keeps the timer table bounded within one invocation that schedules and clears by id thousands of times', async () => {
    const tracker = startTracker();
    let largest = 0;
    tracker.runAs('busy', () => {
      for (let i = 0; i < 5_000; i++) {
        clearTimeout(Number(setTimeout(() => undefined, 60_000)));
        largest = Math.max(largest, tracker.internalCounts().timers);
      }
    });
    // No freeze happens inside the loop: the table must stay bounded by the timers still live (none
    // here; cleared ones are dropped in amortised batches), not grow with the 5,000 scheduled.
    expect(largest).toBeLessThan(200);
  });

  it('still reports the work an invocation really left behind, and forgets it once it finished', async () => {
    const server = await startServer();
    const tracker = startTracker();
    const left = await tracker.runAs('leaves-work', () => {
      const timer = setTimeout(() => undefined, 30_000);
      const request = fetch(`${server.url}/hold`).then((res) => res.text());
      return { timer, request };
    });
    // The request reached the server and is waiting for its answer.
    await server.whenHeld;
    const pending = startedBy('leaves-work', tracker.snapshot());
    expect(pending).toEqual(
      expect.arrayContaining([
        { kind: 'timer', delayMs: 30_000, timerApi: 'setTimeout', requestId: 'leaves-work' },
        { kind: 'http-request', method: 'GET', url: `${server.url}/hold`, requestId: 'leaves-work' },
      ]),
    );
    expect(pending).toHaveLength(2);

    clearTimeout(Number(left.timer));
    server.release();
    expect(await left.request).toBe('released');
    expect(startedBy('leaves-work', tracker.snapshot())).toEqual([]);
  });

  it('dispose puts the global timer functions back', () => {
    const original = globalThis.setTimeout;
    const tracker = new PendingWorkTracker();
    expect(globalThis.setTimeout).not.toBe(original);
    tracker.dispose();
    expect(globalThis.setTimeout).toBe(original);
  });
});
