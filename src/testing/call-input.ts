/**
 * A call's request, written the short way. `{ method: 'POST', body: { n: 1 }, query: { page: '2' } }`
 * becomes the `Request` a browser would have sent: a plain object or array body is JSON with its
 * content type, a query object is URL-encoded.
 */

/** A JSON value a shorthand body may be. */
export type JsonBody = { [key: string]: unknown } | unknown[];

/** The shorthand for a request. Every `RequestInit` field is accepted as is. */
export interface CallInput extends Omit<RequestInit, 'body'> {
  /** A string, bytes, a stream, form data... or a plain object/array, sent as JSON. */
  body?: RequestInit['body'] | JsonBody;
  /** Appended to the URL: `'a=1&b=2'` or `{ a: '1', b: '2' }`. */
  query?: string | Record<string, string> | URLSearchParams;
}

/** The origin a harness request is addressed to, as `netlify dev` serves a site locally. */
export const CALL_ORIGIN = 'http://localhost';

const functionsPrefix = '/.netlify/functions/';

/** True when `target` is a URL path (`/api/hello`), false when it is a function's name (`hello`). */
export function isPath(target: string): boolean {
  return target.startsWith('/');
}

function isJsonBody(body: CallInput['body']): body is JsonBody {
  if (Array.isArray(body)) return true;
  if (body === null || typeof body !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(body);
  return proto === Object.prototype || proto === null;
}

/**
 * The `Request` for a call: to `/.netlify/functions/<name>` for a name, to the path itself for a path
 * (a path may carry its own `?query`; `input.query` is appended to it).
 */
export function toRequest(target: string, input: CallInput = {}): Request {
  const { query, body, ...init } = input;
  const url = new URL(isPath(target) ? target : `${functionsPrefix}${encodeURIComponent(target)}`, CALL_ORIGIN);
  if (typeof query === 'string') {
    // Kept byte for byte: a test of query parsing must reach the function exactly as written.
    const raw = query.startsWith('?') ? query.slice(1) : query;
    if (raw !== '') url.search = url.search === '' ? raw : `${url.search.slice(1)}&${raw}`;
  } else if (query !== undefined) {
    for (const [key, value] of new URLSearchParams(query)) url.searchParams.append(key, value);
  }
  if (!isJsonBody(body)) return new Request(url, { ...init, ...(body !== undefined && { body }) });
  const headers = new Headers(init.headers);
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return new Request(url, { method: 'POST', ...init, headers, body: JSON.stringify(body) });
}
