/**
 * Netlify's mapping between HTTP and the two handler APIs: a request becomes a v1 (Lambda proxy) event
 * (inside the container, from the request as it crossed over: invoke-wire.ts), a v1 result becomes a
 * web `Response` (in the simulator), and a web `Request` is flattened so it can cross into the container.
 */
import type { BufferedRequest, BufferedResponse } from './api.ts';
import { headerList } from './header-list.ts';
import { InvalidResponseError } from './platform-errors.ts';
import type { SerializedError, V1Event, V1Result } from './protocol.ts';

// Content types netlify-cli passes as text although they are not text/* (its shouldBase64Encode list).
const TEXTUAL_TYPES = new Set([
  'application/csp-report',
  'application/graphql',
  'application/json',
  'application/javascript',
  'application/x-www-form-urlencoded',
  'application/x-ndjson',
  'application/xml',
]);

/** Whether Netlify hands a body with this content type to a v1 handler base64-encoded. */
export function isBinaryContentType(contentType: string | null): boolean {
  if (!contentType) return true;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (type.startsWith('text/') || type.endsWith('+json') || type.endsWith('+xml')) return false;
  return !TEXTUAL_TYPES.has(type);
}

async function readBody(request: Request): Promise<Uint8Array | null> {
  if (request.body === null) return null;
  const bytes = new Uint8Array(await request.arrayBuffer());
  return bytes.byteLength === 0 ? null : bytes;
}

/** The platform headers Netlify's proxy adds to a request for a v1 function (besides the client IP ones). */
export interface V1PlatformHeaders {
  requestId: string;
  /** The `x-nf-geo` header: the invocation's geo as base64 JSON (platform-defaults.ts, `encodeGeoHeader`). */
  geoHeader: string;
  siteId: string;
  accountId: string;
}

/** The parts of a URL the v1 event reads. */
interface UrlParts {
  href: string;
  pathname: string;
  search: string;
}

/**
 * The last URL parsed, and its parts. A container is invoked for one function, and under load mostly
 * at one URL: parsing it again on every invocation was a visible share of the container's work.
 */
let lastUrl: { input: string; parts: UrlParts } | undefined;

function parsedUrl(input: string): UrlParts {
  if (lastUrl?.input !== input) {
    const url = new URL(input);
    lastUrl = { input, parts: { href: url.href, pathname: url.pathname, search: url.search } };
  }
  return lastUrl.parts;
}

/**
 * Builds the v1 event Netlify gives `handler(event, context)`, including the headers the platform adds:
 * `client-ip` and `x-nf-client-connection-ip` always, and with `platform` the ones netlify dev adds too
 * (`x-nf-account-id`, `x-nf-site-id`, `x-nf-geo` as base64 JSON; netlify/cli `src/lib/functions/server.ts`)
 * plus `x-nf-request-id`, which production's proxy sets on every function request.
 */
export function toV1Event(request: BufferedRequest, clientIp: string, platform?: V1PlatformHeaders): V1Event {
  const url = parsedUrl(request.url);
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of request.headers) {
    if (name === 'set-cookie') {
      (cookies ??= []).push(value);
      continue;
    }
    headers[name] = value;
    multiValueHeaders[name] = [value];
  }
  if (cookies !== undefined) {
    headers['set-cookie'] = cookies.join(', ');
    multiValueHeaders['set-cookie'] = cookies;
  }
  // Assigned one by one rather than from a list of pairs: this runs once per v1 invocation.
  headers['client-ip'] = clientIp;
  multiValueHeaders['client-ip'] = [clientIp];
  headers['x-nf-client-connection-ip'] = clientIp;
  multiValueHeaders['x-nf-client-connection-ip'] = [clientIp];
  if (platform) {
    headers['x-nf-account-id'] = platform.accountId;
    multiValueHeaders['x-nf-account-id'] = [platform.accountId];
    headers['x-nf-site-id'] = platform.siteId;
    multiValueHeaders['x-nf-site-id'] = [platform.siteId];
    headers['x-nf-geo'] = platform.geoHeader;
    multiValueHeaders['x-nf-geo'] = [platform.geoHeader];
    headers['x-nf-request-id'] = platform.requestId;
    multiValueHeaders['x-nf-request-id'] = [platform.requestId];
  }
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  const queryStringParameters: Record<string, string> = {};
  const search = url.search;
  if (search !== '') {
    const params = new URLSearchParams(search);
    for (const key of new Set(params.keys())) multiValueQueryStringParameters[key] = params.getAll(key);
    for (const [key, values] of Object.entries(multiValueQueryStringParameters)) queryStringParameters[key] = values.join(', ');
  }
  const bytes = request.body !== null && request.body.byteLength > 0 ? request.body : null;
  const binary = bytes !== null && isBinaryContentType(headers['content-type'] ?? null);
  return {
    httpMethod: request.method,
    path: url.pathname,
    rawUrl: url.href,
    rawQuery: search.slice(1),
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    body: bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary,
  };
}

