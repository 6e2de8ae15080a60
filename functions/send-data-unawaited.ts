import type { Handler } from '@netlify/functions';
import { v1ErrorResponse, v1Text } from '../src/lib/http-boundary.ts';
import { v1BodyBytes } from '../src/lib/parse-request.ts';
import { prepareSend, SEND_METHODS } from '../src/lib/send-request.ts';

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
    const send = await prepareSend(event.httpMethod, () => v1BodyBytes(event), event.headers['idempotency-key']);
    // Fire and forget: the bug. The catch only keeps a failed delivery from becoming an unhandled rejection.
    void send.deliver(send.payload, send.idempotencyKey).catch((error: unknown) => {
      console.error('send-data-unawaited: delivery failed after the response was sent', error);
    });
    return v1Text(200, 'OK');
  } catch (error) {
    return v1ErrorResponse(error, { allow: SEND_METHODS });
  }
};
