/**
 * One test per platform fact (docs/platform-facts.md#lambda-execution-environment) that the simulator models, named after the fact.
 * Facts it does not model (the Node.js version, bundle size → cold-start time, the 10 s INIT limit,
 * the 6 MB payload limit) have no test here; docs/simulator.md#not-modelled says so.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { startRecordingServer } from '../fixtures/recording-server.ts';
import { call, FUNCTIONS_DIR, json, request, startSim, whenStarted } from './helpers.ts';

describe('platform facts: Lambda execution environment', () => {
  it('Lifecycle: Init once, then Invoke repeatedly; frozen between invocations', async () => {
    const { sim } = startSim({ functionsDir: FUNCTIONS_DIR });
    const reports = [];
    for (let i = 0; i < 3; i++) reports.push((await call(sim, 'whoami')).report);
    expect(reports.map((r) => r.initDurationMs !== undefined)).toEqual([true, false, false]);
    expect(reports.map((r) => r.coldStart)).toEqual([true, false, false]);
    expect(sim.containers().map((c) => [c.state, c.invocations])).toEqual([['frozen', 3]]);
  });

  it('Background callbacks that did not complete resume if the environment is reused', async () => {
    const sink = await startRecordingServer();
    onTestFinished(() => sink.close());
    const { sim } = startSim({ env: { SINK_URL: sink.url } });
    await call(sim, 'leaves-work');
    expect(sink.requests).toHaveLength(0);
    await call(sim, 'leaves-work');
    expect(sink.requests.map((r) => r.body)).toEqual(['{"count":1}']);
  });

  it('Async handlers end when the returned promise settles; pending event-loop work is frozen', async () => {
    const sink = await startRecordingServer();
    onTestFinished(() => sink.close());
    const { sim } = startSim({ env: { SINK_URL: sink.url } });
    const c = await call(sim, 'leaves-work', { query: 'timer=1' });
    expect(c.text).toBe('1');
    expect(c.report.pendingAtFreeze.map((w) => w.kind).sort()).toEqual(['http-request', 'timer']);
    // Barrier: another container cold-starts and delivers to the same sink through waitUntil. A
    // container left running would have delivered its earlier request long before.
    await call(sim, 'wait-until');
    expect(sink.requests.map((r) => r.url)).toEqual(['/wait-until']);
  });

  it('A new environment is initialised when a request arrives while every existing one is busy; one request at a time each', async () => {
    const { sim, clock } = startSim({ timeoutMs: 1000 });
    const started = whenStarted();
    const busy = sim.invoke('modes', request('modes', { query: 'mode=hang' }), { onStart: started.onStart });
    const busyId = await started.containerId;
    const next = await call(sim, 'modes');
    expect(next.result.containerId).not.toBe(busyId);
    expect(next.result.coldStart).toBe(true);
    clock.advance(1000);
    await (await busy).done;
  });

  it('Idle environments are stopped after about 10 minutes (default), configurable', async () => {
    const { sim, clock } = startSim({ functionsDir: FUNCTIONS_DIR });
    await call(sim, 'hello-world');
    clock.advance(599_999);
    expect(sim.containers()).toHaveLength(1);
    clock.advance(1);
    expect(sim.containers()).toHaveLength(0);

    const short = startSim({ functionsDir: FUNCTIONS_DIR, idleTimeoutMs: 1000 });
    await call(short.sim, 'hello-world');
    short.clock.advance(1000);
    expect(short.sim.containers()).toHaveLength(0);
  });

  it('/tmp is per environment; a crash or timeout resets the environment but does not clear /tmp', async () => {
    const { sim, clock } = startSim({ timeoutMs: 1000 });
    const first = json<{ tmpdir: string; files: string[] }>(await call(sim, 'modes', { query: 'touch=kept' }));
    expect(first.files).toEqual(['kept']);
    await call(sim, 'modes', { query: 'mode=crash' });
    const started = whenStarted();
    const hanging = sim.invoke('modes', request('modes', { query: 'mode=hang' }), { onStart: started.onStart });
    await started.containerId;
    clock.advance(1000);
    expect((await (await hanging).done).outcome).toBe('timeout');
    const after = await call(sim, 'modes');
    expect(after.result.coldStart).toBe(true);
    expect(json(after)).toMatchObject({ count: 1, tmpdir: first.tmpdir, files: ['kept'] });
    // Another environment has its own, empty /tmp.
    const [a, b] = await Promise.all([call(sim, 'modes'), call(sim, 'modes')]);
    const fresh = [a, b].find((c) => c?.result.coldStart);
    expect(json<{ files: string[] }>(fresh!).files).toEqual([]);
  });

  it('Since Aug 2025 the INIT phase is billed', async () => {
    const { sim } = startSim({ functionsDir: FUNCTIONS_DIR });
    const cold = (await call(sim, 'hello-world')).report;
    const warm = (await call(sim, 'hello-world')).report;
    expect(cold.initDurationMs).toBeGreaterThan(0);
    expect(cold.billedDurationMs).toBe(Math.ceil(cold.durationMs + (cold.initDurationMs ?? 0)));
    expect(warm.billedDurationMs).toBe(Math.ceil(warm.durationMs));
  });

  it('Netlify synchronous functions: 60 s execution limit and 1024 MB of memory by default', async () => {
    const { sim, clock } = startSim();
    const started = whenStarted();
    const hanging = sim.invoke('modes', request('modes', { query: 'mode=hang' }), { onStart: started.onStart });
    await started.containerId;
    clock.advance(59_999);
    expect(['initializing', 'busy']).toContain(sim.containers()[0]?.state); // still running (its INIT may not even be over)
    clock.advance(1);
    const result = await hanging;
    expect(((await result.response.json()) as { errorMessage: string }).errorMessage).toContain('Task timed out after 60.00 seconds');
    expect(await result.done).toMatchObject({ outcome: 'timeout', memorySizeMb: 1024 });
  });

  it('Background functions (-background suffix) run up to 15 min and answer 202 at once', async () => {
    const sink = await startRecordingServer();
    onTestFinished(() => sink.close());
    let release!: () => void;
    sink.script(() => ({ kind: 'respond', status: 200, until: new Promise<void>((r) => (release = r)) }));
    const { sim, clock } = startSim({ env: { SINK_URL: sink.url } });
    const result = await sim.invoke('slow-background', request('slow-background', { method: 'POST' }));
    expect(result.response.status).toBe(202);
    await sink.waitForRequests(1);
    clock.advance(899_999);
    expect(sim.containers()[0]?.state).toBe('busy');
    clock.advance(1);
    expect((await result.done).outcome).toBe('timeout');
    release();
  });

  it('v2 context.waitUntil: the response is sent, and the function keeps running until the promise settles', async () => {
    const sink = await startRecordingServer();
    onTestFinished(() => sink.close());
    let release!: () => void;
    sink.script(() => ({ kind: 'respond', status: 200, until: new Promise<void>((r) => (release = r)) }));
    const { sim } = startSim({ env: { SINK_URL: sink.url } });
    const result = await sim.invoke('wait-until', request('wait-until'));
    expect(await result.response.text()).toBe('answered');
    await sink.waitForRequests(1);
    expect(sim.containers()[0]?.state).toBe('busy');
    release();
    expect((await result.done).pendingAtFreeze).toEqual([]);
  });
});
