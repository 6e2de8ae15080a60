/**
 * Items 5, 6 and 7: shutdown loses nothing acknowledged (waitUntil deliveries to this server are still
 * served while it drains), says which work dies with each container it stops or reaps, and is not held
 * by a stalled client.
 */
import { describe, expect, it, onTestFailed, vi } from 'vitest';
import { fetchFromAnotherProcess, rawFromAnotherProcess, startGate, startTestServer, tempDir } from '../server/helpers.ts';
import { errorCode, reliabilitySite } from './helpers.ts';

interface Items {
  items: Array<{ payload: unknown; idempotencyKey: string }>;
}

describe('shutdown', () => {
  it('keeps serving the containers’ own deliveries until waitUntil work drained: every acknowledged payload is stored', async () => {
    const blobsDirectory = await tempDir('reliability-blobs-');
    const { url, running, log } = await startTestServer({ rootDir: reliabilitySite, blobsDirectory });
    onTestFailed(() => console.log(log.lines.join('\n')));
    const gate = await startGate();
    const acknowledged: string[] = [];
    for (let i = 0; i < 5; i++) {
      const key = `item-${i}`;
      const res = await fetch(`${url}/api/relay`, { method: 'POST', body: JSON.stringify({ i }), headers: { 'x-gate': gate.url, 'idempotency-key': key } });
      expect(await res.text()).toBe('OK');
      acknowledged.push(key);
    }
    await gate.arrived(5);
    const closing = running.close();
    // Outside requests are refused once shutdown began.
    const refused = await fetchFromAnotherProcess(`${url}/api/relay`, { method: 'POST', body: '{}' });
    expect(refused).toEqual({ status: 503, body: expect.stringContaining('"code":"SERVER_CLOSING"') });
    // Only now are the held deliveries let go: the server still serves them, as its containers' own calls.
    gate.release();
    await closing;
    expect(log.matching(/^drained in \d+ ms/)).toHaveLength(1);
    // Read what was stored, from a fresh server on the same Blobs directory.
    const after = await startTestServer({ rootDir: reliabilitySite, blobsDirectory });
    const stored = (await (await fetch(`${after.url}/api/collect`)).json()) as Items;
    expect(stored.items.map((item) => item.idempotencyKey).sort()).toEqual(acknowledged);
  });

  it('warns, per container, about the work that dies with it: at shutdown and when reaped', async () => {
    const { url, running, clock, log } = await startTestServer();
    const first = await fetch(`${url}/api/send-data-unawaited`, { method: 'POST', body: '{"n":1}' });
    expect(first.status).toBe(200);
    await log.waitFor(/froze with 1 pending request/);
    // Reaping: the idle timeout passes on the simulator's clock.
    clock.advance(600_000);
    const reaped = await log.waitFor(/WARN \[send-data-unawaited \S+\] reaped with work that is lost with it/);
    expect(reaped).toMatch(/lost with it: POST http:\/\/127\.0\.0\.1:\d+\/\.netlify\/functions\/collect \(request r1\)/);
    // Shutdown: a second container, frozen with its delivery pending, is stopped.
    const second = await fetch(`${url}/api/send-data-unawaited`, { method: 'POST', body: '{"n":2}' });
    expect(second.status).toBe(200);
    const secondId = second.headers.get('x-nf-request-id');
    await log.waitFor(new RegExp(`froze with 1 pending request .* from request ${secondId}`));
    await running.close();
    const closed = log.matching(/WARN \[send-data-unawaited \S+\] closed with work that is lost with it/);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toContain(`(request ${secondId})`);
  });

  it('a client that sent 1 of 100 promised body bytes does not hold shutdown: it gets 503 and is closed', async () => {
    const { url, running } = await startTestServer();
    const stalled = rawFromAnotherProcess(url, 'POST /api/send-data HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{');
    await stalled.started;
    // Let the request reach the server (its head is parsed, its body is awaited).
    await vi.waitFor(() => expect(running.server.load.receiving).toBe(1));
    await running.close();
    const raw = await stalled.answer;
    expect(raw).toMatch(/^HTTP\/1\.1 503 /);
    expect(errorCode(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toBe('SERVER_CLOSING');
  });
});

describe('the shutdown WARN names a pending timer by its API', () => {
  it('lists a frozen timers/promises sleep as such, with its delay and request id', async () => {
    const { url, running, log } = await startTestServer({ rootDir: reliabilitySite });
    const res = await fetch(`${url}/api/sleeper`);
    expect(await res.text()).toBe('ok');
    await log.waitFor(/froze with 1 pending timer/);
    await running.close();
    const closed = log.matching(/WARN \[sleeper \S+\] closed with work that is lost with it/);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatch(/lost with it: timers\/promises\.setTimeout of 60000 ms \(request r1\)/);
  });
});
