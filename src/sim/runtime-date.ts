/**
 * Inside a container: makes `Date` follow the simulator's clock. The simulator passes its clock's time
 * with every invocation (and at spawn, for module-scope code such as the article's `let firstInvoke =
 * new Date()`), so a test that advances a ManualClock by 5 s moves the handler's time by exactly 5 s.
 *
 * With a manual clock (`flows: false`) time stands still between syncs, as it does for the test that
 * drives it: otherwise the real milliseconds a handler spends would leak in, and "5 s later" would be
 * 4.998 s for a window opened 2 ms into an invocation. With a real clock it flows at the real rate.
 * Either way it never goes backwards within a container.
 */
export interface ClockDate {
  /** Sets the container's current time to `nowMs`. */
  sync(nowMs: number): void;
}

/** Replaces the global `Date` with one that reads the simulator clock; returns how to resync it. */
export function installClockDate(initialNowMs: number, flows: boolean): ClockDate {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  let syncedMs = initialNowMs;
  let syncedAtRealMs = realNow();
  const now = (): number => (flows ? syncedMs + (realNow() - syncedAtRealMs) : syncedMs);

  // A function rather than a subclass: `Date()` called without `new` must still return a string, and
  // `new Date(...args)` with explicit arguments must behave exactly as the real one.
  function SimDate(this: unknown, ...args: unknown[]): unknown {
    if (!new.target) return new RealDate(now()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [now()] : args, new.target);
  }
  Object.setPrototypeOf(SimDate, RealDate); // static parse, UTC
  SimDate.prototype = RealDate.prototype; // instanceof Date keeps working both ways
  Object.defineProperty(SimDate, 'now', { value: now, writable: true, configurable: true });
  globalThis.Date = SimDate as unknown as DateConstructor;

  return {
    sync(nowMs: number): void {
      syncedMs = Math.max(nowMs, now());
      syncedAtRealMs = realNow();
    },
  };
}