/** Flattens a web `Request` (buffering its body, as Netlify does for synchronous functions) for cloning. */
export async function serializeRequest(request: Request): Promise<BufferedRequest> {
  return {
    method: request.method,
    url: request.url,
    headers: [...request.headers],
    body: await readBody(request),
  };
}

/** A v1 result that is not a valid proxy response: reported like a handler error. */
export class InvalidV1ResultError extends InvalidResponseError {}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

// RFC 9110 token characters: what a web `Headers` accepts as a field name.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Leading and trailing HTTP whitespace, which `Headers` strips from a value.
const OUTER_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;
// What may not remain inside a value (it would split the header or end the head).
const FORBIDDEN_IN_VALUE = /[\0\r\n]/;

function headerName(name: string): string {
  if (!HEADER_NAME.test(name)) throw new InvalidV1ResultError(`Your function response has an invalid header name: ${JSON.stringify(name)}`);
  return name.toLowerCase();
}

function headerValue(name: string, value: unknown): string {
  const text = String(value).replace(OUTER_WHITESPACE, '');
  if (FORBIDDEN_IN_VALUE.test(text)) throw new InvalidV1ResultError(`Your function response has an invalid value for header ${JSON.stringify(name)}`);
  return text;
}

/**
 * `headers` alone (no `multiValueHeaders`, the usual result) as `Headers` iteration order: checked,
 * lower-cased, sorted, and a name given twice in different case kept once (the last, as a Map would),
 * without the Map and the lists of values the general case builds.
 */
function singleValueHeaders(headers: V1Result['headers']): Array<[string, string]> {
  const list: Array<[string, string]> = [];
  if (headers === undefined || headers === null) return list;
  for (const name of Object.keys(headers)) list.push([headerName(name), headerValue(name, headers[name])]);
  // Stable: of two spellings of one name, the later one stays later.
  list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let kept = 0;
  for (const field of list) {
    if (kept > 0 && list[kept - 1]?.[0] === field[0]) list[kept - 1] = field;
    else list[kept++] = field;
  }
  list.length = kept;
  return list;
}

/**
 * Turns a v1 handler's `{statusCode, headers, multiValueHeaders, body, isBase64Encoded}` into the
 * answer sent to the client, with a web `Response`'s header rules (names lower-cased and sorted,
 * repeated fields joined with ", " except set-cookie) but without
 * building one: this runs once per v1 request, on the server's busiest thread.
 */
export function fromV1Result(result: V1Result): BufferedResponse {
  const status = result.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    throw new InvalidV1ResultError('Your function response must have a numerical statusCode between 200 and 599.');
  }
  if (result.body !== undefined && result.body !== null && typeof result.body !== 'string') {
    throw new InvalidV1ResultError('Your function response must have a string body. You gave: ' + typeof result.body);
  }
  const headers = result.multiValueHeaders === undefined || result.multiValueHeaders === null ? singleValueHeaders(result.headers) : undefined;
  const fields = headers === undefined ? new Map<string, string[]>() : undefined;
  if (fields) {
    for (const [name, value] of Object.entries(result.headers ?? {})) fields.set(headerName(name), [headerValue(name, value)]);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
      if (!Array.isArray(values)) continue;
      // multiValueHeaders win over headers for the same name, and each value stays separate (set-cookie).
      const key = headerName(name);
      if (values.length === 0) fields.delete(key);
      else fields.set(key, values.map((value) => headerValue(name, value)));
    }
  }
  const bodyless = NULL_BODY_STATUSES.has(status) || !result.body;
  let body: Uint8Array | string | null = null;
  if (!bodyless && result.body) {
    // No content-type is invented for a body the function left untyped: netlify-cli writes the
    // result's own headers and nothing else (netlify-cli `lib/functions/synchronous.ts`, measured in
    // test/compat/corpus-netlify-dev.test.ts).
    body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  }
  const answer: BufferedResponse = { kind: 'buffered', status, headers: headers ?? headerList(fields ?? new Map()), body };
  if (result.metadata?.builder_function === true) answer.builder = true;
  return answer;
}

/** A buffered answer as a web `Response`, for callers of the Request/Response API. */
export function toWebResponse(answer: BufferedResponse): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/**
 * The body Netlify answers with when a function fails: its `{errorType, errorMessage}` JSON (what
 * production and netlify-cli return), without the stack trace, which stays in the simulator's log.
 */
export function errorResponse(status: number, error: Partial<SerializedError> & { errorMessage: string }): BufferedResponse {
  // Built field by field: a stack trace must never reach the client.
  const body = error.errorType === undefined ? { errorMessage: error.errorMessage } : { errorType: error.errorType, errorMessage: error.errorMessage };
  return { kind: 'buffered', status, headers: [['content-type', 'application/json']], body: JSON.stringify(body) };
}
