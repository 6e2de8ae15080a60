import { readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { getStore, type Store } from '@netlify/blobs';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { type LocalBlobs, startLocalBlobs } from '../../src/dev/local-blobs.ts';
import { v2Context } from '../fixtures/invoke.ts';

type CollectModule = typeof import('../../functions/collect.ts');

interface Item {
  payload: unknown;
  receivedAt: string;
  idempotencyKey: string;
}

describe('collect (against a real local BlobsServer)', () => {
  let collect: CollectModule['default'];
  let blobs: LocalBlobs;
  beforeEach(async () => {
    blobs = await startLocalBlobs();
    onTestFinished(() => blobs.close());
    vi.stubEnv('NETLIFY_BLOBS_CONTEXT', blobs.env.NETLIFY_BLOBS_CONTEXT);
    vi.resetModules();
    collect = (await import('../../functions/collect.ts')).default;
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.useRealTimers();
  });

  const callWith = (
    handler: CollectModule['default'],
    method: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<Response> =>
    handler(new Request('http://localhost/.netlify/functions/collect', { method, body: body ?? null, headers }), v2Context().context);
  const call = (method: string, body?: string, headers: Record<string, string> = {}): Promise<Response> =>
    callWith(collect, method, body, headers);

  async function items(): Promise<Item[]> {
    const res = await call('GET');
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Item[] }).items;
  }

  /** The handler as a second container loads it: a fresh module instance, so its own module state. */
  async function anotherContainer(): Promise<CollectModule['default']> {
    vi.resetModules();
    return (await import('../../functions/collect.ts')).default;
  }

  /**
   * Counts the Blobs round trips collect makes, by spying on the Store class every container's stores
   * come from (@netlify/blobs lives in node_modules, loaded once however often the handler is re-imported;
   * it exports the class only as a type, so it is reached through a store's prototype).
   */
  function countBlobCalls(): { lists: () => number; gets: () => number } {
    const prototype = Object.getPrototypeOf(getStore({ name: 'collect', consistency: 'strong' })) as Store;
    const list = vi.spyOn(prototype, 'list');
    const get = vi.spyOn(prototype, 'get');
    onTestFinished(() => {
      list.mockRestore();
      get.mockRestore();
    });
    return { lists: () => list.mock.calls.length, gets: () => get.mock.calls.length };
  }

  it('stores a POSTed payload with its idempotency key and the time it was received', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2026-03-04T05:06:07.089Z'));
    const res = await call('POST', '{"hello":"world"}', { 'idempotency-key': 'k-1' });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ stored: true, idempotencyKey: 'k-1' });
    expect(await items()).toEqual([{ payload: { hello: 'world' }, receivedAt: '2026-03-04T05:06:07.089Z', idempotencyKey: 'k-1' }]);
  });

  it('gives a POST without Idempotency-Key a key of its own', async () => {
    await call('POST', '[1,2,3]');
    const [item] = await items();
    expect(item?.payload).toEqual([1, 2, 3]);
    expect(item?.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('stores a repeated key once, keeping the first payload, and still acknowledges the repeat', async () => {
    const first = await call('POST', '{"v":1}', { 'idempotency-key': 'same' });
    const again = await call('POST', '{"v":2}', { 'idempotency-key': 'same' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ stored: false, idempotencyKey: 'same' });
    expect((await items()).map((i) => i.payload)).toEqual([{ v: 1 }]);
  });

  it('keys that would be unsafe as blob names (slashes, dots) are stored and returned intact', async () => {
    await call('POST', '{"a":1}', { 'idempotency-key': '../a/b' });
    await call('POST', '{"a":2}', { 'idempotency-key': '../a' });
    expect((await items()).map((i) => i.idempotencyKey)).toEqual(['../a/b', '../a']);
  });

  it('loses nothing under 40 concurrent POSTs, and stores concurrent duplicates once', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `c-${i}`);
    const responses = await Promise.all([
      ...keys.map((k, i) => call('POST', JSON.stringify({ i }), { 'idempotency-key': k })),
      ...keys.slice(0, 10).map((k) => call('POST', '{"dup":true}', { 'idempotency-key': k })),
    ]);
    expect(responses.every((r) => r.status === 200 || r.status === 201)).toBe(true);
    const stored = await items();
    expect(stored).toHaveLength(40);
    expect(new Set(stored.map((i) => i.idempotencyKey))).toEqual(new Set(keys));
  });

  it('lists items in arrival order', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.parse('2026-01-01T00:00:00.000Z');
    // Keys chosen so that neither key order nor hash order is arrival order; two share a millisecond.
    const arrivals = [
      { key: 'zeta', atMs: t0 },
      { key: 'alpha', atMs: t0 + 5 },
      { key: 'mid', atMs: t0 + 5 },
      { key: 'beta', atMs: t0 + 900 },
    ];
    for (const { key, atMs } of arrivals) {
      vi.setSystemTime(atMs);
      await call('POST', JSON.stringify({ key }), { 'idempotency-key': key });
    }
    expect((await items()).map((i) => i.idempotencyKey)).toEqual(['zeta', 'alpha', 'mid', 'beta']);
  });

  it('empties the store on DELETE', async () => {
    await call('POST', '{"a":1}', { 'idempotency-key': 'a' });
    await call('POST', '{"b":2}', { 'idempotency-key': 'b' });
    const res = await call('DELETE');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deleted: 2 });
    expect(await items()).toEqual([]);
    // A key seen before the DELETE can be stored again afterwards.
    expect((await call('POST', '{"a":1}', { 'idempotency-key': 'a' })).status).toBe(201);
  });

  it('a warm container re-reads no blob when nothing changed, and only the new one after another container adds one', async () => {
    await call('POST', '{"a":1}', { 'idempotency-key': 'a' });
    await call('POST', '{"b":2}', { 'idempotency-key': 'b' });
    const counts = countBlobCalls();
    expect((await items()).map((i) => i.payload)).toEqual([{ a: 1 }, { b: 2 }]);
    expect({ lists: counts.lists(), gets: counts.gets() }).toEqual({ lists: 1, gets: 2 });

    expect((await items()).map((i) => i.payload)).toEqual([{ a: 1 }, { b: 2 }]);
    expect({ lists: counts.lists(), gets: counts.gets() }).toEqual({ lists: 2, gets: 2 });

    await callWith(await anotherContainer(), 'POST', '{"c":3}', { 'idempotency-key': 'c' });
    expect((await items()).map((i) => i.payload)).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect({ lists: counts.lists(), gets: counts.gets() }).toEqual({ lists: 3, gets: 3 });
  });

  it('a warm container returns the new payload after another container empties the store and reuses a key', async () => {
    await call('POST', '{"v":1}', { 'idempotency-key': 'k' });
    // BlobsServer's etag is an HMAC of the file's mtime in whole milliseconds: a blob deleted and re-created
    // within the millisecond of its first write would keep its etag. Date the first write a minute back,
    // as if time had passed, so this test checks re-reading on a changed etag and cannot flake.
    const minuteAgo = new Date(Date.now() - 60_000);
    for (const file of await blobFiles(blobs.directory)) await utimes(file, minuteAgo, minuteAgo);
    expect((await items()).map((i) => i.payload)).toEqual([{ v: 1 }]);

    const other = await anotherContainer();
    expect(await (await callWith(other, 'DELETE')).json()).toEqual({ deleted: 1 });
    expect((await callWith(other, 'POST', '{"v":2}', { 'idempotency-key': 'k' })).status).toBe(201);
    expect((await items()).map((i) => i.payload)).toEqual([{ v: 2 }]);
  });

  it.each([
    { name: 'PUT', method: 'PUT', body: '{}', status: 405, code: 'METHOD_NOT_ALLOWED' },
    { name: 'malformed JSON', method: 'POST', body: '{nope', status: 400, code: 'INVALID_JSON' },
    { name: 'an empty body', method: 'POST', body: '', status: 400, code: 'INVALID_JSON' },
    { name: 'a body over 64 KiB', method: 'POST', body: `"${'x'.repeat(64 * 1024)}"`, status: 413, code: 'PAYLOAD_TOO_LARGE' },
    { name: 'an Idempotency-Key with a space', method: 'POST', body: '{}', key: 'two words', status: 400, code: 'INVALID_IDEMPOTENCY_KEY' },
  ])('answers $status $code for $name, and stores nothing', async ({ method, body, key, status, code }) => {
    const res = await call(method, body, key === undefined ? {} : { 'idempotency-key': key });
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error: { code, message: expect.any(String) } });
    expect(await items()).toEqual([]);
  });

  it('with SINK_TOKEN set, refuses every method without the bearer token (401) and serves it with', async () => {
    vi.stubEnv('SINK_TOKEN', 'tok-9');
    for (const method of ['GET', 'POST', 'DELETE']) {
      const res = await call(method, method === 'POST' ? '{"a":1}' : undefined);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    }
    expect((await call('POST', '{"a":1}', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await call('POST', '{"a":1}', { authorization: 'Bearer tok-9' })).status).toBe(201);
    const listed = await call('GET', undefined, { authorization: 'Bearer tok-9' });
    expect(((await listed.json()) as { items: Item[] }).items).toHaveLength(1);
    expect((await call('DELETE', undefined, { authorization: 'Bearer tok-9' })).status).toBe(200);
  });

  it('refuses DELETE in a production deploy without a token (403), and allows it with one', async () => {
    await call('POST', '{"keep":1}');
    const production = { ...v2Context().context, deploy: { context: 'production', id: 'd1', published: true } } as typeof v2Context extends () => { context: infer C } ? C : never;
    const del = (headers: Record<string, string> = {}): Promise<Response> =>
      collect(new Request('http://localhost/.netlify/functions/collect', { method: 'DELETE', headers }), production);
    const refused = await del();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
    expect(await items()).toHaveLength(1);
    vi.stubEnv('CONTEXT', 'production');
    expect((await call('DELETE')).status).toBe(403);
    vi.stubEnv('SINK_TOKEN', 'tok-1');
    expect((await del({ authorization: 'Bearer tok-1' })).status).toBe(200);
    vi.stubEnv('SINK_TOKEN', '');
    vi.stubEnv('CONTEXT', '');
    expect(await items()).toHaveLength(0);
  });

  it('refuses a payload nested too deep to store with 400 UNDELIVERABLE_PAYLOAD and stores nothing', async () => {
    const res = await call('POST', `{"a":${'['.repeat(32_000)}${']'.repeat(32_000)}}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNDELIVERABLE_PAYLOAD');
    expect(await items()).toEqual([]);
  });

  it('lists the allowed methods in a 405', async () => {
    expect((await call('PATCH', '{}')).headers.get('allow')).toBe('GET, POST, DELETE');
  });

  it('answers 500 MISCONFIGURED, not a stack trace, when Netlify Blobs is not configured', async () => {
    vi.stubEnv('NETLIFY_BLOBS_CONTEXT', '');
    const res = await call('GET');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'MISCONFIGURED', message: expect.any(String) } });
  });

  it('answers 502 STORE_FAILED when the blob backend is down', async () => {
    const blobs = await startLocalBlobs();
    vi.stubEnv('NETLIFY_BLOBS_CONTEXT', blobs.env.NETLIFY_BLOBS_CONTEXT);
    await blobs.close();
    const res = await call('POST', '{"a":1}');
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ error: { code: 'STORE_FAILED', message: expect.any(String) } });
  });
});

/** Every blob's data file BlobsServer keeps under `directory` (metadata lives elsewhere). */
async function blobFiles(directory: string): Promise<string[]> {
  const entries = await readdir(join(directory, 'entries'), { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}
