/**
 * Writing a node:http response: a buffered answer in one write, a function's web `Response` streamed
 * with backpressure, and the server's own JSON errors.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { BufferedResponse } from '../sim/api.ts';
import { errorBody, statusForCode, type ServerErrorCode } from './errors.ts';

/**
 * Sends a buffered answer (a v1 result, an error, a 202 for a background function): head and body in
 * one write, with a Content-Length.
 */
export function writeBuffered(answer: BufferedResponse, res: ServerResponse, requestId: string, isHead: boolean): void {
  if (res.destroyed) return;
  const headers: string[] = [];
  let hasRequestId = false;
  let hasLength = false;
  for (const [name, value] of answer.headers) {
    headers.push(name, value);
    if (name === 'x-nf-request-id') hasRequestId = true;
    else if (name === 'content-length') hasLength = true;
  }
  if (!hasRequestId) headers.push('x-nf-request-id', requestId);
  const body = isHead || answer.status === 204 || answer.status === 304 ? null : answer.body;
  if (body !== null && !hasLength) headers.push('content-length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength));
  res.writeHead(answer.status, headers);
  if (body === null) res.end();
  else res.end(body);
}

/** Sends a function's web `Response` (v2): the head at once, then the body as it streams. */
export async function writeResponse(response: Response, res: ServerResponse, requestId: string, isHead: boolean): Promise<void> {
  const headers: string[] = [];
  // Headers iteration yields each set-cookie on its own, so multiple cookies survive.
  for (const [name, value] of response.headers) headers.push(name, value);
  if (!response.headers.has('x-nf-request-id')) headers.push('x-nf-request-id', requestId);
  const body = response.body;
  const bodyless = isHead || response.status === 204 || response.status === 304;
  if (res.destroyed) {
    await drain(body);
    return;
  }
  if (!body || bodyless) {
    res.writeHead(response.status, headers);
    await drain(body);
    res.end();
    return;
  }
  res.writeHead(response.status, headers);
  // Send the head now: a streamed body's first chunk may be a long way off.
  res.flushHeaders();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // A client that hung up: keep reading and drop the rest. On the platform the function runs on
      // after a disconnect (until it ends or times out), and the container freezes only once its body
      // is complete, so the stream is drained rather than cancelled.
      if (res.destroyed) continue;
      // Respect backpressure so a slow client does not make the server buffer a whole stream.
      if (!res.write(value)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
    if (!res.destroyed) res.end();
  } catch {
    // The function's stream failed after the status went out: cut the response, as the platform does.
    res.destroy();
  }
}

/** Reads a body to its end and drops it (see writeResponse for why not `cancel()`). */
export async function drain(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  try {
    for (;;) if ((await reader.read()).done) return;
  } catch {
    // A failed body has nothing left to drain.
  }
}

/** Sends `value` as JSON with `status`, unless an answer already went out. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Sends the server's JSON error `{"error":{"code","message"}}` with the code's status. After the head
 * already went out there is no way to say it: the connection is cut instead.
 */
export function sendError(res: ServerResponse, code: ServerErrorCode, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  const text = errorBody(code, message);
  res.writeHead(statusForCode(code), { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
