/**
 * How a container's freeze crosses back to the simulator: one flat array rather than a nested object.
 * It travels once per invocation, carrying the end of the response (for a v1 handler, its result), so
 * its structured clone is on every request's path: as an object with the final message nested in it,
 * posting and receiving it took 2.0 µs on Node 24, as this array 1.3 µs (`node bench/wire-cost.ts`;
 * see invoke-wire.ts for why the clone costs per value). The simulator decodes it back to the
 * {@link FrozenMessage} it handles.
 */
import type { PendingWork } from './api.ts';
import type { FinalMessage, V1Result } from './protocol.ts';

/** The freeze that ends an invocation, as the simulator handles it. */
export interface FrozenMessage {
  type: 'frozen';
  requestId: string;
  durationMs: number;
  maxMemoryUsedMb: number;
  pendingAtFreeze: PendingWork[];
  /** The end of the response, when nothing (no waitUntil) separates it from the freeze. */
  final?: FinalMessage;
}

/** The tag in slot 0 that tells a freeze from the runtime's other (object) messages. */
export const FROZEN_TAG = 'frozen';

/**
 * A freeze on the wire: tag, request id, duration, memory, the pending work (null when none), the final
 * message's type (null when none) and its payload: a v1 result alone, else the whole final message.
 */
export type FrozenWire = [
  tag: typeof FROZEN_TAG,
  requestId: string,
  durationMs: number,
  maxMemoryUsedMb: number,
  pendingAtFreeze: PendingWork[] | null,
  finalType: FinalMessage['type'] | null,
  finalPayload: V1Result | FinalMessage | null,
];

/** Packs a freeze for `postMessage`. */
export function encodeFrozen(message: FrozenMessage): FrozenWire {
  const { final } = message;
  const pending = message.pendingAtFreeze.length === 0 ? null : message.pendingAtFreeze;
  if (final === undefined) return [FROZEN_TAG, message.requestId, message.durationMs, message.maxMemoryUsedMb, pending, null, null];
  const payload = final.type === 'v1-response' ? final.result : final;
  return [FROZEN_TAG, message.requestId, message.durationMs, message.maxMemoryUsedMb, pending, final.type, payload];
}

/** Whether a message from the runtime is a packed freeze. */
export function isFrozenWire(message: unknown): message is FrozenWire {
  return Array.isArray(message) && message[0] === FROZEN_TAG;
}

/** Unpacks what {@link encodeFrozen} packed. */
export function decodeFrozen(wire: FrozenWire): FrozenMessage {
  const [, requestId, durationMs, maxMemoryUsedMb, pending, finalType, payload] = wire;
  const message: FrozenMessage = { type: 'frozen', requestId, durationMs, maxMemoryUsedMb, pendingAtFreeze: pending ?? [] };
  if (finalType === 'v1-response') message.final = { type: 'v1-response', requestId, result: payload as V1Result };
  else if (finalType !== null) message.final = payload as FinalMessage;
  return message;
}
