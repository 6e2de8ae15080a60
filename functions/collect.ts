import type { Context } from '@netlify/functions';
import { CollectStore } from '../src/lib/collect-store.ts';
import { v2ErrorResponse } from '../src/lib/http-boundary.ts';
import { idempotencyKeyFrom } from '../src/lib/idempotency-key.ts';
import { assertMethod, parseJson, readBodyBytes } from '../src/lib/parse-request.ts';

const ALLOWED = ['GET', 'POST', 'DELETE'] as const;

/**
 * The sink send-data delivers to, on Netlify Blobs (v2).
 * - POST stores the JSON payload with its Idempotency-Key and arrival time; a repeated key is stored
 *   once (201 when stored, 200 `stored:false` for a duplicate, both count as an acknowledgement).
 * - GET lists `{"items":[{payload,receivedAt,idempotencyKey}]}` in arrival order.
 * - DELETE empties it.
 */
export default async (req: Request, _context: Context): Promise<Response> => {
  try {
    const method = assertMethod(req.method, ALLOWED);
    if (method === 'GET') {
      return Response.json({ items: await CollectStore.open().list() });
    }
    if (method === 'DELETE') {
      return Response.json({ deleted: await CollectStore.open().clear() });
    }
    const receivedAtMs = Date.now();
    const payload = parseJson(await readBodyBytes(req));
    const idempotencyKey = idempotencyKeyFrom(req.headers.get('idempotency-key'));
    const { stored } = await CollectStore.open().add({ payload, idempotencyKey, receivedAtMs });
    return Response.json({ stored, idempotencyKey }, { status: stored ? 201 : 200 });
  } catch (error) {
    return v2ErrorResponse(error, { allow: ALLOWED });
  }
};
