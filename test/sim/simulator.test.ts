import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startRecordingServer } from '../fixtures/recording-server.ts';
import { SimError, Simulator } from '../../src/sim/index.ts';
import { call, FIXTURES_DIR, json, request, startSim, whenStarted } from './helpers.ts';

async function recordingServer() {
  const server = await startRecordingServer();
  onTestFinished(() => server.close());
  return server;
}


/** Two concurrent calls of `modes`, keyed by the container each landed in: was it cold, and what count did it see. */
async function twoConcurrentCalls(sim: Simulator): Promise<Record<string, { cold: boolean; count: unknown }>> {
  const after = await Promise.all([call(sim, 'modes'), call(sim, 'modes')]);
  return Object.fromEntries(after.map((c) => [c.result.containerId, { cold: c.result.coldStart, count: json(c).count }]));
}

/**
 * A recording server the echo-v2 fixture fetches between its two chunks, holding that request until
 * `open()`: the second chunk cannot exist before the test releases it.
 */
async function heldGate(): Promise<{ gate: Awaited<ReturnType<typeof recordingServer>>; query: string; open: () => void }> {
  const gate = await recordingServer();
  let release: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (release = resolve));
  gate.script(() => ({ kind: 'respond', status: 200, until: opened }));
  return { gate, query: `gate=${encodeURIComponent(gate.url)}`, open: () => release() };
}

describe('Netlify request/response mapping', () => {
  it('gives a v1 handler the Netlify event and context, and maps its result back to a Response', async () => {
    const { sim } = startSim();
    const result = await sim.invoke(
      'echo-v1',
      new Request('http://localhost/.netlify/functions/echo-v1?a=1&a=2&b=x', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-test': 'yes' },
        body: '{"hello":"world"}',
      }),
      { clientIp: '203.0.113.9', requestId: 'req-1' },
    );
    expect(result.response.status).toBe(201);
    expect(result.response.headers.get('x-single')).toBe('one');
    expect(result.response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    const { event, context } = (await result.response.json()) as { event: Record<string, unknown>; context: Record<string, unknown> };
    expect(event).toMatchObject({
      httpMethod: 'POST',
      path: '/.netlify/functions/echo-v1',
      rawUrl: 'http://localhost/.netlify/functions/echo-v1?a=1&a=2&b=x',
      rawQuery: 'a=1&a=2&b=x',
      queryStringParameters: { a: '1, 2', b: 'x' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x'] },
      body: '{"hello":"world"}',
      isBase64Encoded: false,
    });
    expect(event.headers).toMatchObject({ 'x-test': 'yes', 'x-nf-client-connection-ip': '203.0.113.9' });
    expect(event.multiValueHeaders).toMatchObject({ 'x-test': ['yes'] });
    expect(context).toMatchObject({ functionName: 'echo-v1', awsRequestId: 'req-1' });
    // 60 s by the (manual) clock, minus the real milliseconds the handler has run.
    expect(context.remainingMs).toBeGreaterThan(50_000);
    expect(context.remainingMs).toBeLessThanOrEqual(60_000);
  });

  it('passes binary bodies to v1 handlers as base64 and decodes isBase64Encoded results', async () => {
    const { sim } = startSim();
    const bytes = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x00]);
    const echoed = await call(sim, 'echo-v1', { method: 'POST', headers: { 'content-type': 'image/png' }, body: bytes });
    const { event } = json<{ event: { body: string; isBase64Encoded: boolean } }>(echoed);
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body, 'base64')).toEqual(Buffer.from(bytes));

    const binary = await sim.invoke('echo-v1', request('echo-v1', { query: 'binary=1' }));
    expect(new Uint8Array(await binary.response.arrayBuffer())).toEqual(new Uint8Array([0xff, 0x00, 0xfe, 0x80]));
  });

  it('gives a v2 handler a real Request and a context with requestId, ip and waitUntil', async () => {
    const { sim } = startSim();
    const result = await sim.invoke(
      'echo-v2',
      new Request('http://localhost/.netlify/functions/echo-v2?q=1', { method: 'PUT', headers: { 'x-test': 'v2' }, body: 'payload' }),
      { clientIp: '198.51.100.7' },
    );
    expect(await result.response.json()).toEqual({
      method: 'PUT',
      url: 'http://localhost/.netlify/functions/echo-v2?q=1',
      body: 'payload',
      header: 'v2',
      requestId: result.requestId,
      ip: '198.51.100.7',
      hasWaitUntil: true,
    });
  });

  it('a client that cancels a streamed body does not disturb the function: it runs on and freezes normally', async () => {
    const { gate, query, open } = await heldGate();
    const { sim } = startSim();
    const result = await sim.invoke('echo-v2', request('echo-v2', { query }));
    const reader = result.response.body!.getReader();
    await reader.read();
    await reader.cancel();
    await gate.waitForRequests(1);
    open(); // the handler now writes its second chunk into a body nobody reads
    expect((await result.done).outcome).toBe('ok');
    expect((await call(sim, 'echo-v2')).result.containerId).toBe(result.containerId);
  });

  it('hands a server a v2 answer whose body was complete at once as one buffered answer, and a streaming one as a stream', async () => {
    const { sim } = startSim();
    const buffered = { method: 'GET', url: 'http://localhost/.netlify/functions/echo-v2', headers: [['x-test', 'b']] as Array<[string, string]>, body: null };
    const whole = await sim.invokeBuffered('echo-v2', buffered);
    expect(whole.response).toMatchObject({ kind: 'buffered', status: 200, headers: [['content-type', 'application/json']] });
    expect(JSON.parse(Buffer.from((whole.response as { body: Uint8Array }).body).toString())).toMatchObject({ header: 'b', method: 'GET' });
    await whole.done;

    const { gate, query, open } = await heldGate();
    const streaming = await sim.invokeBuffered('echo-v2', { ...buffered, url: `${buffered.url}?${query}` });
    expect(streaming.response).toBeInstanceOf(Response);
    const reader = (streaming.response as Response).body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first;');
    await gate.waitForRequests(1); // 'second' does not exist yet: the first chunk went out on its own
    open();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('second');
    expect((await streaming.done).outcome).toBe('ok');
  });

  it('answers 204 when a v2 handler returns nothing, as Netlify does', async () => {
    const { sim } = startSim();
    const c = await call(sim, 'echo-v2', { query: 'nothing=1' });
    expect([c.status, c.text, c.report.outcome]).toEqual([204, '', 'ok']);
  });

  it('streams a v2 response body: the first chunk arrives while the handler is still writing', async () => {
    const { gate, query, open } = await heldGate();
    const { sim } = startSim();
    const result = await sim.invoke('echo-v2', request('echo-v2', { query }));
    const reader = result.response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first;');
    await gate.waitForRequests(1); // the handler is blocked on the gate: 'second' does not exist yet
    open();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('second');
    expect((await result.done).outcome).toBe('ok');
  });
});

