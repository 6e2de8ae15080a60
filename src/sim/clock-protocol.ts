/**
 * The messages on a container's clock channel, a MessagePort of its own beside the runtime's main one.
 * It exists only when the simulator runs on a ManualClock: the simulator tells a busy container that
 * time moved, and the container says (on its main port) which timers it armed and when it has fired
 * those that came due.
 */
import type { TimerApi } from './api.ts';

/** Simulator to container. */
export type ToRuntimeClock = {
  /** The clock moved to `nowMs` while the container was awake; `seq` is echoed by the `ack`. */
  type: 'clock';
  seq: number;
  nowMs: number;
};

/** Container to simulator: sent over the runtime's main port, in order with its other messages. */
export type FromRuntimeClock =
  /** A timer was armed (or re-armed: an interval after it fired, a `refresh()`), due at `dueMs`. */
  | { type: 'armed'; id: number; api: TimerApi; delayMs: number; dueMs: number; requestId: string }
  /** A timer fired for good or was cleared. */
  | { type: 'disarmed'; id: number }
  /** Every timer due by the time of clock message `seq` has fired, and what it queued has run. */
  | { type: 'ack'; seq: number };

/** Whether a message from the runtime is one of these (the rest are protocol.ts's). */
export function isClockMessage(message: { type: string }): message is FromRuntimeClock {
  return message.type === 'armed' || message.type === 'disarmed' || message.type === 'ack';
}
