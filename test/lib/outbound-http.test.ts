import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { sendJson, type SendJsonOptions } from '../../src/lib/outbound-http.ts';
import { startRecordingServer, type RecordingServer } from '../fixtures/recording-server.ts';

describe('sendJson (against a real server on port 0)', () => {
  let sink: RecordingServer;
  let base: SendJsonOptions;
  beforeEach(async () => {
    sink = await startRecordingServer();
    onTestFinished(() => sink.close());
    base = {
      url: `${sink.url}/in?x=1`,
      payload: { a: 1 },
      idempotencyKey: 'key-1',
      deadlineMs: 5_000,
      maxAttempts: 3,
      retryBaseDelayMs: 1,
      connectTimeoutMs: 1_000,
    };
  });

  it('POSTs the JSON with its Idempotency-Key and reports the acknowledgement', async () => {
    sink.script(() => ({ kind: 'respond', status: 202 }));
    expect(await sendJson(base)).toEqual({ status: 202, attempts: 1, idempotencyKey: 'key-1' });
    expect(sink.requests[0]).toMatchObject({
      method: 'POST',
      url: '/in?x=1',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'key-1' },
    });
  });

  it('reuses keep-alive connections across calls (the module-scope agent a warm container keeps)', async () => {
    for (let i = 0; i < 6; i++) await sendJson({ ...base, idempotencyKey: `key-${i}` });
    expect(sink.requests).toHaveLength(6);
    // undici may open a second socket while the first is being released, but it does not open one per call.
    expect(new Set(sink.requests.map((r) => r.remotePort)).size).toBeLessThan(6);
  });

  it('retries 5xx and connection drops with the same key and body until acknowledged', async () => {
    sink.script((r) => (r.index === 0 ? { kind: 'respond', status: 500 } : r.index === 1 ? { kind: 'destroy' } : undefined));
    expect(await sendJson(base)).toMatchObject({ status: 200, attempts: 3 });
    expect(sink.requests.map((r) => [r.headers['idempotency-key'], r.body])).toEqual([
      ['key-1', '{"a":1}'],
      ['key-1', '{"a":1}'],
      ['key-1', '{"a":1}'],
    ]);
  });

  it('gives up after maxAttempts with DESTINATION_REFUSED, naming the last status', async () => {
    sink.script(() => ({ kind: 'respond', status: 502 }));
    await expect(sendJson({ ...base, maxAttempts: 2 })).rejects.toMatchObject({
      code: 'DESTINATION_REFUSED',
      message: 'The destination answered 502.',
    });
    expect(sink.requests).toHaveLength(2);
  });

  it('does not retry a 4xx: the payload itself was refused', async () => {
    sink.script(() => ({ kind: 'respond', status: 422 }));
    await expect(sendJson(base)).rejects.toMatchObject({ code: 'DESTINATION_REFUSED' });
    expect(sink.requests).toHaveLength(1);
  });

  it('reports DEADLINE_EXCEEDED when the deadline passes during a backoff wait', async () => {
    sink.script(() => ({ kind: 'respond', status: 503 }));
    await expect(sendJson({ ...base, deadlineMs: 150, retryBaseDelayMs: 60_000 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    expect(sink.requests).toHaveLength(1);
  });

  it('reports DEADLINE_EXCEEDED when the destination hangs', async () => {
    sink.script(() => ({ kind: 'hang' }));
    await expect(sendJson({ ...base, deadlineMs: 150 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('reports DESTINATION_UNREACHABLE after retrying a refused connection', async () => {
    const gone = await startRecordingServer();
    await gone.close();
    await expect(sendJson({ ...base, url: gone.url })).rejects.toMatchObject({
      code: 'DESTINATION_UNREACHABLE',
      message: expect.stringContaining('after 3 attempt(s) (ECONNREFUSED)'),
    });
  });

  it.each(['not a url', 'ftp://example.com/x'])('refuses %j as MISCONFIGURED before sending anything', async (url) => {
    await expect(sendJson({ ...base, url })).rejects.toMatchObject({ code: 'MISCONFIGURED' });
  });
});
