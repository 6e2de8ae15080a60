/**
 * What a function sees of the platform: the v1 event's headers and fields and `context.clientContext`,
 * and the v2 context (cookies, geo, ip, ids, site, deploy, account, server, Netlify.context), driven
 * through the real server, each as production (or, where noted, netlify dev) sets it.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock, Simulator } from '../../src/sim/index.ts';
import { onTestFinished } from 'vitest';
import path from 'node:path';
import { COMPAT_FIXTURES, fn, sharedSite } from './helpers.ts';

interface V1Echo {
  event: {
    httpMethod: string;
    path: string;
    rawUrl: string;
    rawQuery: string;
    headers: Record<string, string>;
    multiValueHeaders: Record<string, string[]>;
    queryStringParameters: Record<string, string>;
    multiValueQueryStringParameters: Record<string, string[]>;
    body: string | null;
    isBase64Encoded: boolean;
  };
  clientContext: Record<string, unknown>;
  hasCallbackMembers: boolean;
}

function decodeGeo(header: string | undefined): unknown {
  return JSON.parse(Buffer.from(header ?? '', 'base64').toString('utf8'));
}

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.signature-not-checked`;
}

const SAN_FRANCISCO = {
  city: 'San Francisco',
  country: { code: 'US', name: 'United States' },
  subdivision: { code: 'CA', name: 'California' },
  longitude: 0,
  latitude: 0,
  timezone: 'UTC',
};

// One server for the file: the echo functions these tests call keep no state between invocations, and
// every assertion is about the invocation's own event or context (see sharedSite).
const site = sharedSite('esm-site');

describe('the v1 event and context', () => {
  it('carries the headers Netlify adds (client IP, site and account ids, geo, request id), rawUrl, rawQuery and multi-value fields', async () => {
    const { url } = site();
    const res = await fetch(fn(url, 'cjs-exports-handler', '?tag=a&tag=b&q=x%20y'), { headers: { 'x-custom': 'one' } });
    expect(res.status).toBe(200);
    const { event, clientContext, hasCallbackMembers } = (await res.json()) as V1Echo;
    expect(event.httpMethod).toBe('GET');
    expect(event.path).toBe('/.netlify/functions/cjs-exports-handler');
    expect(event.rawUrl).toBe(`${url}/.netlify/functions/cjs-exports-handler?tag=a&tag=b&q=x%20y`);
    expect(event.rawQuery).toBe('tag=a&tag=b&q=x%20y');
    expect(event.queryStringParameters).toEqual({ tag: 'a, b', q: 'x y' });
    expect(event.multiValueQueryStringParameters).toEqual({ tag: ['a', 'b'], q: ['x y'] });
    expect(event.headers).toMatchObject({
      'x-custom': 'one',
      'client-ip': '127.0.0.1',
      'x-nf-client-connection-ip': '127.0.0.1',
      'x-nf-site-id': 'unlinked',
      'x-nf-account-id': 'local',
      'x-nf-request-id': res.headers.get('x-nf-request-id'),
    });
    expect(event.multiValueHeaders['x-custom']).toEqual(['one']);
    expect(decodeGeo(event.headers['x-nf-geo'])).toEqual(SAN_FRANCISCO);
    expect(event.body).toBeNull();
    expect(event.isBase64Encoded).toBe(false);
    // No Authorization header: an empty clientContext. Node 24 context: no callback members.
    expect(clientContext).toEqual({});
    expect(hasCallbackMembers).toBe(false);
  });

  it('passes a text body as text and a binary body base64-encoded', async () => {
    const { url } = site();
    const text = (await (await fetch(fn(url, 'cjs-exports-handler'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })).json()) as V1Echo;
    expect([text.event.body, text.event.isBase64Encoded]).toEqual(['{"a":1}', false]);
    const binary = (await (
      await fetch(fn(url, 'cjs-exports-handler'), { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([0, 1, 255]) })
    ).json()) as V1Echo;
    expect([binary.event.body, binary.event.isBase64Encoded]).toEqual([Buffer.from([0, 1, 255]).toString('base64'), true]);
  });

  it('takes the location from an x-nf-geo request header (base64 JSON)', async () => {
    const { url } = site();
    const paris = { city: 'Paris', country: { code: 'FR', name: 'France' } };
    const res = await fetch(fn(url, 'cjs-exports-handler'), { headers: { 'x-nf-geo': Buffer.from(JSON.stringify(paris)).toString('base64') } });
    const { event } = (await res.json()) as V1Echo;
    expect(decodeGeo(event.headers['x-nf-geo'])).toEqual(paris);
  });

  it('decodes an Identity JWT from Authorization: Bearer into clientContext (without verifying it, as netlify dev does)', async () => {
    const { url } = site();
    const claims = { sub: 'user-1', email: 'ada@example.com', app_metadata: { roles: ['admin'] } };
    const res = await fetch(fn(url, 'cjs-exports-handler'), { headers: { authorization: `Bearer ${jwt(claims)}` } });
    const { clientContext } = (await res.json()) as V1Echo;
    expect(clientContext.user).toEqual(claims);
    expect(clientContext.identity).toMatchObject({ url: `${url}/.netlify/identity`, token: expect.any(String) });
    const custom = clientContext.custom as { netlify: string };
    expect(JSON.parse(Buffer.from(custom.netlify, 'base64').toString('utf8'))).toMatchObject({ user: claims });
    // A Bearer token that is not a JWT is not meant for Identity: no context.
    const opaque = await fetch(fn(url, 'cjs-exports-handler'), { headers: { authorization: 'Bearer not-a-jwt' } });
    expect(((await opaque.json()) as V1Echo).clientContext).toEqual({});
  });
});

interface V2Echo {
  requestId: string;
  ip: string;
  url: string;
  params: Record<string, string>;
  geo: unknown;
  site: { id: string; name?: string; url: string };
  deploy: { id: string; context: string; published: boolean };
  account: { id: string };
  server: { region: string };
  cookie: string | null;
  sameContext: boolean;
  envPath: string;
  waitUntil: string;
}

describe('the v2 context', () => {
  it('turns cookies.set/delete into Set-Cookie headers and reads the request cookies', async () => {
    const { url } = site();
    const res = await fetch(fn(url, 'v2-context'), { headers: { cookie: 'theme=dark; other=1' } });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([
      'visited=yes',
      'session=abc; Secure; HttpOnly; SameSite=Lax; Path=/',
      'old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    ]);
    expect(((await res.json()) as V2Echo).cookie).toBe('dark');
  });

  it('holds the request id, ip, url, geo, site, deploy, account and region, and Netlify.context is the same object', async () => {
    const { url } = site();
    const res = await fetch(fn(url, 'v2-context', '?x=1'));
    const body = (await res.json()) as V2Echo;
    expect(body).toEqual({
      requestId: res.headers.get('x-nf-request-id'),
      ip: '127.0.0.1',
      url: `${url}/.netlify/functions/v2-context?x=1`,
      params: {},
      geo: SAN_FRANCISCO,
      // SITE_NAME and AWS_REGION are in the container's environment as production sets them (docs/sites.md).
      site: { id: 'unlinked', name: 'esm-site', url },
      deploy: { id: '0', context: 'dev', published: false, branch: '' },
      account: { id: 'local' },
      server: { region: 'us-east-2' },
      cookie: null,
      sameContext: true,
      envPath: 'string',
      waitUntil: 'function',
    });
  });

  it('takes geo from an x-nf-geo header', async () => {
    const { url } = site();
    const tokyo = { city: 'Tokyo', country: { code: 'JP', name: 'Japan' }, timezone: 'Asia/Tokyo' };
    const res = await fetch(fn(url, 'v2-context'), { headers: { 'x-nf-geo': Buffer.from(JSON.stringify(tokyo)).toString('base64') } });
    expect(((await res.json()) as V2Echo).geo).toEqual(tokyo);
  });

  it('gets params and geo from the invocation input (what the router and a --geo flag pass)', async () => {
    const sim = new Simulator({ functionsDir: path.join(COMPAT_FIXTURES, 'esm-site', 'functions'), clock: new ManualClock() });
    onTestFinished(() => sim.destroy());
    const berlin = { city: 'Berlin', country: { code: 'DE', name: 'Germany' } };
    const result = await sim.invoke('v2-context', new Request('http://localhost/products/42'), { context: { params: { id: '42' }, geo: berlin } });
    const body = (await result.response.json()) as V2Echo;
    expect(body.params).toEqual({ id: '42' });
    expect(body.geo).toEqual(berlin);
  });
});
