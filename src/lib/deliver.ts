import { readDeliveryConfig } from './delivery-config.ts';
import { sendJson, type Delivery } from './outbound-http.ts';
import { sinkAuthorization } from './sink-auth.ts';

/** Sends one payload; resolves when the destination acknowledged it with a 2xx. */
export type Deliver = (payload: unknown, idempotencyKey: string) => Promise<Delivery>;

/**
 * Reads the delivery settings now (see {@link readDeliveryConfig}) and returns the function that sends.
 * Reading first means a missing destination is refused before any response goes out, even by the
 * handlers that do not await the delivery. The caller decides whether to await the send: send-data
 * does, send-data-unawaited does not (the seed article's bug).
 * @throws AppError `MISCONFIGURED`
 */
export function deliveryFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): Deliver {
  const config = readDeliveryConfig(env);
  const authorization = sinkAuthorization(env);
  return (payload, idempotencyKey) =>
    sendJson({
      url: config.destinationUrl,
      payload,
      idempotencyKey,
      deadlineMs: config.deadlineMs,
      maxAttempts: config.maxAttempts,
      retryBaseDelayMs: config.retryBaseDelayMs,
      connectTimeoutMs: config.connectTimeoutMs,
      ...(authorization !== undefined && { authorization }),
    });
}
