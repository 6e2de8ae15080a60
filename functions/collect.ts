import type { Context } from '@netlify/functions';
import { CollectStore } from '../src/lib/collect-store.ts';
import { v2ErrorResponse } from '../src/lib/http-boundary.ts';
import { idempotencyKeyFrom } from '../src/lib/idempotency-key.ts';
import { serializeDeliverable } from '../src/lib/deliverable-payload.ts';
import { AppError } from '../src/lib/errors.ts';
import { assertMethod, parseJson, readBodyBytes } from '../src/lib/parse-request.ts';
import { assertSinkAuthorized, isProductionDeploy, sinkToken } from '../src/lib/sink-auth.ts';

const ALLOWED = ['GET', 'POST', 'DELETE'] as const;

/**
 * The sink send-data delivers to, on Netlify Blobs (v2).
 * - POST stores the JSON payload with its Idempotency-Key and arrival time; a repeated key is stored
 *   once (201 when stored, 200 `stored:false` for a duplicate, both count as an acknowledgement).
 * - GET lists `{"items":[{payload,receivedAt,idempotencyKey}]}` in arrival order.
 * - DELETE empties it.
 * With `SINK_TOKEN` set, every request must carry `Authorization: Bearer <token>` (401 otherwise).
 * Without one in a production deploy, DELETE is refused (403): anyone could empty a public sink.
 * A payload nested too deep to be stored is refused with 400 before anything is written.
 */
export default async (req: Request, context: Context): Promise<Response> => {
  try {
    const method = assertMethod(req.method, ALLOWED);
    assertSinkAuthorized(req.headers.get('authorization'));
    if (method === 'GET') {
      return Response.json({ items: await CollectStore.open().list() });
    }
    if (method === 'DELETE') {
      if (sinkToken() === undefined && isProductionDeploy(context.deploy?.context)) {
        throw new AppError('FORBIDDEN', 'DELETE is disabled in production unless SINK_TOKEN is set.');
      }
      return Response.json({ deleted: await CollectStore.open().clear() });
    }
    const receivedAtMs = Date.now();
    const payload = parseJson(await readBodyBytes(req));
    serializeDeliverable(payload);
    const idempotencyKey = idempotencyKeyFrom(req.headers.get('idempotency-key'));
    const { stored } = await CollectStore.open().add({ payload, idempotencyKey, receivedAtMs });
    return Response.json({ stored, idempotencyKey }, { status: stored ? 201 : 200 });
  } catch (error) {
    return v2ErrorResponse(error, { allow: ALLOWED });
  }
};
