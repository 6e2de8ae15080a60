import type { Context } from '@netlify/functions';
import { deliveryFromEnv } from '../src/lib/deliver.ts';
import { v2ErrorResponse } from '../src/lib/http-boundary.ts';
import { idempotencyKeyFrom } from '../src/lib/idempotency-key.ts';
import { assertMethod, parseJsonObject, readBodyBytes } from '../src/lib/parse-request.ts';

const ALLOWED = ['POST'] as const;

/**
 * The platform's fix (v2): answer 200 `OK` at once and hand the delivery to `context.waitUntil`, which
 * keeps the function running (not frozen) until the promise settles. Bad input is still refused
 * up front; a failed delivery can only be logged, because the response is already gone.
 */
export default async (req: Request, context: Context): Promise<Response> => {
  try {
    assertMethod(req.method, ALLOWED);
    const payload = parseJsonObject(await readBodyBytes(req));
    const idempotencyKey = idempotencyKeyFrom(req.headers.get('idempotency-key'));
    const deliver = deliveryFromEnv(); // before answering: a missing destination is a 500, even here
    context.waitUntil(
      deliver(payload, idempotencyKey).catch((error: unknown) => {
        console.error('send-data-wait-until: delivery failed', error);
      }),
    );
    return new Response('OK', { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  } catch (error) {
    return v2ErrorResponse(error, { allow: ALLOWED });
  }
};
