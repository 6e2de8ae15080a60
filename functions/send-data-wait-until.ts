import type { Context } from '@netlify/functions';
import { v2ErrorResponse } from '../src/lib/http-boundary.ts';
import { readBodyBytes } from '../src/lib/parse-request.ts';
import { prepareSend, SEND_METHODS } from '../src/lib/send-request.ts';

/**
 * The platform's fix (v2): answer 200 `OK` at once and hand the delivery to `context.waitUntil`, which
 * keeps the function running (not frozen) until the promise settles. Bad input is still refused
 * up front; a failed delivery can only be logged, because the response is already gone.
 */
export default async (req: Request, context: Context): Promise<Response> => {
  try {
    const send = await prepareSend(req.method, () => readBodyBytes(req), req.headers.get('idempotency-key'));
    context.waitUntil(
      send.deliver(send.payload, send.idempotencyKey).catch((error: unknown) => {
        console.error('send-data-wait-until: delivery failed', error);
      }),
    );
    return new Response('OK', { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  } catch (error) {
    return v2ErrorResponse(error, { allow: SEND_METHODS });
  }
};
