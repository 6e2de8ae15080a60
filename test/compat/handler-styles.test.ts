/**
 * Every handler style Netlify accepts, each served through the real local server and answered as
 * production answers it. How v1 and v2 are told apart follows Netlify's bundler (docs/handlers.md).
 */
import { describe, expect, it } from 'vitest';
import { fn, sharedSite } from './helpers.ts';

describe('a "type": "module" site', () => {
  // One server for the block: each test calls functions no other test calls (see sharedSite).
  const site = sharedSite('esm-site');

  it('decides v1 or v2 from each source as Netlify does, whatever the package type', async () => {
    const { running } = site();
    const api = Object.fromEntries(running.functions.map((f) => [f.name, f.api]));
    expect(api).toMatchObject({
      'cjs-exports-handler': 'v1',
      'cjs-module-exports': 'v1',
      'esm-handler': 'v1',
      'ts-handler': 'v1',
      'cts-handler': 'v1',
      'builder-fn': 'v1',
      scheduled: 'v1',
      streamed: 'v1',
      'mts-v2': 'v2',
      'v2-context': 'v2',
      'v2-fetch-object': 'v2',
      // A default export and no named handler: v2 to Netlify, even though the object holds a handler.
      'default-object-handler': 'v2',
    });
  });

  it('serves CommonJS exports.handler and module.exports = { handler } although the package is ESM', async () => {
    const { url } = site();
    const res = await fetch(fn(url, 'cjs-exports-handler'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ style: 'exports.handler' });
    const other = await fetch(fn(url, 'cjs-module-exports'));
    expect(other.status).toBe(200);
    expect(await other.text()).toBe('module.exports = { handler }');
  });

  it('serves export const handler (.mjs), a typed .ts handler, a CommonJS .cts file and a .mts v2 default export', async () => {
    const { url } = site();
    const [mjs, ts, cts, mts] = await Promise.all([
      fetch(fn(url, 'esm-handler')),
      fetch(fn(url, 'ts-handler'), { method: 'POST', body: 'x' }),
      fetch(fn(url, 'cts-handler')),
      fetch(fn(url, 'mts-v2'), { method: 'PUT', body: 'x' }),
    ]);
    expect([mjs.status, await mjs.text()]).toEqual([200, 'export const handler']);
    expect([ts.status, await ts.text()]).toEqual([201, 'typescript v1 POST']);
    expect([cts.status, await cts.text()]).toEqual([200, 'cts exports.handler']);
    expect([mts.status, await mts.text()]).toEqual([200, 'mts v2 PUT']);
  });

  it('serves a v2 default export object with a fetch method, as production\'s bootstrap does', async () => {
    const { url } = site();
    const res = await fetch(fn(url, 'v2-fetch-object'));
    expect([res.status, await res.text()]).toEqual([200, 'fetch object /.netlify/functions/v2-fetch-object']);
  });

  it('fails `export default { handler }` as production does (a v2 default export that is not callable), saying how to fix it', async () => {
    const { url } = site();
    const res = await fetch(fn(url, 'default-object-handler'));
    expect(res.status).toBe(502);
    const body = (await res.json()) as { errorType: string; errorMessage: string };
    expect(body.errorType).toBe('Runtime.HandlerNotFound');
    expect(body.errorMessage).toContain('export const handler');
  });

  it('schedule() leaves the handler callable; stream() streams the body with its head', async () => {
    const { url } = site();
    // Called over HTTP, a scheduled function runs and netlify dev's note replaces its answer; a failed
    // run would be a 500 with the error in the note.
    const scheduled = await fetch(fn(url, 'scheduled'));
    expect(scheduled.status).toBe(200);
    expect(await scheduled.text()).toContain('which is a scheduled function');
    const streamed = await fetch(fn(url, 'streamed'));
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('x-style')).toBe('stream');
    expect(streamed.headers.get('content-type')).toBe('text/plain');
    expect(await streamed.text()).toBe('first second');
  });

  it('getContext() from @netlify/functions returns the invocation\'s context inside a v2 handler', async () => {
    const { url } = site();
    const res = await fetch(fn(url, 'get-context'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { requestId: string };
    expect(body.requestId).toMatch(/\S/);
  });
});

describe('a CommonJS site', () => {
  // One server for the block: only the first test calls exports-handler and counts its invocations.
  const site = sharedSite('cjs-site');

  it('serves exports.handler with its module state kept warm, and require of built-ins', async () => {
    const { url } = site();
    const first = await fetch(fn(url, 'exports-handler', '?a=1&a=2&b=3'));
    expect(first.status).toBe(200);
    expect(first.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await first.json()).toEqual({ style: 'exports.handler', invocations: 1, sep: '/', query: { a: '1, 2', b: '3' }, multi: { a: ['1', '2'], b: ['3'] } });
    const second = await fetch(fn(url, 'exports-handler'));
    expect(await second.json()).toMatchObject({ invocations: 2 });
  });

  it('serves ESM syntax in a .js file and a TypeScript-compiled exports.default as v2', async () => {
    const { url, running } = site();
    const api = Object.fromEntries(running.functions.map((f) => [f.name, f.api]));
    expect(api).toMatchObject({ 'esm-syntax': 'v2', 'ts-compiled-default': 'v2', 'exports-handler': 'v1' });
    const esm = await fetch(fn(url, 'esm-syntax'), { method: 'DELETE' });
    expect([esm.status, await esm.text()]).toEqual([200, 'esm syntax v2 DELETE']);
    const compiled = await fetch(fn(url, 'ts-compiled-default'));
    expect([compiled.status, await compiled.text()]).toEqual([200, 'compiled v2 /.netlify/functions/ts-compiled-default']);
  });
});
