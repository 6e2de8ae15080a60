import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { v2Context } from '../fixtures/invoke.ts';
import type { RecordingServer } from '../fixtures/recording-server.ts';
import { startSendDataSink } from '../fixtures/send-data-sink.ts';

type Module = typeof import('../../functions/send-data-wait-until.ts');

describe('send-data-wait-until (v2, the platform fix)', () => {
  let sink: RecordingServer;
  let handler: Module['default'];
  beforeEach(async () => {
    sink = await startSendDataSink();
    handler = (await import('../../functions/send-data-wait-until.ts')).default;
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  const post = (body: string, headers: Record<string, string> = {}): Request =>
    new Request('http://localhost/api/send-data-wait-until', { method: 'POST', body, headers });

  it('answers 200 OK at once and hands the delivery to context.waitUntil', async () => {
    let acknowledge!: () => void;
    sink.script(() => ({ kind: 'respond', status: 201, until: new Promise<void>((r) => (acknowledge = r)) }));
    const { context, waitedOn } = v2Context();
    const res = await handler(post('{"n":1}', { 'idempotency-key': 'w-1' }), context);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK');
    expect(waitedOn).toHaveLength(1);

    // The platform keeps the function alive until this settles; it settles only after the acknowledgement.
    let settled = false;
    const kept = waitedOn[0]?.then(() => (settled = true));
    await sink.waitForRequests(1);
    expect(settled).toBe(false);
    acknowledge();
    await kept;
    expect(sink.requests[0]).toMatchObject({ body: '{"n":1}', headers: { 'idempotency-key': 'w-1' } });
  });

  it('logs a failed delivery; the waitUntil promise settles without rejecting', async () => {
    sink.script(() => ({ kind: 'respond', status: 500 }));
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { context, waitedOn } = v2Context();
    expect((await handler(post('{"n":1}'), context)).status).toBe(200);
    await expect(waitedOn[0]).resolves.toBeUndefined();
    expect(error).toHaveBeenCalledWith('send-data-wait-until: delivery failed', expect.objectContaining({ code: 'DESTINATION_REFUSED' }));
    expect(sink.requests).toHaveLength(3);
  });

  it('refuses with 500 MISCONFIGURED, and waits on nothing, when no destination is set', async () => {
    vi.stubEnv('SEND_DATA_URL', '');
    vi.stubEnv('URL', '');
    const { context, waitedOn } = v2Context();
    const res = await handler(post('{"n":1}'), context);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'MISCONFIGURED', message: expect.any(String) } });
    expect(waitedOn).toHaveLength(0);
  });

  it.each([
    { name: 'GET', req: () => new Request('http://localhost/x'), status: 405, code: 'METHOD_NOT_ALLOWED' },
    { name: 'malformed JSON', req: () => post('{"a"'), status: 400, code: 'INVALID_JSON' },
    { name: 'a number', req: () => post('42'), status: 400, code: 'NOT_A_JSON_OBJECT' },
    { name: 'a body over 64 KiB', req: () => post(`{"p":"${'x'.repeat(64 * 1024)}"}`), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  ])('refuses bad input with $status $code for $name, and waits on nothing', async ({ req, status, code }) => {
    const { context, waitedOn } = v2Context();
    const res = await handler(req(), context);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error: { code, message: expect.any(String) } });
    expect(waitedOn).toHaveLength(0);
  });
});
