import type { Handler } from '@netlify/functions';
import { deliveryFromEnv } from '../src/lib/deliver.ts';
import { v1ErrorResponse, v1Text } from '../src/lib/http-boundary.ts';
import { idempotencyKeyFrom } from '../src/lib/idempotency-key.ts';
import { assertMethod, parseJsonObject, v1BodyBytes } from '../src/lib/parse-request.ts';

const ALLOWED = ['POST'] as const;

/**
 * THE SEED ARTICLE'S BUG, KEPT ON PURPOSE. Do not "fix" this file; send-data is the fix.
 *
 * It starts the delivery and answers 200 `OK` without awaiting it. On the platform the container is
 * frozen as soon as this handler's promise settles, so the request stalls mid-flight and only moves
 * when a later invocation thaws the same container (or never, if the container is reaped). Locally,
 * where nothing freezes, it appears to work; the container simulator shows the difference.
 */
export const handler: Handler = async (event) => {
  try {
    assertMethod(event.httpMethod, ALLOWED);
    const payload = parseJsonObject(v1BodyBytes(event));
    const idempotencyKey = idempotencyKeyFrom(event.headers['idempotency-key']);
    const deliver = deliveryFromEnv(); // before answering: a missing destination is a 500, even here
    // Fire and forget: the bug. The catch only keeps a failed delivery from becoming an unhandled rejection.
    void deliver(payload, idempotencyKey).catch((error: unknown) => {
      console.error('send-data-unawaited: delivery failed after the response was sent', error);
    });
    return v1Text(200, 'OK');
  } catch (error) {
    return v1ErrorResponse(error, { allow: ALLOWED });
  }
};
