import { readDeliveryConfig } from './delivery-config.ts';
import { sendJson, type Delivery } from './outbound-http.ts';

/**
 * Sends one payload to the configured destination (see {@link readDeliveryConfig}) and resolves
 * when it acknowledged with a 2xx. The caller decides whether to await it; send-data does,
 * send-data-unawaited does not (the seed article's bug).
 */
export async function deliverPayload(
  payload: unknown,
  idempotencyKey: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Delivery> {
  const config = readDeliveryConfig(env);
  return sendJson({
    url: config.destinationUrl,
    payload,
    idempotencyKey,
    deadlineMs: config.deadlineMs,
    maxAttempts: config.maxAttempts,
    retryBaseDelayMs: config.retryBaseDelayMs,
    connectTimeoutMs: config.connectTimeoutMs,
  });
}
