import { describe, expect, it } from 'vitest';
import { decodeFrozen, encodeFrozen, isFrozenWire, type FrozenMessage } from '../../src/sim/freeze-wire.ts';
import { decodeInvocation, encodeInvocation, InvalidRequestHeadersError, redispatch } from '../../src/sim/invoke-wire.ts';
import { startSim } from './helpers.ts';

const fields = { requestId: 'r7', nowMs: 1_000, deadlineMs: 31_000, clientIp: '10.0.0.7', geoHeader: 'e30=', siteId: 'site-1' };

describe('an invocation on the wire', () => {
  it('arrives as it was sent: method, URL, every header in order (cookies apart), body bytes and params', () => {
    const request = {
      method: 'POST',
      url: 'http://localhost:8888/api/x?a=1',
      headers: [
        ['accept', 'text/html, */*'],
        ['cookie', 'a=1; b=2'],
        ['set-cookie', 'x=1'],
        ['set-cookie', 'y=2'],
        ['x-empty', ''],
      ] as Array<[string, string]>,
      body: new Uint8Array([0, 255, 10]),
    };
    const decoded = decodeInvocation(structuredClone(encodeInvocation(request, { ...fields, params: { city: 'lisbon' } })));
    expect(decoded).toEqual({ ...fields, params: { city: 'lisbon' }, request });
  });

  it('carries a request without headers, body or params', () => {
    const request = { method: 'GET', url: 'http://h/f', headers: [], body: null };
    const decoded = decodeInvocation(encodeInvocation(request, fields));
    expect(decoded).toEqual({ ...fields, request });
    expect('params' in decoded).toBe(false);
  });

  it('refuses a hand-built header holding a line feed instead of shifting every header after it', () => {
    const request = { method: 'GET', url: 'http://h/f', headers: [['x-a', 'one\ntwo'], ['x-b', 'three']] as Array<[string, string]>, body: null };
    expect(() => decodeInvocation(encodeInvocation(request, fields))).toThrow(InvalidRequestHeadersError);
  });

  it('is dispatched again with a new time and deadline, the rest unchanged', () => {
    const wire = encodeInvocation({ method: 'GET', url: 'http://h/f', headers: [['a', 'b']], body: null }, fields);
    const again = decodeInvocation(redispatch(wire, 5_000, 35_000));
    expect([again.nowMs, again.deadlineMs, again.request.headers]).toEqual([5_000, 35_000, [['a', 'b']]]);
    expect(decodeInvocation(wire).nowMs).toBe(1_000);
  });
});

describe('a freeze on the wire', () => {
  const base = { type: 'frozen' as const, requestId: 'r7', durationMs: 1.5, maxMemoryUsedMb: 12 };

  it('brings back a v1 result, a v2 answer, or no final message, with the pending work', () => {
    const pending = [{ kind: 'http-request' as const, method: 'POST', url: 'http://h/collect', requestId: 'r6' }];
    const messages: FrozenMessage[] = [
      { ...base, pendingAtFreeze: [], final: { type: 'v1-response', requestId: 'r7', result: { statusCode: 200, headers: { a: 'b' }, body: 'ok' } } },
      { ...base, pendingAtFreeze: pending, final: { type: 'v2-complete', requestId: 'r7', status: 201, headers: [['x', 'y']], body: new Uint8Array([1, 2]) } },
      { ...base, pendingAtFreeze: pending },
    ];
    for (const message of messages) {
      const wire = structuredClone(encodeFrozen(message));
      expect(isFrozenWire(wire)).toBe(true);
      expect(decodeFrozen(wire)).toEqual(message);
    }
  });

  it('is told apart from the runtime’s other messages', () => {
    expect(isFrozenWire({ type: 'frozen' })).toBe(false);
    expect(isFrozenWire(['armed'])).toBe(false);
  });
});

describe('a hand-built request with a line feed in a header, through the simulator', () => {
  it('gets a 502 that names the cause, and the container serves the next request', async () => {
    const { sim } = startSim();
    const bad = await sim.invokeBuffered('echo-v1', { method: 'GET', url: 'http://localhost/.netlify/functions/echo-v1', headers: [['x-a', 'one\ntwo']], body: null });
    expect(bad.response.status).toBe(502);
    const report = await bad.done;
    expect(report.errorMessage).toContain('line feed');
    const good = await sim.invokeBuffered('echo-v1', { method: 'GET', url: 'http://localhost/.netlify/functions/echo-v1', headers: [['x-a', 'one']], body: null });
    expect(good.response.status).toBe(201);
    expect(good.containerId).toBe(bad.containerId);
    await good.done;
  });
});
