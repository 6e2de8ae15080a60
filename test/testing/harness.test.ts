import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { call, json, request, startSim, TestingError, type TestSim } from '../../src/testing/index.ts';
import { FIXTURES_DIR } from '../sim/helpers.ts';

const SITE = path.resolve(import.meta.dirname, 'fixtures/site');
const REWRITES_SITE = path.resolve(import.meta.dirname, 'fixtures/rewrites-site');

interface Counted {
  count: number;
  query: string;
  method: string;
  body: string;
  type: string | null;
}

describe('startSim on a site', () => {
  it('finds functions in netlify/functions when the site has no netlify.toml, and a warm container keeps its state: 1, 2, 3', async () => {
    const sim = startSim({ site: SITE });
    expect(() => sim.sim).toThrow(TestingError); // the site is still being read
    await sim.ready();
    expect(sim.functionsDir).toBe(path.join(SITE, 'netlify/functions'));
    const calls = [await sim.call('counter'), await sim.call('counter'), await sim.call('counter')];
    expect(calls.map((c) => json<Counted>(c).count)).toEqual([1, 2, 3]);
    expect(calls.map((c) => c.containerRequest)).toEqual([1, 2, 3]);
    expect(calls[0]).toBeColdStart();
    expect(calls[1]).toBeWarmIn(calls[0]!);
    expect(calls[2]).toBeWarmIn(calls[0]!);
  });

  it('runs a CommonJS v1 function', async () => {
    const sim = startSim({ site: SITE });
    const first = await sim.call('legacy');
    expect(first.status).toBe(200);
    expect(json(first)).toEqual({ count: 1, path: '/.netlify/functions/legacy' });
  });

  it('a burst of 4 starts 4 cold containers, each counting from 1; the next call is warm in one of them', async () => {
    const sim = startSim({ site: SITE });
    const burst = await sim.burst(4, 'counter');
    expect(new Set(burst.map((c) => c.containerId)).size).toBe(4);
    for (const c of burst) expect(c).toBeColdStart();
    expect(burst.map((c) => json<Counted>(c).count)).toEqual([1, 1, 1, 1]);
    const after = await sim.call('counter');
    expect(after).not.toBeColdStart();
    expect(sim.containers('counter')).toHaveLength(4);
  });

  it('advancing the clock past the idle timeout reaps the container: the next call is cold and counts from 1', async () => {
    const sim = startSim({ site: SITE, idleTimeoutMs: 60_000 });
    const first = await sim.call('counter');
    await sim.advance(59_999);
    const warm = await sim.call('counter');
    expect(warm).toBeWarmIn(first);
    await sim.advance(60_000);
    expect(sim.containers('counter')).toEqual([]);
    const again = await sim.call('counter');
    expect(again).toBeColdStart();
    expect(again).not.toBeWarmIn(first);
    expect(json<Counted>(again).count).toBe(1);
  });

  it('advance fires a timer inside a busy container, and the call it held answers', async () => {
    const sim = startSim({ functionsDir: FIXTURES_DIR });
    const start = sim.clock.now();
    const waiting = sim.call('timer-kinds', { query: 'kind=setTimeout' });
    await sim.sim.whenTimer((timer) => timer.api === 'setTimeout');
    await sim.advance(1000);
    expect(json(await waiting)).toEqual({ startedAt: start, events: [{ name: 'fired', at: start + 1000 }] });
  });

  it('calls by URL path reach a function through /.netlify/functions/<name> and its config.path', async () => {
    const sim = startSim({ site: SITE });
    expect((await sim.call('/.netlify/functions/counter?x=1')).text).toContain('"query":"?x=1"');
    const routed = await sim.call('/items/42');
    expect(routed.functionName).toBe('routed');
    expect(routed.text).toBe('routed /items/42 id=42');
    // config.method: a POST to the same path is not this function's.
    await expect(sim.call('/items/42', { method: 'POST' })).rejects.toMatchObject({ code: 'NO_ROUTE' });
    const error = await sim.call('/nowhere').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TestingError);
    expect(error).toMatchObject({ code: 'NO_ROUTE' });
  });

  it('a function sees the site’s .env and the platform’s URL, the test’s env on top, and not the test process’s environment', async () => {
    process.env.HARNESS_TEST_SHELL_ONLY = 'from the shell';
    onTestFinished(() => {
      delete process.env.HARNESS_TEST_SHELL_ONLY;
    });
    const sim = startSim({ site: SITE, env: { EXTRA: 'from the test' } });
    expect(json(await sim.call('env'))).toEqual({ greeting: 'hello from .env', url: 'http://localhost', home: null, extra: 'from the test' });
  });

  it('calls by URL path follow netlify.toml: its functions directory and its rewrites', async () => {
    const sim = startSim({ site: REWRITES_SITE });
    const hello = await sim.call('/api/hello');
    expect(hello.functionName).toBe('hello');
    expect(hello.text).toBe('hello from /api/hello');
  });

  it('a netlify.toml that does not parse fails the first call with INVALID_OPTIONS, naming the file', async () => {
    const site = await mkdtemp(path.join(tmpdir(), 'harness-bad-toml-'));
    onTestFinished(() => rm(site, { recursive: true, force: true }));
    await writeFile(path.join(site, 'netlify.toml'), '[functions\ndirectory = "x"\n');
    const sim = startSim({ site });
    const error = await sim.call('counter').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TestingError);
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringContaining(path.join(site, 'netlify.toml')) });
  });

  it('takes a Request or the shorthand: a plain object body is JSON, a query object is URL-encoded', async () => {
    const sim = startSim({ site: SITE });
    const shorthand = json<Counted>(await sim.call('counter', { body: { n: 1 }, query: { q: 'a b' } }));
    expect(shorthand).toMatchObject({ method: 'POST', body: '{"n":1}', type: 'application/json', query: '?q=a+b' });
    const viaRequest = json<Counted>(await sim.call(new Request('http://localhost/.netlify/functions/counter', { method: 'PUT', body: 'x' })));
    expect(viaRequest).toMatchObject({ method: 'PUT', count: 2 });
    const named = json<Counted>(await sim.call('counter', request('counter', { query: 'raw=%20' })));
    expect(named.query).toBe('?raw=%20');
  });
});