describe('failures', () => {
  it('answers an invalid v1 result (no statusCode, a header that would split the head) with Runtime.InvalidResponse, and the container stays warm', async () => {
    const { sim } = startSim();
    const warm = await call(sim, 'modes');
    for (const mode of ['invalid', 'bad-header']) {
      const bad = await call(sim, 'modes', { query: `mode=${mode}` });
      expect(bad.status).toBe(502);
      expect(JSON.parse(bad.text)).toMatchObject({ errorType: 'Runtime.InvalidResponse' });
      expect(bad.result.response.headers.get('injected')).toBeNull();
      expect(bad.report).toMatchObject({ outcome: 'handler-error', containerId: warm.result.containerId });
    }
    const after = await call(sim, 'modes');
    expect([after.result.containerId, after.result.coldStart, json(after).count]).toEqual([warm.result.containerId, false, 4]);
  });

  it('a handler that throws gets Netlify’s error shape without a stack trace, and its container stays warm', async () => {
    const warnings: string[] = [];
    const { sim } = startSim({ logger: { info: () => undefined, warn: (line) => warnings.push(line) } });
    const failed = await call(sim, 'modes', { query: 'mode=throw' });
    expect(failed.status).toBe(502);
    expect(JSON.parse(failed.text)).toEqual({ errorType: 'TypeError', errorMessage: 'handler exploded' });
    expect(failed.text).not.toContain(' at ');
    expect(failed.report).toMatchObject({ outcome: 'handler-error', errorMessage: 'TypeError: handler exploded' });
    // The stack goes to the simulator's log instead.
    expect(warnings.some((line) => line.includes('TypeError: handler exploded') && line.includes('    at '))).toBe(true);
    const next = await call(sim, 'modes');
    expect(next.result.containerId).toBe(failed.result.containerId);
    expect(next.result.coldStart).toBe(false);
    expect(json(next).count).toBe(2);
  });

  it('a v2 handler that throws gets the same error shape', async () => {
    const { sim } = startSim();
    const failed = await call(sim, 'echo-v2', { query: 'throw=1' });
    expect(failed.status).toBe(502);
    expect(JSON.parse(failed.text)).toEqual({ errorType: 'RangeError', errorMessage: 'v2 handler failed' });
  });

  for (const [mode, outcome, message] of [
    ['crash', 'crash', 'uncaught in a callback'],
    ['exit', 'crash', 'exit status 3'],
  ] as const) {
    it(`${mode === 'crash' ? 'an uncaught exception' : 'process.exit'} kills the container: the next request cold-starts, other containers keep their state`, async () => {
      const { sim } = startSim();
      const [bad, good] = await Promise.all([call(sim, 'modes', { query: `mode=${mode}` }), call(sim, 'modes')]);
      expect(bad.result.containerId).not.toBe(good.result.containerId);
      expect(bad.status).toBe(502);
      expect(bad.report.outcome).toBe(outcome);
      expect(bad.report.errorMessage).toContain(message);
      expect(JSON.parse(bad.text).errorType).toBe('Runtime.ExitError');
      // Two concurrent requests: one lands in the reset container (cold, count 1), one in the untouched one (warm, count 2).
      expect(await twoConcurrentCalls(sim)).toEqual({
        [bad.result.containerId]: { cold: true, count: 1 },
        [good.result.containerId]: { cold: false, count: 2 },
      });
    });
  }

  it('exceeding the memory limit kills the container (out-of-memory): the next request cold-starts, other containers keep their state', async () => {
    const { sim } = startSim({ memoryLimitMb: 48 });
    const [oom, good] = await Promise.all([call(sim, 'modes', { query: 'mode=oom' }), call(sim, 'modes')]);
    expect(oom.status).toBe(502);
    expect(oom.report.outcome).toBe('out-of-memory');
    expect(JSON.parse(oom.text).errorType).toBe('Runtime.OutOfMemory');
    expect(await twoConcurrentCalls(sim)).toEqual({
      [oom.result.containerId]: { cold: true, count: 1 },
      [good.result.containerId]: { cold: false, count: 2 },
    });
  });

  it('an init error (module top level throws) is reported as such, on every attempt, and other functions keep serving', async () => {
    const { sim } = startSim();
    const warm = await call(sim, 'modes');
    for (let attempt = 0; attempt < 2; attempt++) {
      const failed = await call(sim, 'init-error');
      expect(failed.status).toBe(502);
      expect(JSON.parse(failed.text)).toEqual({ errorType: 'Error', errorMessage: 'cannot initialise: missing configuration' });
      expect(failed.report).toMatchObject({ outcome: 'init-error', coldStart: true });
    }
    const still = await call(sim, 'modes');
    expect([still.result.containerId, still.result.coldStart, json(still).count]).toEqual([warm.result.containerId, false, 2]);
  });

  it('a timeout ends the invocation with "Task timed out", resets the container and keeps its /tmp', async () => {
    const { sim, clock } = startSim({ timeoutMs: 2000 });
    const warm = await call(sim, 'modes');
    const started = whenStarted();
    const hanging = sim.invoke('modes', request('modes', { query: 'mode=hang' }), { onStart: started.onStart });
    expect(await started.containerId).toBe(warm.result.containerId);
    // Only the clock decides: one millisecond short of the limit, the invocation is still running.
    clock.advance(1999);
    expect(sim.containers()[0]?.state).toBe('busy');
    clock.advance(1);
    const result = await hanging;
    expect(result.response.status).toBe(502);
    expect(((await result.response.json()) as { errorMessage: string }).errorMessage).toMatch(/ Task timed out after 2\.00 seconds$/);
    expect(await result.done).toMatchObject({ outcome: 'timeout', pendingAtFreeze: [] });
    const after = await call(sim, 'modes');
    expect(after.result.containerId).toBe(warm.result.containerId);
    expect(after.result.coldStart).toBe(true);
    // A reset is a new module instance (count back to 1) in the same environment (same /tmp).
    expect(json(after)).toMatchObject({ count: 1, tmpdir: json(warm).tmpdir });
    expect(existsSync(json(warm).tmpdir as string)).toBe(true);
  });

  it('a timeout in one container does not disturb another', async () => {
    const { sim, clock } = startSim({ timeoutMs: 2000 });
    const started = whenStarted();
    const hanging = sim.invoke('modes', request('modes', { query: 'mode=hang' }), { onStart: started.onStart });
    const hungId = await started.containerId;
    const other = await call(sim, 'modes');
    expect(other.result.containerId).not.toBe(hungId);
    clock.advance(2000);
    expect((await (await hanging).done).outcome).toBe('timeout');
    const after = await Promise.all([call(sim, 'modes'), call(sim, 'modes')]);
    const counts = Object.fromEntries(after.map((c) => [c.result.containerId, json(c).count]));
    expect(counts).toEqual({ [hungId]: 1, [other.result.containerId]: 2 });
  });
});

