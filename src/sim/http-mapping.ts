/**
 * Netlify's mapping between HTTP and the two handler APIs, done in the simulator (main thread):
 * a web `Request` becomes a v1 (Lambda proxy) event, a v1 result becomes a web `Response`, and a v2
 * `Request` is flattened so it can cross into the container.
 */
import type { SerializedError, SerializedRequest, V1Event, V1Result } from './protocol.ts';

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

/** Builds the v1 event Netlify gives `handler(event, context)`, including the client-IP headers. */
export async function toV1Event(request: Request, clientIp: string): Promise<V1Event> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of request.headers) {
    if (name === 'set-cookie') continue;
    headers[name] = value;
    multiValueHeaders[name] = [value];
  }
  const cookies = request.headers.getSetCookie();
  if (cookies.length > 0) {
    headers['set-cookie'] = cookies.join(', ');
    multiValueHeaders['set-cookie'] = cookies;
  }
  for (const name of ['client-ip', 'x-nf-client-connection-ip']) {
    headers[name] = clientIp;
    multiValueHeaders[name] = [clientIp];
  }
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const key of new Set(url.searchParams.keys())) multiValueQueryStringParameters[key] = url.searchParams.getAll(key);
  const queryStringParameters: Record<string, string> = {};
  for (const [key, values] of Object.entries(multiValueQueryStringParameters)) queryStringParameters[key] = values.join(', ');

  const bytes = await readBody(request);
  const binary = bytes !== null && isBinaryContentType(request.headers.get('content-type'));
  return {
    httpMethod: request.method,
    path: url.pathname,
    rawUrl: url.href,
    rawQuery: url.search.slice(1),
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    body: bytes === null ? null : Buffer.from(bytes).toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary,
  };
}

/** Flattens a web `Request` (buffering its body, as Netlify does for synchronous functions) for cloning. */
export async function serializeRequest(request: Request): Promise<SerializedRequest> {
  return {
    method: request.method,
    url: request.url,
    headers: [...request.headers],
    body: await readBody(request),
  };
}

/** A v1 result that is not a valid proxy response: reported like a handler error. */
export class InvalidV1ResultError extends Error {
  override name = 'Runtime.InvalidResponse';
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** Turns a v1 handler's `{statusCode, headers, multiValueHeaders, body, isBase64Encoded}` into a `Response`. */
export function fromV1Result(result: V1Result): Response {
  const status = result.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    throw new InvalidV1ResultError('Your function response must have a numerical statusCode between 200 and 599.');
  }
  if (result.body !== undefined && result.body !== null && typeof result.body !== 'string') {
    throw new InvalidV1ResultError('Your function response must have a string body. You gave: ' + typeof result.body);
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(result.headers ?? {})) headers.set(name, String(value));
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    if (!Array.isArray(values)) continue;
    // multiValueHeaders win over headers for the same name, and each value stays separate (set-cookie).
    headers.delete(name);
    for (const value of values) headers.append(name, String(value));
  }
  const body = NULL_BODY_STATUSES.has(status) || !result.body ? null : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  return new Response(body, { status, headers });
}

/**
 * The body Netlify answers with when a function fails: its `{errorType, errorMessage}` JSON (what
 * production and netlify-cli return), without the stack trace, which stays in the simulator's log.
 */
export function errorResponse(status: number, error: Partial<SerializedError> & { errorMessage: string }): Response {
  // Built field by field: a stack trace must never reach the client.
  const body = error.errorType === undefined ? { errorMessage: error.errorMessage } : { errorType: error.errorType, errorMessage: error.errorMessage };
  return Response.json(body, { status });
}
