/**
 * The third-party corpus: requests to functions written in the shapes real sites, Netlify's CLI fixtures
 * and its function templates use (test/compat/fixtures/corpus-site; each file names its shape), each
 * with the answer production gives. corpus-netlify-dev.test.ts asserts these answers on the simulator,
 * and sends the same requests to `netlify functions:serve` and compares, except where `netlifyDev`
 * names the documented reason the two differ.
 */
import { createHash, createHmac } from 'node:crypto';
import path from 'node:path';
import { expect } from 'vitest';
import { COMPAT_FIXTURES } from './helpers.ts';

export const CORPUS_SITE = path.join(COMPAT_FIXTURES, 'corpus-site');

/** A request as sent to both servers: a path on the server and fetch's options. */
export interface CorpusRequest {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** `manual` to see a redirect's own answer. */
  redirect?: 'manual';
}

/** The answer production gives. `json` compares the parsed body, `body` the text; `headers` null means absent. */
export interface CorpusAnswer {
  status: number;
  body?: string;
  json?: unknown;
  headers?: Record<string, string | null>;
  setCookies?: string[];
  /** The case's `view` of the body. */
  viewed?: unknown;
}

export interface CorpusCase {
  name: string;
  request: CorpusRequest;
  production: CorpusAnswer;
  /** Projects a body before it is compared (fields of an echoed event that depend on the server). */
  view?: (body: string) => unknown;
  /** Where netlify functions:serve answers otherwise: the doc section that records why. */
  netlifyDev?: { differs: string };
}

const F = '/.netlify/functions/';
const JSON_TYPE = { 'content-type': 'application/json' };
const UNTYPED = { 'content-type': null };

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.unchecked`;
}

const UPLOAD = new Uint8Array([0, 1, 2, 255, 254]);
const WEBHOOK_BODY = '{"event":"push"}';
const WEBHOOK_SIGNATURE = createHmac('sha256', 'corpus-secret').update(WEBHOOK_BODY).digest('hex');
const FR_GEO = Buffer.from(JSON.stringify({ country: { code: 'FR', name: 'France' } })).toString('base64');
const SCHEDULED_NOTE = (name: string): string =>
  `You performed an HTTP request to \`/.netlify/functions/${name}\`, which is a scheduled function.\nYou can do this to test your functions locally, but it won't work in production.\n\n`;
const CALLBACK_REFUSED = {
  errorType: 'Runtime.CallbackHandlerDeprecated',
  errorMessage:
    'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
};

/** The parts of an echoed v1 event that do not depend on which server built it. */
function eventView(body: string): unknown {
  const event = JSON.parse(body) as Record<string, unknown> & { headers: Record<string, string> };
  const { httpMethod, path: eventPath, queryStringParameters, multiValueQueryStringParameters, body: eventBody, isBase64Encoded, rawQuery, blobs } = event;
  const headers = Object.fromEntries(['client-ip', 'x-nf-client-connection-ip', 'x-nf-site-id', 'x-nf-geo', 'content-type'].map((name) => [name, event.headers[name]]));
  return { httpMethod, path: eventPath, queryStringParameters, multiValueQueryStringParameters, body: eventBody, isBase64Encoded, rawQuery, headers, blobs: typeof blobs };
}

const ERRORS_DIFFER = { differs: 'docs/handlers.md#differences (error status and body)' };
const NOT_FOUND_DIFFERS = { differs: 'docs/compatibility.md#third-party-corpus (404 bodies)' };