describe('matchers say what happened in container terms', () => {
  it('toBeColdStart names the warm container that answered instead, and which of its requests it was', async () => {
    const sim = startSim({ site: SITE });
    await sim.call('counter');
    const second = await sim.call('counter');
    expect(() => expect(second).toBeColdStart()).toThrow(
      `expected counter to cold-start a new container, but the answer came from container ${second.containerId}, which was warm (its 2nd request)`,
    );
  });

  it('toBeWarmIn names the cold container that answered instead', async () => {
    const sim = startSim({ site: SITE });
    const [a, b] = await sim.burst(2, 'counter');
    expect(() => expect(b).toBeWarmIn(a!)).toThrow(
      `expected the answer to come warm from container ${a!.containerId} (which answered the earlier call), but it came from container ${b!.containerId}, which was cold`,
    );
  });

  it('toHavePendingAtFreeze: a timer left running at freeze passes, and .not names it', async () => {
    const sim = startSim({ functionsDir: FIXTURES_DIR });
    const leaky = await sim.call('leaves-work', { query: 'timer=1' });
    expect(leaky).toHavePendingAtFreeze({ kind: 'timer', delayMs: 30_000 });
    expect(sim.pendingAtFreeze(leaky.containerId)).toEqual(leaky.report.pendingAtFreeze);
    expect(() => expect(leaky).not.toHavePendingAtFreeze()).toThrow(
      `expected container ${leaky.containerId} to freeze with no work in flight after leaves-work answered, but it froze with this still running: a timer set for 30000 ms.`,
    );
    // A fresh simulator: that timer would still be running in leaves-work's warm container.
    const clean = await startSim({ functionsDir: FIXTURES_DIR }).call('leaves-work');
    expect(clean).not.toHavePendingAtFreeze();
    expect(() => expect(clean).toHavePendingAtFreeze()).toThrow(/but nothing matching was pending/);
  });

  it('a matcher given something other than a call says so', () => {
    expect(() => expect({ status: 200 }).toBeColdStart()).toThrow(/expects a Call/);
  });
});

describe('cleanup is the running test’s', () => {
  let leftOver: TestSim | undefined;
  let outsideTest: unknown;

  beforeAll(() => {
    try {
      startSim({ site: SITE });
    } catch (error) {
      outsideTest = error;
    }
  });

  it('startSim outside a test refuses, since nothing would stop its containers', () => {
    expect(outsideTest).toBeInstanceOf(TestingError);
    expect(outsideTest).toMatchObject({ code: 'NOT_IN_TEST' });
  });

  it('(a test that leaves a container running)', async () => {
    leftOver = startSim({ site: SITE });
    await leftOver.call('counter');
    expect(leftOver.containers()).toHaveLength(1);
  });

  it('when that test finished, its containers were stopped and its simulator closed', async () => {
    expect(leftOver?.containers()).toEqual([]);
    await expect(call(leftOver!.sim, 'counter')).rejects.toMatchObject({ code: 'SIMULATOR_CLOSED' });
  });
});

describe('startSim in a beforeEach', () => {
  let sim: TestSim;
  let previous: TestSim | undefined;

  beforeEach(() => {
    previous = sim;
    sim = startSim({ site: SITE });
  });

  it('gives each test a fresh simulator: a cold start every time', async () => {
    expect(await sim.call('counter')).toBeColdStart();
  });

  it('and the previous test’s simulator was stopped when that test finished', async () => {
    expect(await sim.call('counter')).toBeColdStart();
    await expect(previous?.call('counter')).rejects.toMatchObject({ code: 'SIMULATOR_CLOSED' });
  });
});
