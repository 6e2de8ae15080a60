import { deliveryFromEnv, type Deliver } from './deliver.ts';
import { serializeDeliverable } from './deliverable-payload.ts';
import { idempotencyKeyFrom } from './idempotency-key.ts';
import { assertMethod, parseJsonObject, type JsonObject } from './parse-request.ts';

/** The methods the send-data family accepts (its 405 lists them in `Allow`). */
export const SEND_METHODS = ['POST'] as const;

/** A send-data request that passed every check and can be delivered. */
export interface SendRequest {
  payload: JsonObject;
  idempotencyKey: string;
  deliver: Deliver;
}

/**
 * The checks all three send-data functions make BEFORE answering, in the order that decides which
 * error a bad request gets: method (405), body (413, 400), a payload that could not be delivered
 * (400 UNDELIVERABLE_PAYLOAD: too deep, not serialisable, too large once serialised), Idempotency-Key
 * (400), destination (500). Nothing that passes can fail to serialise on the way out.
 * Even the handlers that do not await delivery refuse bad input here, since after their answer
 * nobody can be told. `readBody` runs only once the method is allowed.
 * @throws AppError with the code of the first check that fails
 */
export async function prepareSend(
  method: string | undefined,
  readBody: () => Buffer | Promise<Buffer>,
  idempotencyHeader: string | null | undefined,
): Promise<SendRequest> {
  assertMethod(method, SEND_METHODS);
  const payload = parseJsonObject(await readBody());
  serializeDeliverable(payload);
  const idempotencyKey = idempotencyKeyFrom(idempotencyHeader);
  const deliver = deliveryFromEnv();
  return { payload, idempotencyKey, deliver };
}