/** In order: the rate-limit cases count on the requests before them. */
export const CORPUS_CASES: CorpusCase[] = [
  {
    name: 'echo: a GET event with a query',
    request: { path: `${F}echo?a=1&a=2&b=two` },
    production: { status: 200 },
    view: eventView,
    // netlify-cli gives a bodiless GET `body: undefined, isBase64Encoded: true`; the rest agrees.
    netlifyDev: { differs: 'docs/handlers.md#differences (isBase64Encoded with no body)' },
  },
  {
    name: 'echo: a POST event with a JSON body',
    request: { path: `${F}echo`, method: 'POST', headers: JSON_TYPE, body: '{"x":1}' },
    production: { status: 200 },
    view: eventView,
  },
  {
    name: 'CORS preflight',
    request: { path: `${F}contact-cors`, method: 'OPTIONS' },
    production: { status: 204, body: '', headers: { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST, OPTIONS' } },
  },
  {
    name: 'CORS POST with JSON',
    request: { path: `${F}contact-cors`, method: 'POST', headers: JSON_TYPE, body: '{"name":"Ada"}' },
    production: { status: 200, json: { received: { name: 'Ada' }, name: 'Ada' }, headers: { ...JSON_TYPE, 'access-control-allow-origin': '*' } },
  },
  {
    name: 'CORS endpoint refusing GET, its body left untyped',
    request: { path: `${F}contact-cors` },
    production: { status: 405, body: '{"error":"Method Not Allowed"}', headers: { ...UNTYPED, 'access-control-allow-origin': '*' } },
  },
  {
    name: 'CORS endpoint given broken JSON',
    request: { path: `${F}contact-cors`, method: 'POST', headers: JSON_TYPE, body: '{oops' },
    production: { status: 400, body: '{"error":"Invalid JSON"}', headers: UNTYPED },
  },
  { name: 'module.exports = { handler } with ?name=', request: { path: `${F}greet?name=Ada` }, production: { status: 200, body: '{"message":"Hello Ada"}', headers: UNTYPED } },
  { name: 'queryStringParameters is {} without a query', request: { path: `${F}greet` }, production: { status: 200, body: '{"message":"Hello World"}' } },
  {
    name: 'identity-signup template',
    request: { path: `${F}identity-signup`, method: 'POST', body: JSON.stringify({ user: { email: 'a@example.com', user_metadata: { full_name: 'A' } } }) },
    production: { status: 200, json: { app_metadata: { roles: ['editor'] }, user_metadata: { full_name: 'A', signed_up_by: 'function' } } },
  },
  { name: 'protected function without a token', request: { path: `${F}protected` }, production: { status: 401, body: '{"data":"NOT ALLOWED"}' } },
  {
    name: 'protected function with an Identity bearer token',
    request: { path: `${F}protected`, headers: { authorization: `Bearer ${jwt({ sub: '1', email: 'ada@example.com' })}` } },
    production: { status: 200, json: { data: 'auth true', email: 'ada@example.com' } },
  },
  {
    name: "hello-world template: a default export returning a v1 object is refused as v2",
    request: { path: '/hello-template' },
    production: { status: 502, json: { errorType: 'NetlifyUserError', errorMessage: "Function returned an unsupported value. Accepted types are 'Response' or 'undefined'" } },
    netlifyDev: ERRORS_DIFFER,
  },
  {
    name: 'a function with config.path is not at /.netlify/functions/',
    request: { path: `${F}hello-template` },
    production: { status: 404 },
    netlifyDev: NOT_FOUND_DIFFERS,
  },
  {
    name: "require('node-fetch') v3 from CommonJS gets the module, not the function",
    request: { path: `${F}proxy-fetch?target=http://127.0.0.1:9/` },
    production: { status: 500, body: '{"msg":"fetch2 is not a function"}' },
  },
  {
    name: 'config.path with two params',
    request: { path: '/travel-guide/paris/france' },
    production: { status: 200, body: "You're visiting paris in france!" },
    netlifyDev: { differs: 'docs/compatibility.md#third-party-corpus (context.params)' },
  },
  {
    name: 'config.path with a param',
    request: { path: '/products/shoe' },
    production: { status: 200, body: 'Product: shoe' },
    netlifyDev: { differs: 'docs/compatibility.md#third-party-corpus (context.params)' },
  },
  { name: 'excludedPath', request: { path: '/products/static' }, production: { status: 404 }, netlifyDev: NOT_FOUND_DIFFERS },
  {
    name: "context.geo: netlify dev's mock location",
    request: { path: `${F}localized` },
    production: { status: 200, body: "Your greeting for United States: Howdy y'all!", headers: { 'content-type': 'text/html' } },
  },
  {
    name: 'context.geo from an x-nf-geo header',
    request: { path: `${F}localized`, headers: { 'x-nf-geo': FR_GEO } },
    production: { status: 200, body: 'Your greeting for France: Bonjour !' },
    netlifyDev: { differs: 'docs/compatibility.md#third-party-corpus (x-nf-geo)' },
  },
  {
    name: 'schedule() in CommonJS, called over HTTP',
    request: { path: `${F}nightly-cleanup` },
    production: { status: 200, body: SCHEDULED_NOTE('nightly-cleanup'), headers: { 'content-type': 'text/plain; charset=utf-8' } },
  },
  {
    name: 'config.schedule, called over HTTP',
    request: { path: `${F}hourly-report` },
    production: { status: 200, body: SCHEDULED_NOTE('hourly-report'), headers: { 'content-type': 'text/plain; charset=utf-8' } },
  },
  {
    name: 'builder() on Node 24',
    request: { path: `${F}og-page` },
    production: { status: 502, json: CALLBACK_REFUSED },
    netlifyDev: { differs: 'docs/handlers.md#differences (builder() on Node 24)' },
  },
  {
    name: 'builder() at /.netlify/builders/',
    request: { path: '/.netlify/builders/og-page' },
    production: { status: 502, json: CALLBACK_REFUSED },
    netlifyDev: { differs: 'docs/handlers.md#differences (builder() on Node 24)' },
  },
  {
    name: 'a brotli body the function compressed',
    request: { path: `${F}compressed` },
    production: { status: 200, body: 'compressed text! '.repeat(50), headers: { 'content-encoding': 'br' } },
  },
  {
    name: 'a base64 PNG',
    request: { path: `${F}pixel` },
    production: { status: 200, headers: { 'content-type': 'image/png', 'cache-control': 'no-cache' } },
  },
  {
    name: 'a binary upload arrives base64-encoded',
    request: { path: `${F}upload`, method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: UPLOAD },
    production: { status: 200, json: { bytes: 5, sha256: createHash('sha256').update(UPLOAD).digest('hex'), contentType: 'application/octet-stream' } },
  },
  {
    name: 'a text upload arrives as text',
    request: { path: `${F}upload`, method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'héllo' },
    production: { status: 200, json: { bytes: 6, sha256: createHash('sha256').update('héllo').digest('hex'), contentType: 'text/plain' } },
  },
  {
    name: 'a v1 302 with Location',
    request: { path: `${F}go?to=docs`, redirect: 'manual' },
    production: { status: 302, body: '', headers: { location: 'https://docs.netlify.com/', 'cache-control': 'no-store' } },
  },
  { name: 'a v1 404 from the function itself', request: { path: `${F}go?to=nope` }, production: { status: 404, body: 'unknown link' } },
  {
    name: 'v1 cookies through multiValueHeaders',
    request: { path: `${F}session-v1`, headers: { cookie: 'visits=2' } },
    production: { status: 200, body: '{"visits":3}', setCookies: ['visits=3; Path=/; HttpOnly', 'seen=yes; Path=/; Max-Age=3600'] },
  },
  {
    name: 'v2 context.cookies get / set / delete',
    request: { path: '/session', headers: { cookie: 'theme=light; legacy=1' } },
    production: { status: 200, body: '{"was":"light"}', setCookies: ['theme=dark; HttpOnly; Path=/', 'legacy=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT'] },
  },
  {
    name: 'a v2 ReadableStream body',
    request: { path: `${F}ticker` },
    production: { status: 200, body: 'one\ntwo\nthree\n', headers: { 'content-type': 'text/event-stream' } },
  },
  {
    name: 'stream() from @netlify/functions',
    request: { path: `${F}legacy-stream` },
    production: { status: 200, body: 'streamed by stream()', headers: { 'content-type': 'text/plain' } },
  },
  {
    name: 'a -background function answers 202 at once',
    request: { path: `${F}send-email-background`, method: 'POST', body: '{"to":"a@example.com"}' },
    production: { status: 202, body: '' },
  },
  { name: 'config.method: GET', request: { path: '/items' }, production: { status: 200, json: { items: ['a', 'b'] } } },
  {
    name: 'config.method: POST with req.json()',
    request: { path: '/items', method: 'POST', headers: JSON_TYPE, body: '{"name":"pen"}' },
    production: { status: 201, json: { created: 'pen' } },
  },
  { name: 'config.method: PUT is not served', request: { path: '/items', method: 'PUT', body: '{}' }, production: { status: 404 }, netlifyDev: NOT_FOUND_DIFFERS },
  { name: 'config.rateLimit: first request', request: { path: '/subscribe' }, production: { status: 200, body: 'subscribed' } },
  { name: 'config.rateLimit: second request', request: { path: '/subscribe' }, production: { status: 200, body: 'subscribed' } },
  {
    name: 'config.rateLimit: third request in the window',
    request: { path: '/subscribe' },
    production: { status: 429 },
    netlifyDev: { differs: 'docs/compatibility.md#third-party-corpus (rateLimit)' },
  },
  {
    name: "process.env: .env values, SITE_NAME, no CONTEXT",
    request: { path: `${F}env-check` },
    production: { status: 200, json: { greeting: 'hello from .env', hasSiteName: 'string', context: null } },
    netlifyDev: { differs: 'docs/compatibility.md#third-party-corpus (environment)' },
  },
  {
    name: 'a typed TypeScript Handler',
    request: { path: `${F}typed-handler` },
    production: { status: 200, json: { ok: true, path: '/.netlify/functions/typed-handler', method: 'GET' }, headers: JSON_TYPE },
  },
  {
    name: 'an optional require of a package that is not installed',
    request: { path: `${F}optional-deps` },
    production: { status: 200, json: { hasAwsSdk: false, ttl: 7_200_000 } },
  },
  { name: 'a folder with index.js and a helper', request: { path: `${F}dashboard-api` }, production: { status: 200, json: { users: 3, active: 2 } } },
  {
    name: 'a folder with <name>.mjs, signed webhook',
    request: { path: `${F}webhook`, method: 'POST', headers: { 'x-signature': WEBHOOK_SIGNATURE }, body: WEBHOOK_BODY },
    production: { status: 200, json: { accepted: 'push' } },
  },
  { name: 'a webhook without its signature', request: { path: `${F}webhook`, method: 'POST', body: WEBHOOK_BODY }, production: { status: 401, body: 'bad signature' } },
  {
    name: 'a callback handler on Node 24',
    request: { path: `${F}legacy-callback` },
    production: { status: 502, json: CALLBACK_REFUSED },
    netlifyDev: { differs: 'docs/handlers.md#differences (callback handlers on Node 24)' },
  },
  {
    name: 'a v2 function that throws',
    request: { path: `${F}broken` },
    production: { status: 502, json: { errorType: 'Error', errorMessage: 'database unreachable' } },
    netlifyDev: ERRORS_DIFFER,
  },
  {
    name: 'repeated query parameters',
    request: { path: `${F}search?q=x&tag=a&tag=b` },
    production: { status: 200, json: { q: 'x', tags: ['a', 'b'], raw: 'q=x&tag=a&tag=b' } },
  },
  {
    name: 'an HTML page with Cache-Control',
    request: { path: `${F}page?slug=about` },
    production: {
      status: 200,
      body: '<!doctype html><title>Page</title><p>You asked for about</p>',
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=60' },
    },
  },
  {
    name: 'a v2 Response.redirect built from req.url',
    request: { path: `${F}login?next=/x`, redirect: 'manual' },
    production: { status: 301, body: '', headers: { location: '<origin>/account?next=%2Fx' } },
  },
  {
    name: 'sharp, a native module kept external',
    request: { path: `${F}thumbnail` },
    production: { status: 200, json: { format: 'png', width: 4, height: 3 } },
  },
  {
    name: 'v2 request method, URL, header and context.ip',
    request: { path: `${F}whoami?page=2`, headers: { 'user-agent': 'corpus' } },
    production: { status: 200, json: { method: 'GET', page: '2', agent: 'corpus', ip: '127.0.0.1', path: '/.netlify/functions/whoami' } },
  },
  {
    name: 'jsonwebtoken from node_modules',
    request: { path: `${F}token`, method: 'POST', body: '{"user":"ada"}' },
    production: { status: 200, json: { token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZGEifQ.RuEZF6IH8C2BZc9i2BuA1D022NNdonKuWVOofjM6au0' } },
  },
  {
    name: "Blobs in Lambda compatibility mode: connectLambda(event), first visit",
    request: { path: `${F}visits-lambda?page=corpus` },
    production: { status: 200, json: { page: 'corpus', count: 1 } },
  },
  {
    name: 'Blobs in Lambda compatibility mode: the count kept in the store',
    request: { path: `${F}visits-lambda?page=corpus` },
    production: { status: 200, json: { page: 'corpus', count: 2 } },
  },
  {
    name: 'an urlencoded form POST answered with a 303',
    request: { path: `${F}contact-form`, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=ada%40example.com&msg=hi', redirect: 'manual' },
    production: { status: 303, body: '', headers: { location: '/thanks?from=ada%40example.com' } },
  },
  {
    name: 'a form POST missing a field',
    request: { path: `${F}contact-form`, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'msg=hi' },
    production: { status: 422, body: '{"error":"email required"}' },
  },
  {
    name: 'a multipart upload arrives base64-encoded',
    request: {
      path: `${F}multipart`,
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=XyZ' },
      body: '--XyZ\r\nContent-Disposition: form-data; name="title"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nabc\r\n--XyZ--\r\n',
    },
    production: { status: 200, json: { encoded: true, names: ['title', 'file'] } },
  },
  {
    name: 'Netlify.env, context.requestId, waitUntil, url and Netlify.context in a v2 function',
    request: { path: `${F}site-info` },
    production: { status: 200, json: { greeting: 'hello from .env', requestId: 'string', hasWaitUntil: 'function', url: true, netlifyContext: 'object' } },
    netlifyDev: { differs: 'docs/compatibility.md#third-party-corpus (environment)' },
  },
  { name: 'a v2 204 with a null body', request: { path: `${F}no-content`, method: 'DELETE' }, production: { status: 204, body: '' } },
  { name: 'a HEAD request to a v2 function', request: { path: `${F}no-content`, method: 'HEAD' }, production: { status: 200, body: '' } },
  { name: 'context.waitUntil does not hold the answer', request: { path: `${F}track?e=view` }, production: { status: 202, body: 'queued' } },
  {
    name: 'a v1 body returned as an object instead of a string',
    request: { path: `${F}object-body` },
    production: { status: 502, json: { errorType: 'Runtime.InvalidResponse', errorMessage: 'Your function response must have a string body. You gave: object' } },
    netlifyDev: ERRORS_DIFFER,
  },
  {
    name: 'included_files read beside the module, and a bundled JSON require',
    request: { path: `${F}posts?slug=world` },
    production: { status: 200, json: { slug: 'world', title: 'World' }, headers: JSON_TYPE },
  },
  { name: 'a JSON 404 from the function, untyped', request: { path: `${F}posts?slug=nope` }, production: { status: 404, body: '{"error":"not found","known":2}', headers: UNTYPED } },
  {
    name: 'preferStatic: a published file wins over the function',
    request: { path: '/docs/guide.html' },
    production: { status: 200, body: '<h1>Guide</h1>\n' },
    netlifyDev: { differs: 'docs/compatibility.md#third-party-corpus (preferStatic)' },
  },
  {
    name: 'preferStatic: the function renders what was not published',
    request: { path: '/docs/missing' },
    production: { status: 200, body: 'rendered /docs/missing', headers: { 'content-type': 'text/html' } },
  },
  {
    name: 'a netlify.toml rewrite /api/* into a v1 function keeps the original path and URL',
    request: { path: '/api/echo?z=1' },
    production: { status: 200, viewed: { path: '/api/echo', rawUrl: '<origin>/api/echo?z=1', rawQuery: 'z=1', queryStringParameters: { z: '1' } } },
    view: (body) => {
      const event = JSON.parse(body) as { path: string; rawUrl: string; rawQuery: string; queryStringParameters: unknown };
      return { path: event.path, rawUrl: event.rawUrl, rawQuery: event.rawQuery, queryStringParameters: event.queryStringParameters };
    },
    netlifyDev: { differs: 'docs/compatibility.md#third-party-corpus (redirects)' },
  },
  {
    name: 'a netlify.toml rewrite into a v2 function keeps the original URL',
    request: { path: '/api/whoami?page=3', headers: { 'user-agent': 'corpus' } },
    production: { status: 200, json: { method: 'GET', page: '3', agent: 'corpus', ip: '127.0.0.1', path: '/api/whoami' } },
    netlifyDev: { differs: 'docs/compatibility.md#third-party-corpus (redirects)' },
  },
  { name: 'a function that does not exist', request: { path: `${F}nope` }, production: { status: 404 }, netlifyDev: NOT_FOUND_DIFFERS },
];

/** fetch's options for a corpus request. */
export function requestInit(request: CorpusRequest): RequestInit {
  const init: RequestInit = {};
  if (request.method !== undefined) init.method = request.method;
  if (request.headers !== undefined) init.headers = request.headers;
  if (request.body !== undefined) init.body = request.body;
  if (request.redirect !== undefined) init.redirect = request.redirect;
  return init;
}

/** What a server answered, in the terms the cases compare. `<origin>` stands for the server's own address. */
export interface Observed {
  status: number;
  body: string;
  bytes: Buffer;
  headers: Record<string, string | null>;
  setCookies: string[];
}

const COMPARED_HEADERS = ['content-type', 'location', 'cache-control', 'content-encoding', 'access-control-allow-origin', 'access-control-allow-methods'];

/** Sends a case's request to `origin` and reads the answer. */
export async function observe(origin: string, request: CorpusRequest): Promise<Observed> {
  const response = await fetch(`${origin}${request.path}`, requestInit(request));
  const bytes = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string | null> = {};
  for (const name of COMPARED_HEADERS) headers[name] = response.headers.get(name)?.replace(origin, '<origin>') ?? null;
  return { status: response.status, body: bytes.toString('utf8').replaceAll(origin, '<origin>'), bytes, headers, setCookies: response.headers.getSetCookie() };
}

/** Checks an observed answer against a case's production answer. */
export function expectProductionAnswer(testCase: CorpusCase, seen: Observed): void {
  const { production } = testCase;
  expect(seen.status).toBe(production.status);
  if (production.body !== undefined) expect(seen.body).toBe(production.body);
  if (production.json !== undefined) expect(JSON.parse(seen.body)).toEqual(production.json);
  for (const [name, value] of Object.entries(production.headers ?? {})) expect({ name, value: seen.headers[name] }).toEqual({ name, value });
  if (production.setCookies !== undefined) expect(seen.setCookies).toEqual(production.setCookies);
  if (production.viewed !== undefined) expect(testCase.view?.(seen.body)).toEqual(production.viewed);
}
