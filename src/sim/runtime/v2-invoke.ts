/**
 * Inside a container: one v2 invocation. Rebuilds the web Request, runs the handler with its context
 * (inside the request-context store, so `Netlify.context` and `getContext()` see it), adds the cookies
 * it set, and sends the Response: whole in one message when the body is ready, else streamed. Then
 * keeps the container busy until every `waitUntil` promise settled.
 */
import { DEFAULT_GEO } from '../platform-defaults.ts';
import type { FinalMessage, InvokeMessage } from '../protocol.ts';
import { UnsupportedReturnValueError } from '../platform-errors.ts';
import { runWithContext } from './netlify-global.ts';
import { readReadyBody } from './response-body.ts';
import { serializeError } from './serialize-error.ts';
import type { RuntimeServices } from './services.ts';
import type { UserFunction } from './user-function.ts';
import { buildV2Context } from './v2-context.ts';


/** Runs a v2 handler; resolves with the message that ends the response (undefined when it was posted before waitUntil work). */
export async function runV2(fn: UserFunction, message: InvokeMessage, services: RuntimeServices): Promise<FinalMessage | undefined> {
  const { tracker, post } = services;
  const serialized = message.request;
  if (!serialized) throw new Error('v2 invocation without a request');
  const hasBody = serialized.body !== null && serialized.method !== 'GET' && serialized.method !== 'HEAD';
  const request = new Request(serialized.url, {
    method: serialized.method,
    headers: serialized.headers,
    body: hasBody ? serialized.body : null,
  });
  const waits: Array<Promise<unknown>> = [];
  const { context, cookies } = buildV2Context({
    request,
    requestId: message.requestId,
    ip: message.clientIp,
    geo: message.geo ?? DEFAULT_GEO,
    params: message.params ?? {},
    onWaitUntil: (promise) => waits.push(promise),
  });
  const returned = await tracker.runAs(message.requestId, () => runWithContext(context, () => fn.handler(request, context)));
  // Production's bootstrap: undefined is an empty answer (204, as netlify dev, which runs that
  // bootstrap, answers it), anything but a Response is refused.
  const response = returned === undefined ? new Response(null, { status: 204 }) : returned;
  if (!(response instanceof Response)) {
    throw new UnsupportedReturnValueError();
  }
  const headers = [...response.headers];
  // The cookies the handler set go out as Set-Cookie headers, after its own (production applies them to a copy of the response's headers).
  const setCookies = cookies.setCookieHeaders();
  if (setCookies.length > 0) {
    for (const cookie of setCookies) headers.push(['set-cookie', cookie]);
    // Kept in a Headers' order (sorted by name; a stable sort keeps the cookies in call order).
    headers.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
  const head = { requestId: message.requestId, status: response.status, headers };
  let final: FinalMessage | undefined;
  const ready = await readReadyBody(response.body);
  if (ready.complete) {
    // The whole body was there without waiting (a string, JSON, bytes): the response travels as one
    // message, and the server sends it in one write with a Content-Length.
    final = { type: 'v2-complete', ...head, body: ready.body };
  } else {
    // A body still being produced streams: the head and what is ready go out now, the rest chunk by
    // chunk, so a streaming handler's first bytes reach the client before it finishes.
    post({ type: 'v2-head', ...head, statusText: response.statusText });
    for (const chunk of ready.chunks) post({ type: 'v2-chunk', requestId: message.requestId, chunk });
    try {
      for (let next = await ready.pending; !next.done; next = await ready.reader.read()) {
        post({ type: 'v2-chunk', requestId: message.requestId, chunk: next.value });
      }
      final = { type: 'v2-end', requestId: message.requestId };
    } catch (error) {
      final = { type: 'v2-body-error', requestId: message.requestId, error: serializeError(error) };
    }
  }
  if (waits.length === 0) return final;
  // The response is complete and goes out now; the container stays busy for waitUntil.
  if (final) post(final);
  // waitUntil may be called again while earlier promises settle: drain until none are added.
  for (let settled = 0; settled < waits.length; ) {
    const batch = waits.slice(settled);
    settled = waits.length;
    await Promise.all(batch);
  }
  return undefined;
}