describe('freeze, thaw and pending work', () => {
  it('reports an un-awaited node:http request and a live timer as pending at freeze, with the request that started them', async () => {
    const sink = await recordingServer();
    const { sim } = startSim({ env: { SINK_URL: sink.url } });
    const first = await call(sim, 'leaves-work', { query: 'timer=1' });
    expect(first.report.pendingAtFreeze).toEqual(
      expect.arrayContaining([
        { kind: 'http-request', method: 'POST', url: `${sink.url}/leaves-work`, requestId: first.result.requestId },
        { kind: 'timer', delayMs: 30_000, timerApi: 'setTimeout', requestId: first.result.requestId },
      ]),
    );
    expect(sink.requests).toHaveLength(0); // frozen mid-flight: nothing reached the sink
    expect(sim.containers()[0]?.lastPendingAtFreeze).toEqual(first.report.pendingAtFreeze);

    const second = await call(sim, 'leaves-work');
    // Thawed by the second invocation, the first request finally went out.
    expect(sink.requests.map((r) => r.body)).toContain('{"count":1}');
    expect(second.report.pendingAtFreeze.filter((w) => w.kind === 'http-request')).toEqual([
      { kind: 'http-request', method: 'POST', url: `${sink.url}/leaves-work`, requestId: second.result.requestId },
    ]);
  });

  it('a v2 response goes out at once, and the container freezes only after waitUntil settled', async () => {
    const sink = await recordingServer();
    let release!: () => void;
    sink.script(() => ({ kind: 'respond', status: 200, until: new Promise<void>((resolve) => (release = resolve)) }));
    const { sim } = startSim({ env: { SINK_URL: sink.url } });
    const result = await sim.invoke('wait-until', request('wait-until'));
    expect(await result.response.text()).toBe('answered');
    await sink.waitForRequests(1); // the waitUntil work is running although the response is complete
    expect(sim.containers()[0]?.state).toBe('busy');
    release();
    expect(await result.done).toMatchObject({ outcome: 'ok', pendingAtFreeze: [] });
    expect(sim.containers()[0]?.state).toBe('frozen');
  });
});

