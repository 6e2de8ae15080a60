/**
 * Items 3, 7, 8, 9 and 10 against the real `npm start` stack: undeliverable payloads refused before
 * any answer, client timeouts, the burst policy, /__sim exposure, and the sink token.
 */
import { describe, expect, it, onTestFailed } from 'vitest';
import { resolveSite } from '../../src/site/site.ts';
import { repoRoot, sharedTestServer, startGate, startTestServer } from '../server/helpers.ts';
import { errorCode, rawExchange, reliabilitySite } from './helpers.ts';

const deep = `{"a":${'['.repeat(32_000)}${']'.repeat(32_000)}}`;

describe('undeliverable payloads (item 3)', () => {
  it.each(['send-data', 'send-data-wait-until', 'send-data-unawaited'])('%s answers 400 UNDELIVERABLE_PAYLOAD to a 32,000-deep object, and nothing reaches collect', async (name) => {
    const { url, log } = await startTestServer();
    expect(deep.length).toBeLessThan(64 * 1024);
    const res = await fetch(`${url}/api/${name}`, { method: 'POST', body: deep, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(errorCode(await res.text())).toBe('UNDELIVERABLE_PAYLOAD');
    // The refusal came first: the invocation froze with nothing pending and collect holds nothing.
    await log.waitFor(/^REPORT RequestId: r1\s/);
    expect(log.matching(/pending/)).toEqual([]);
    expect(((await (await fetch(`${url}/api/collect`)).json()) as { items: unknown[] }).items).toEqual([]);
  });
});

describe('client timeouts (item 7)', () => {
  // One server for both: each stalls its own connection, and nothing the first does starts an
  // invocation the second would see in the log (see sharedTestServer).
  const server = sharedTestServer({ http: { timeouts: { headersMs: 200, requestMs: 400 } } });

  it('headers that trickle in too slowly (slowloris) get 408 REQUEST_TIMEOUT in JSON, and the connection closes', async () => {
    const { url } = server();
    const answer = await rawExchange(url, 'GET /api/hello-world HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(answer.status).toBe(408);
    expect(errorCode(answer.body)).toBe('REQUEST_TIMEOUT');
    expect(answer.closedByServer).toBe(true);
  });

  it('a body that stops arriving gets 408 REQUEST_TIMEOUT once the request bound passes', async () => {
    const { url, log } = server();
    const answer = await rawExchange(url, 'POST /api/send-data HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{');
    expect(answer.status).toBe(408);
    expect(errorCode(answer.body)).toBe('REQUEST_TIMEOUT');
    // Nothing was invoked for it.
    expect(log.matching(/^START/)).toEqual([]);
  });
});

describe('burst policy (item 8)', () => {
  it('runs at most the limit per function, queues the next ones, throttles past the queue like Lambda (429), and says why once', async () => {
    const { url, log } = await startTestServer({ rootDir: reliabilitySite, http: { functionConcurrency: 2, queueLength: 3 } });
    onTestFailed(() => console.log(log.lines.join('\n')));
    const gate = await startGate();
    const requests = Array.from({ length: 7 }, () => fetch(`${url}/api/gate`, { headers: { 'x-gate': gate.url } }));
    await gate.arrived(2);
    // Two run, three wait, two are refused at once.
    const refused = await Promise.all(requests.slice(5));
    for (const res of refused) {
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(errorCode(await res.text())).toBe('THROTTLED');
    }
    const containers = (await (await fetch(`${url}/__sim/containers`)).json()) as { functions: { gate: { containers: unknown[] } } };
    expect(containers.functions.gate.containers).toHaveLength(2);
    gate.release();
    const served = await Promise.all(requests.slice(0, 5));
    expect(served.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
    // Still two containers: the queued requests waited for them instead of starting more.
    const after = (await (await fetch(`${url}/__sim/containers`)).json()) as { functions: { gate: { containers: unknown[] } } };
    expect(after.functions.gate.containers).toHaveLength(2);
    const explained = log.matching(/reached 2 concurrent invocations/);
    expect(explained).toHaveLength(1);
    expect(explained[0]).toContain('SIM_FUNCTION_CONCURRENCY');
  });
});

describe('/__sim exposure (item 9)', () => {
  it('answers loopback clients, and warns at startup when listening beyond loopback', async () => {
    const { url, log } = await startTestServer({ host: '0.0.0.0' });
    expect(log.matching(/WARN listening on 0\.0\.0\.0, beyond this machine: .*\/__sim\/\* stays loopback-only \(SIM_EXPOSE=1 opens it\)/)).toHaveLength(1);
    expect((await fetch(`${url.replace('localhost', '127.0.0.1')}/__sim/containers`)).status).toBe(200);
    const local = await startTestServer();
    expect(local.log.matching(/beyond this machine/)).toEqual([]);
  });
});

describe('the sink token (item 10)', () => {
  it('with SINK_TOKEN set, send-data delivers (it sends the token) while a direct POST without it gets 401', async () => {
    // The site's environment (a `.env` file, or the Netlify UI once deployed), as functions get it.
    const site = await resolveSite(repoRoot);
    site.env.functions.SINK_TOKEN = 'reliability-token';
    const { url } = await startTestServer({ site });
    const sent = await fetch(`${url}/api/send-data`, { method: 'POST', body: '{"ok":1}', headers: { 'idempotency-key': 'tok-1' } });
    expect(await sent.text()).toBe('OK');
    const direct = await fetch(`${url}/api/collect`, { method: 'POST', body: '{"evil":1}' });
    expect(direct.status).toBe(401);
    expect(errorCode(await direct.text())).toBe('UNAUTHORIZED');
    const listed = await fetch(`${url}/api/collect`, { headers: { authorization: 'Bearer reliability-token' } });
    expect(((await listed.json()) as { items: Array<{ idempotencyKey: string }> }).items.map((item) => item.idempotencyKey)).toEqual(['tok-1']);
  });
});
