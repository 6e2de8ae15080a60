import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { startLocalBlobs } from '../../src/dev/local-blobs.ts';
import { invokeV1 } from '../fixtures/invoke.ts';
import { startRecordingServer, type RecordingServer } from '../fixtures/recording-server.ts';
import { startSendDataSink } from '../fixtures/send-data-sink.ts';
import { serveV2 } from '../fixtures/serve-v2.ts';

type SendDataModule = typeof import('../../functions/send-data.ts');

async function coldStart(): Promise<SendDataModule> {
  vi.resetModules();
  return import('../../functions/send-data.ts');
}

function post(body: string, headers: Record<string, string> = {}) {
  return { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } };
}

/** An address nothing listens on: a port 0 server's port, after it closed. */
async function closedPortUrl(): Promise<string> {
  const server = await startRecordingServer();
  await server.close();
  return `${server.url}/collect`;
}

describe('send-data', () => {
  let sink: RecordingServer;
  let mod: SendDataModule;
  beforeEach(async () => {
    sink = await startSendDataSink();
    mod = await coldStart();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  describe('delivery', () => {
    it('answers 200 OK only after the destination acknowledged the payload', async () => {
      let acknowledge!: () => void;
      const acknowledged = new Promise<void>((resolve) => (acknowledge = resolve));
      sink.script(() => ({ kind: 'respond', status: 201, until: acknowledged }));
      let settled = false;
      const pending = invokeV1(mod.handler, post('{"hello":"world"}')).finally(() => (settled = true));
      await sink.waitForRequests(1);
      expect(settled).toBe(false); // the destination has the request but has not answered: no 200 yet
      acknowledge();
      const res = await pending;
      expect(res).toMatchObject({ statusCode: 200, body: 'OK' });
      const [request] = sink.requests;
      expect(request).toMatchObject({ method: 'POST', url: '/collect', body: '{"hello":"world"}' });
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('sends Authorization: Bearer <SINK_TOKEN> when the site sets one, and none otherwise', async () => {
      await invokeV1(mod.handler, post('{"n":0}'));
      expect(sink.requests[0]?.headers.authorization).toBeUndefined();
      vi.stubEnv('SINK_TOKEN', 'tok-123');
      await invokeV1(mod.handler, post('{"n":1}'));
      expect(sink.requests[1]?.headers.authorization).toBe('Bearer tok-123');
    });

    it('retries a 429 (a throttled or queued-out destination) with the same key', async () => {
      sink.script((r) => (r.index === 0 ? { kind: 'respond', status: 429 } : undefined));
      const res = await invokeV1(mod.handler, post('{"n":2}'));
      expect(res.statusCode).toBe(200);
      expect(sink.requests).toHaveLength(2);
    });

    it('refuses a payload nested 32,000 deep with 400 UNDELIVERABLE_PAYLOAD and sends nothing', async () => {
      const res = await invokeV1(mod.handler, post(`{"a":${'['.repeat(32_000)}${']'.repeat(32_000)}}`));
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ error: { code: 'UNDELIVERABLE_PAYLOAD', message: expect.any(String) } });
      expect(sink.requests).toHaveLength(0);
    });

    it("forwards the client's Idempotency-Key, so a client retry is deduplicated too", async () => {
      await invokeV1(mod.handler, post('{"n":1}', { 'Idempotency-Key': 'order-42' }));
      expect(sink.requests[0]?.headers['idempotency-key']).toBe('order-42');
    });

    it('defaults the destination to ${URL}/.netlify/functions/collect', async () => {
      vi.stubEnv('SEND_DATA_URL', '');
      vi.stubEnv('URL', `${sink.url}/`);
      expect((await invokeV1(mod.handler, post('{"n":1}'))).statusCode).toBe(200);
      expect(sink.requests[0]?.url).toBe('/.netlify/functions/collect');
    });

    it('decodes a base64-encoded event body', async () => {
      const body = Buffer.from('{"b":64}').toString('base64');
      const res = await invokeV1(mod.handler, { ...post(body), isBase64Encoded: true });
      expect(res.statusCode).toBe(200);
      expect(sink.requests[0]?.body).toBe('{"b":64}');
    });

    it('accepts a body of exactly 64 KiB', async () => {
      const body = JSON.stringify({ pad: 'x'.repeat(64 * 1024 - 10) });
      expect(Buffer.byteLength(body)).toBe(64 * 1024);
      expect((await invokeV1(mod.handler, post(body))).statusCode).toBe(200);
      expect(sink.requests[0]?.body).toBe(body);
    });
  });

  describe('failures', () => {
    it('answers 502 DESTINATION_REFUSED on a 4xx, without retrying it', async () => {
      sink.script(() => ({ kind: 'respond', status: 400, body: '{"nope":true}' }));
      const res = await invokeV1(mod.handler, post('{"n":1}'));
      expect(res.statusCode).toBe(502);
      expect(JSON.parse(res.body)).toEqual({ error: { code: 'DESTINATION_REFUSED', message: 'The destination answered 400.' } });
      expect(sink.requests).toHaveLength(1);
    });

    it('retries a 5xx up to SEND_DATA_MAX_ATTEMPTS, then answers 502 DESTINATION_REFUSED', async () => {
      sink.script(() => ({ kind: 'respond', status: 503 }));
      const res = await invokeV1(mod.handler, post('{"n":1}'));
      expect(res.statusCode).toBe(502);
      expect(JSON.parse(res.body).error.code).toBe('DESTINATION_REFUSED');
      expect(sink.requests).toHaveLength(3);
      expect(new Set(sink.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    });

    it('answers 502 DESTINATION_UNREACHABLE when nothing listens at the destination', async () => {
      vi.stubEnv('SEND_DATA_URL', await closedPortUrl());
      const res = await invokeV1(mod.handler, post('{"n":1}'));
      expect(res.statusCode).toBe(502);
      const { error } = JSON.parse(res.body);
      expect(error.code).toBe('DESTINATION_UNREACHABLE');
      expect(error.message).toContain('ECONNREFUSED');
      expect(res.body).not.toContain('    at '); // no stack trace
    });

    it('answers 504 DEADLINE_EXCEEDED when the destination never answers within SEND_DATA_DEADLINE_MS', async () => {
      vi.stubEnv('SEND_DATA_DEADLINE_MS', '200');
      sink.script(() => ({ kind: 'hang' }));
      const res = await invokeV1(mod.handler, post('{"n":1}'));
      expect(res.statusCode).toBe(504);
      expect(JSON.parse(res.body).error.code).toBe('DEADLINE_EXCEEDED');
      expect(sink.requests).toHaveLength(1); // a hung request is not retried past the deadline
    });

    it('answers 500 MISCONFIGURED when neither SEND_DATA_URL nor URL is set', async () => {
      vi.stubEnv('SEND_DATA_URL', '');
      vi.stubEnv('URL', '');
      const res = await invokeV1(mod.handler, post('{"n":1}'));
      expect(res.statusCode).toBe(500);
      expect(JSON.parse(res.body).error.code).toBe('MISCONFIGURED');
    });
  });

  describe('retry without duplicates', () => {
    it('retries after a dropped connection with the same key and body', async () => {
      sink.script((r) => (r.index === 0 ? { kind: 'destroy' } : undefined));
      const res = await invokeV1(mod.handler, post('{"n":7}'));
      expect(res.statusCode).toBe(200);
      expect(sink.requests).toHaveLength(2);
      expect(sink.requests[1]?.headers['idempotency-key']).toBe(sink.requests[0]?.headers['idempotency-key']);
      expect(sink.requests[1]?.body).toBe(sink.requests[0]?.body);
    });

    it('stores the payload once in collect when the first acknowledgement is lost and the send is retried', async () => {
      const blobs = await startLocalBlobs();
      onTestFinished(() => blobs.close());
      vi.stubEnv('NETLIFY_BLOBS_CONTEXT', blobs.env.NETLIFY_BLOBS_CONTEXT);
      const collect = (await import('../../functions/collect.ts')).default;
      // collect stores the first POST, then the connection drops before its answer: send-data retries.
      const served = await serveV2(collect, { afterHandler: (i) => (i === 0 ? 'drop' : 'send') });
      onTestFinished(() => served.close());
      vi.stubEnv('SEND_DATA_URL', served.url);

      const res = await invokeV1(mod.handler, post('{"order":42}'));
      expect(res).toMatchObject({ statusCode: 200, body: 'OK' });
      const listed = await collect(new Request(served.url), {} as never);
      const { items } = (await listed.json()) as { items: { payload: unknown }[] };
      expect(items.map((i) => i.payload)).toEqual([{ order: 42 }]);
    });
  });

  describe('bad input (nothing is sent)', () => {
    const cases: { name: string; call: Parameters<typeof invokeV1>[1]; status: number; code: string }[] = [
      { name: 'GET', call: { method: 'GET' }, status: 405, code: 'METHOD_NOT_ALLOWED' },
      { name: 'PUT', call: { method: 'PUT', body: '{}' }, status: 405, code: 'METHOD_NOT_ALLOWED' },
      { name: 'malformed JSON', call: post('{"a":'), status: 400, code: 'INVALID_JSON' },
      { name: 'an empty body', call: post(''), status: 400, code: 'INVALID_JSON' },
      { name: 'a JSON array', call: post('[1,2]'), status: 400, code: 'NOT_A_JSON_OBJECT' },
      { name: 'a JSON string', call: post('"hi"'), status: 400, code: 'NOT_A_JSON_OBJECT' },
      { name: 'JSON null', call: post('null'), status: 400, code: 'NOT_A_JSON_OBJECT' },
      { name: 'a body over 64 KiB', call: post(JSON.stringify({ pad: 'x'.repeat(64 * 1024) })), status: 413, code: 'PAYLOAD_TOO_LARGE' },
      { name: 'an overlong Idempotency-Key', call: post('{}', { 'idempotency-key': 'k'.repeat(256) }), status: 400, code: 'INVALID_IDEMPOTENCY_KEY' },
    ];
    it.each(cases)('answers $status $code for $name', async ({ call, status, code }) => {
      const res = await invokeV1(mod.handler, call);
      expect(res.statusCode).toBe(status);
      expect(res.headers).toMatchObject({ 'content-type': 'application/json' });
      const body = JSON.parse(res.body);
      expect(body).toEqual({ error: { code, message: expect.any(String) } });
      expect(sink.requests).toHaveLength(0);
    });

    it('names the allowed method in a 405', async () => {
      const res = await invokeV1(mod.handler, { method: 'GET' });
      expect(res.headers).toMatchObject({ allow: 'POST' });
    });
  });
});
