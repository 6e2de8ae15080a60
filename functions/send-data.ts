import type { Handler } from '@netlify/functions';
import { deliveryFromEnv } from '../src/lib/deliver.ts';
import { v1ErrorResponse, v1Text } from '../src/lib/http-boundary.ts';
import { idempotencyKeyFrom } from '../src/lib/idempotency-key.ts';
import { assertMethod, parseJsonObject, v1BodyBytes } from '../src/lib/parse-request.ts';
import { WorkTracker } from '../src/lib/work-tracker.ts';

const ALLOWED = ['POST'] as const;

/**
 * Forwards a JSON object to SEND_DATA_URL (default: this site's collect) and answers 200 `OK` only
 * after the destination acknowledged it: the fix for the seed article's bug. Nothing is left in
 * flight when the handler returns, so nothing can be frozen with the container.
 */
export const handler: Handler = async (event) => {
  try {
    assertMethod(event.httpMethod, ALLOWED);
    const payload = parseJsonObject(v1BodyBytes(event));
    const idempotencyKey = idempotencyKeyFrom(event.headers['idempotency-key']);
    const deliver = deliveryFromEnv();
    const work = new WorkTracker();
    await work.track(deliver(payload, idempotencyKey));
    await work.settle();
    return v1Text(200, 'OK');
  } catch (error) {
    return v1ErrorResponse(error, { allow: ALLOWED });
  }
};
