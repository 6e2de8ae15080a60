/**
 * How an invocation crosses from the simulator into its container: one flat array of strings and
 * numbers, with every header in one string.
 *
 * A message between threads is structured-cloned, and the clone costs per value, not per byte: a v1
 * event as an object (two header tables, the query tables, a dozen scalars) took 4.6 µs to post and
 * receive on Node 24, the same request as one array with the headers joined 0.8 µs (`node
 * bench/wire-cost.ts`). At thousands of invocations a second that difference is a visible share of a
 * request's cost, on both threads. So the request travels as it arrived, and the container builds what
 * the handler gets (the v1 event, the v2 `Request`) from it, on its own thread.
 *
 * Header names and values cannot hold a line feed (RFC 9110 §5.5; node:http's parser and the web
 * `Headers` class both refuse one), so `\n` separates them without escaping.
 */
import type { BufferedRequest } from './api.ts';

/** A request whose header names or values hold a line feed, which no HTTP request can carry. */
export class InvalidRequestHeadersError extends Error {
  readonly code = 'INVALID_REQUEST_HEADERS';

  constructor() {
    super('a request header name or value holds a line feed, which HTTP cannot carry (RFC 9110 §5.5)');
    this.name = 'InvalidRequestHeadersError';
  }
}

/** The separator of names and values in {@link InvokeWire}'s header string. */
const SEPARATOR = '\n';

/** One invocation on the wire. Positions, not names: see {@link encodeInvocation} and {@link decodeInvocation}. */
export type InvokeWire = [
  requestId: string,
  nowMs: number,
  deadlineMs: number,
  clientIp: string,
  method: string,
  url: string,
  headers: string,
  headerCount: number,
  body: Uint8Array | null,
  geoHeader: string,
  siteId: string,
  params: Record<string, string> | null,
];

/** What the simulator knows of one invocation besides its request. */
export interface InvocationFields {
  requestId: string;
  /** The simulator clock's time at dispatch; the container's `Date` follows it. */
  nowMs: number;
  /** Clock time at which the invocation times out (v1 `getRemainingTimeInMillis`). */
  deadlineMs: number;
  clientIp: string;
  /** The invocation's geo as the `x-nf-geo` header carries it (base64 JSON); v2 `context.geo` decodes it. */
  geoHeader: string;
  /** The site id the platform headers and the v2 context carry. */
  siteId: string;
  /** v2 `context.params`: named groups of the `config.path` pattern that matched. */
  params?: Record<string, string> | undefined;
}

/** An invocation as the container reads it. */
export interface DecodedInvocation extends InvocationFields {
  request: BufferedRequest;
}

/** Packs a request and its invocation's fields for `postMessage`. */
export function encodeInvocation(request: BufferedRequest, fields: InvocationFields): InvokeWire {
  let headers = '';
  for (const [name, value] of request.headers) headers += headers === '' ? `${name}${SEPARATOR}${value}` : `${SEPARATOR}${name}${SEPARATOR}${value}`;
  return [
    fields.requestId,
    fields.nowMs,
    fields.deadlineMs,
    fields.clientIp,
    request.method,
    request.url,
    headers,
    request.headers.length,
    request.body,
    fields.geoHeader,
    fields.siteId,
    fields.params ?? null,
  ];
}

/** The same invocation dispatched again at `nowMs` with a new deadline (an init retried after the INIT limit). */
export function redispatch(wire: InvokeWire, nowMs: number, deadlineMs: number): InvokeWire {
  const copy: InvokeWire = [...wire];
  copy[1] = nowMs;
  copy[2] = deadlineMs;
  return copy;
}

/** Unpacks what {@link encodeInvocation} packed. */
export function decodeInvocation(wire: InvokeWire): DecodedInvocation {
  const [requestId, nowMs, deadlineMs, clientIp, method, url, joined, headerCount, body, geoHeader, siteId, params] = wire;
  const headers: Array<[string, string]> = [];
  if (joined !== '') {
    const parts = joined.split(SEPARATOR);
    // Only a request built by hand (Simulator.invokeBuffered with its own header list) can hold a line
    // feed: HTTP and the web Headers class refuse one. Its fields no longer pair up; say so rather than
    // hand the function shifted headers.
    if (parts.length !== headerCount * 2) throw new InvalidRequestHeadersError();
    for (let i = 0; i + 1 < parts.length; i += 2) headers.push([parts[i] as string, parts[i + 1] as string]);
  }
  return {
    requestId,
    nowMs,
    deadlineMs,
    clientIp,
    geoHeader,
    siteId,
    ...(params !== null && { params }),
    request: { method, url, headers, body },
  };
}

/** The request id of a wire invocation, without decoding it. */
export function wireRequestId(wire: InvokeWire): string {
  return wire[0];
}

/** The clock time a wire invocation was dispatched at, without decoding it. */
export function wireNowMs(wire: InvokeWire): number {
  return wire[1];
}
