import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { invokeV1 } from '../fixtures/invoke.ts';
import { startRecordingServer, type RecordingServer } from '../fixtures/recording-server.ts';
import { startSendDataSink } from '../fixtures/send-data-sink.ts';

type Module = typeof import('../../functions/send-data-unawaited.ts');

const post = (body: string) => ({ method: 'POST', body, headers: { 'content-type': 'application/json' } });

// In-process nothing freezes, so the request always completes eventually (as under netlify dev).
// What is observable here: the 200 comes before (and regardless of) the destination's answer.
// The freeze itself is shown by the container simulator's suites.
describe('send-data-unawaited (the article bug, in-process)', () => {
  let sink: RecordingServer;
  let mod: Module;
  beforeEach(async () => {
    sink = await startSendDataSink();
    mod = await import('../../functions/send-data-unawaited.ts');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('answers 200 OK before the destination has even received the request', async () => {
    const res = await invokeV1(mod.handler, post('{"n":1}'));
    expect(res).toMatchObject({ statusCode: 200, body: 'OK' });
    expect(sink.requests).toHaveLength(0); // the handler is done; the delivery is still in flight
    const [delivered] = await sink.waitForRequests(1);
    expect(delivered).toMatchObject({ method: 'POST', url: '/collect', body: '{"n":1}' });
    expect(delivered?.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 200 OK even when the destination refuses: the failure only reaches the logs', async () => {
    sink.script(() => ({ kind: 'respond', status: 400 }));
    const logged = new Promise<unknown[]>((resolve) => {
      vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => resolve(args));
    });
    const res = await invokeV1(mod.handler, post('{"n":1}'));
    expect(res.statusCode).toBe(200);
    const [line, error] = await logged;
    expect(line).toContain('delivery failed after the response was sent');
    expect(error).toMatchObject({ code: 'DESTINATION_REFUSED' });
  });

  it('answers 200 OK even when the destination is unreachable', async () => {
    const gone = await startRecordingServer();
    await gone.close();
    vi.stubEnv('SEND_DATA_URL', gone.url);
    const logged = new Promise<unknown[]>((resolve) => {
      vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => resolve(args));
    });
    expect((await invokeV1(mod.handler, post('{"n":1}'))).statusCode).toBe(200);
    expect((await logged)[1]).toMatchObject({ code: 'DESTINATION_UNREACHABLE' });
  });

  it('refuses with 500 MISCONFIGURED before answering when no destination is set', async () => {
    vi.stubEnv('SEND_DATA_URL', '');
    vi.stubEnv('URL', '');
    const res = await invokeV1(mod.handler, post('{"n":1}'));
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'MISCONFIGURED', message: 'No destination: set SEND_DATA_URL or URL.' } });
  });

  it.each([
    { name: 'GET', call: { method: 'GET' }, status: 405, code: 'METHOD_NOT_ALLOWED' },
    { name: 'malformed JSON', call: post('{'), status: 400, code: 'INVALID_JSON' },
    { name: 'a JSON array', call: post('[]'), status: 400, code: 'NOT_A_JSON_OBJECT' },
    { name: 'a body over 64 KiB', call: post(JSON.stringify({ p: 'x'.repeat(64 * 1024) })), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  ])('still refuses bad input up front: $status $code for $name', async ({ call, status, code }) => {
    const res = await invokeV1(mod.handler, call);
    expect(res.statusCode).toBe(status);
    expect(JSON.parse(res.body)).toEqual({ error: { code, message: expect.any(String) } });
    expect(sink.requests).toHaveLength(0);
  });
});
