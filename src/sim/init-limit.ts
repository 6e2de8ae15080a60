/**
 * Lambda's INIT limit: a container's Init phase (module evaluation) may take 10 s. Past it, Lambda
 * logs `INIT_REPORT Init Duration: … Phase: init Status: timeout`, and retries init at the first
 * invocation, where the retried init counts against the function's own timeout instead (AWS Lambda
 * developer guide, "Understanding the Lambda execution environment lifecycle", Init phase; see
 * docs/virtual-time.md).
 *
 * Measured on real time AND, with a ManualClock, on the simulator's clock, whichever passes the limit
 * first (on the clock, once the runtime has caught up with that time and still initialises). Init is real CPU work (evaluating a bundle, building clients): the ManualClock stands still
 * while it runs, so on the clock alone an init stuck in a loop would never time out. But an init that
 * waits on a timer (`await setTimeout(…)` at module scope) waits on the clock, and a test that advances
 * the clock past the limit has let that much time pass. With the system clock both are the same time,
 * so only the real one is armed.
 */
import type { Clock } from './api.ts';
import { systemClock } from './clock.ts';

/** Lambda's limit for on-demand functions. */
export const DEFAULT_INIT_TIMEOUT_MS = 10_000;

/**
 * Calls `onTimeout` with the init's duration so far once `limitMs` has passed; returns the cancel. On
 * a ManualClock, passing the limit counts once `caughtUp()` resolves: the runtime has caught up with
 * the limit's time (fired the timers due by then) and is still initialising. An init that finishes at
 * the limit exactly is in time ("longer than" the limit fails), and one that has not reached the point
 * where it waits when the clock jumps is not made slow by the jump.
 */
export function watchInit(clock: Clock, limitMs: number, caughtUp: () => Promise<void>, onTimeout: (durationMs: number) => void): () => void {
  const startedMs = performance.now();
  // Set by a timeout or a cancel; a confirmation still on its way afterwards changes nothing.
  let settled = false;
  const fire = (durationMs: number): void => {
    if (settled) return;
    cancel();
    onTimeout(durationMs);
  };
  const realTimer = setTimeout(() => fire(performance.now() - startedMs), limitMs);
  // Never the reason a dev server or a test process stays up.
  realTimer.unref();
  const cancelClock =
    clock === systemClock
      ? undefined
      : clock.setTimer(limitMs, () => {
          void caughtUp().then(() => fire(limitMs));
        });
  const cancel = (): void => {
    settled = true;
    clearTimeout(realTimer);
    cancelClock?.();
  };
  return cancel;
}

/** Lambda's log line for an Init phase that ran out of time. */
export function initTimeoutReport(durationMs: number): string {
  return `INIT_REPORT Init Duration: ${durationMs.toFixed(2)} ms Phase: init Status: timeout`;
}