describe('pool', () => {
  it('a client that sends its next request as soon as it has read a response finds the same container free', async () => {
    const { sim } = startSim();
    for (const name of ['modes', 'echo-v2']) {
      const seen: Array<[string, boolean]> = [];
      for (let i = 0; i < 3; i++) {
        const result = await sim.invoke(name, request(name)); // never waits for `done`
        await result.response.text();
        seen.push([result.containerId, result.coldStart]);
      }
      const id = seen[0]?.[0];
      expect(seen).toEqual([
        [id, true],
        [id, false],
        [id, false],
      ]);
    }
  });

  it('reaps each idle container idleTimeoutMs after its own last invocation, oldest first', async () => {
    const { sim, clock } = startSim({ idleTimeoutMs: 10_000 });
    const [a, b] = await Promise.all([call(sim, 'modes'), call(sim, 'modes')]);
    const ids = [a.result.containerId, b.result.containerId];
    clock.advance(4000);
    const again = await call(sim, 'modes'); // the most recently used container takes it, and is idle again from t=4000
    const older = ids.find((id) => id !== again.result.containerId);
    const live = (): string[] => sim.containers().map((c) => c.id).sort();
    clock.advance(5999);
    expect(live()).toEqual([...ids].sort());
    clock.advance(1); // t=10000: the container idle since t=0 goes, the other stays
    expect(live()).toEqual([again.result.containerId]);
    expect(older).toBeDefined();
    clock.advance(3999);
    expect(live()).toEqual([again.result.containerId]);
    clock.advance(1); // t=14000
    expect(live()).toEqual([]);
    // A container taken and released again starts a new idle period.
    const fresh = await call(sim, 'modes');
    clock.advance(9999);
    await call(sim, 'modes');
    clock.advance(9999);
    expect(live()).toEqual([fresh.result.containerId]);
    clock.advance(1);
    expect(live()).toEqual([]);
  });

  it('times an invocation out at its own deadline, not at the deadline of one before it', async () => {
    const { sim, clock } = startSim({ timeoutMs: 2000 });
    await call(sim, 'modes'); // t=0: its deadline would have been t=2000
    clock.advance(1500);
    const started = whenStarted();
    const hanging = sim.invoke('modes', request('modes', { query: 'mode=hang' }), { onStart: started.onStart });
    await started.containerId;
    let answered = false;
    void hanging.then(() => (answered = true));
    const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    clock.advance(500); // t=2000
    await settle();
    expect(answered).toBe(false);
    clock.advance(1499); // t=3499
    await settle();
    expect(answered).toBe(false);
    clock.advance(1); // t=3500 = 1500 + 2000
    const result = await hanging;
    expect(result.response.status).toBe(502);
    expect((await result.done).outcome).toBe('timeout');
  });

  it('throttles with 429 beyond maxConcurrency without touching a container', async () => {
    const { sim, clock } = startSim({ maxConcurrency: 1, timeoutMs: 1000 });
    const started = whenStarted();
    const busy = sim.invoke('modes', request('modes', { query: 'mode=hang' }), { onStart: started.onStart });
    await started.containerId;
    const throttled = await call(sim, 'modes');
    expect(throttled.status).toBe(429);
    expect(throttled.report.outcome).toBe('throttled');
    expect(sim.containers()).toHaveLength(1);
    clock.advance(1000);
    await (await busy).done;
    expect((await call(sim, 'modes')).status).toBe(200);
  });

  it('calls onEnd with the report before done resolves: after a freeze, a timeout and a throttle', async () => {
    const { sim, clock } = startSim({ maxConcurrency: 1, timeoutMs: 1000 });
    const ends: string[] = [];
    const onEnd = (report: { requestId: string; outcome: string }): void => void ends.push(`${report.requestId} ${report.outcome}`);
    const warm = await sim.invoke('modes', request('modes'), { requestId: 'a', onEnd });
    // Synchronous with the freeze: it has run before anyone awaiting done resumes.
    const seenAtDone = await warm.done.then(() => [...ends]);
    expect(seenAtDone).toEqual(['a ok']);
    const started = whenStarted();
    const hanging = sim.invoke('modes', request('modes', { query: 'mode=hang' }), { requestId: 'b', onEnd, onStart: started.onStart });
    await started.containerId;
    const throttled = await sim.invoke('modes', request('modes'), { requestId: 'c', onEnd });
    expect(throttled.response.status).toBe(429);
    expect(ends).toEqual(['a ok', 'c throttled']);
    clock.advance(1000);
    const timedOut = await (await hanging).done;
    expect(timedOut.outcome).toBe('timeout');
    expect(ends).toEqual(['a ok', 'c throttled', 'b timeout']);
    // A caller's onEnd that throws costs nothing but its own call: done resolves, the container is free.
    const thrower = await sim.invoke('modes', request('modes'), { requestId: 'd', onEnd: () => { throw new Error('caller bug'); } });
    expect((await thrower.done).outcome).toBe('ok');
    expect((await sim.invoke('modes', request('modes'), { requestId: 'e', onEnd })).response.status).toBe(200);
    expect(ends.at(-1)).toBe('e ok');
  });

  it('handlers see the simulator clock through Date, at init and on every invocation', async () => {
    const { sim, clock } = startSim({ clock: undefined });
    clock.set(Date.UTC(2030, 5, 1));
    const first = json<{ now: number }>(await call(sim, 'modes'));
    expect(new Date(first.now).getUTCFullYear()).toBe(2030);
    clock.advance(86_400_000);
    const second = json<{ now: number }>(await call(sim, 'modes'));
    expect(second.now - first.now).toBeGreaterThanOrEqual(86_400_000);
    expect(new Date(second.now).toISOString().slice(0, 10)).toBe('2030-06-02');
  });
});

