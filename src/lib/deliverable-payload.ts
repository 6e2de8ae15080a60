import { AppError } from './errors.ts';
import { DEFAULT_MAX_BODY_BYTES } from './parse-request.ts';

/**
 * Deepest nesting of objects and arrays a payload may have. JSON.parse accepts far deeper input (a
 * 32,000-deep object fits in 64 KiB), but JSON.stringify then overflows the stack on the way out: the
 * payload would be acknowledged and never delivered, or refused by the store. 64 levels is far beyond
 * any real record and far below any stack.
 */
export const MAX_PAYLOAD_DEPTH = 64;

/**
 * Checks that `payload` can be delivered as it is, before anyone is told it was accepted: nesting at
 * most {@link MAX_PAYLOAD_DEPTH}, serialisable by JSON.stringify, and at most `maxBytes` once
 * serialised (collect's body limit; re-serialising can make a body longer, `1e21` becomes `1e+21`).
 * Iterative, so the check itself cannot overflow the stack.
 * @returns the serialised payload (what is sent)
 * @throws AppError `UNDELIVERABLE_PAYLOAD`
 */
export function serializeDeliverable(payload: unknown, maxBytes: number = DEFAULT_MAX_BODY_BYTES): string {
  const depth = nestingDepth(payload);
  if (depth > MAX_PAYLOAD_DEPTH) {
    throw new AppError('UNDELIVERABLE_PAYLOAD', `The payload nests ${depth > 10_000 ? 'more than 10000' : depth} levels deep; at most ${MAX_PAYLOAD_DEPTH} can be delivered.`);
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(payload);
  } catch (error) {
    throw new AppError('UNDELIVERABLE_PAYLOAD', 'The payload cannot be serialised as JSON.', { cause: error });
  }
  if (text === undefined) throw new AppError('UNDELIVERABLE_PAYLOAD', 'The payload has no JSON form.');
  const sizeBytes = Buffer.byteLength(text);
  if (sizeBytes > maxBytes) {
    throw new AppError('UNDELIVERABLE_PAYLOAD', `The payload is ${sizeBytes} bytes once serialised; the destination takes at most ${maxBytes}.`);
  }
  return text;
}

/** The nesting depth of objects and arrays in `value` (a scalar is 0), counted without recursion; stops counting past 10 000. */
export function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof current !== 'object' || current === null) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > 10_000) return deepest;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: level });
    }
  }
  return deepest;
}
