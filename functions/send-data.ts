import type { Handler } from '@netlify/functions';
import { v1ErrorResponse, v1Text } from '../src/lib/http-boundary.ts';
import { v1BodyBytes } from '../src/lib/parse-request.ts';
import { prepareSend, SEND_METHODS } from '../src/lib/send-request.ts';
import { WorkTracker } from '../src/lib/work-tracker.ts';

/**
 * Forwards a JSON object to SEND_DATA_URL (default: this site's collect) and answers 200 `OK` only
 * after the destination acknowledged it: the fix for the seed article's bug. Nothing is left in
 * flight when the handler returns, so nothing can be frozen with the container.
 */
export const handler: Handler = async (event) => {
  try {
    const send = await prepareSend(event.httpMethod, () => v1BodyBytes(event), event.headers['idempotency-key']);
    const work = new WorkTracker();
    // Awaited where it starts, so a refusal or a deadline becomes this request's 502/504.
    await work.track(send.deliver(send.payload, send.idempotencyKey));
    // Anything else this handler might start later is awaited too: nothing may outlive the response.
    await work.settle();
    return v1Text(200, 'OK');
  } catch (error) {
    return v1ErrorResponse(error, { allow: SEND_METHODS });
  }
};