describe('background functions', () => {
  it('a -background function answers 202 at once and keeps working, for up to 15 minutes by the clock', async () => {
    const sink = await recordingServer();
    let release!: () => void;
    sink.script(() => ({ kind: 'respond', status: 200, until: new Promise<void>((r) => (release = r)) }));
    const { sim, clock } = startSim({ env: { SINK_URL: sink.url } });
    const result = await sim.invoke('slow-background', request('slow-background', { method: 'POST' }));
    expect([result.response.status, await result.response.text()]).toEqual([202, '']);
    await sink.waitForRequests(1);
    clock.advance(60_000); // past the synchronous limit: a background function is not timed out yet
    expect(sim.containers()[0]?.state).toBe('busy');
    release();
    expect(await result.done).toMatchObject({ outcome: 'ok', pendingAtFreeze: [] });
  });
});

describe('lifecycle', () => {
  it('close() drains an invocation in flight, then leaves no containers, timers or temp dirs', async () => {
    const { sim, clock } = startSim();
    await call(sim, 'modes');
    const inFlight = await sim.invoke('modes', request('modes'));
    const tmpRoot = sim.tmpRoot;
    await sim.close();
    expect((await inFlight.done).outcome).toBe('ok');
    expect(sim.containers()).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
    expect(existsSync(tmpRoot)).toBe(false);
    await expect(sim.invoke('modes', request('modes'))).rejects.toMatchObject({ code: 'SIMULATOR_CLOSED' });
  });

  it('destroy() stops at once: a hanging invocation ends, nothing is left behind', async () => {
    const { sim, clock } = startSim();
    const started = whenStarted();
    const hanging = sim.invoke('modes', request('modes', { query: 'mode=hang' }), { onStart: started.onStart });
    await started.containerId;
    // Handled before destroy() runs: the invocation fails while destroy() is still stopping the rest.
    const failed = expect(hanging).rejects.toBeInstanceOf(SimError);
    await sim.destroy();
    await failed;
    expect(sim.containers()).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
    expect(existsSync(sim.tmpRoot)).toBe(false);
  });

  it('refresh() after a code change: new requests get a fresh container, the old one is stopped', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sim-refresh-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await cp(path.join(FIXTURES_DIR, 'modes.ts'), path.join(dir, 'counter.ts'));
    const { sim } = startSim({ functionsDir: dir });
    const before = await sim.functions();
    await call(sim, 'counter');
    const warm = await call(sim, 'counter');
    expect(json(warm).count).toBe(2);
    expect(await sim.refresh()).toEqual([]);
    await writeFile(path.join(dir, 'counter.ts'), 'let n = 100;\nexport const handler = async () => ({ statusCode: 200, body: JSON.stringify({ count: ++n }) });\n');
    expect(await sim.refresh()).toEqual(['counter']);
    const after = await call(sim, 'counter');
    expect(after.result.coldStart).toBe(true);
    expect(after.result.containerId).not.toBe(warm.result.containerId);
    expect(json(after).count).toBe(101);
    expect(sim.containers().map((c) => c.id)).toEqual([after.result.containerId]);
    expect((await sim.functions())[0]?.bundleHash).not.toBe(before[0]?.bundleHash);
  });

  it('rejects unknown functions and bad options with typed errors', async () => {
    const { sim } = startSim();
    await expect(sim.invoke('nope', request('nope'))).rejects.toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
    expect(() => new Simulator({ functionsDir: FIXTURES_DIR, idleTimeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });
});
