/**
 * The one thing the library needs from time. Structurally a subset of the simulator's `Clock`
 * (src/sim/api.ts), so a simulator clock can be passed in without the library importing the simulator.
 */
export interface NowClock {
  /** Milliseconds since the Unix epoch, as `Date.now()`. */
  now(): number;
}

/** Reads `Date.now()` at each call, so fake timers (`vi.setSystemTime`) and a simulated `Date` apply. */
export const systemClock: NowClock = { now: () => Date.now() };
