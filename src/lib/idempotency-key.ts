import { randomUUID } from 'node:crypto';
import { AppError } from './errors.ts';

/** Longest idempotency key accepted from a client. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * The client's `Idempotency-Key` if it sent one (so a client retry is also deduplicated downstream),
 * else a fresh UUID.
 * @throws AppError `INVALID_IDEMPOTENCY_KEY` when the header is empty, too long, or not printable ASCII
 */
export function idempotencyKeyFrom(headerValue: string | null | undefined): string {
  if (headerValue === null || headerValue === undefined) return randomUUID();
  const key = headerValue.trim();
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    throw new AppError(
      'INVALID_IDEMPOTENCY_KEY',
      `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters.`,
    );
  }
  return key;
}
