/**
 * For a handler that never answers (a hang, a timeout test): learn which container took the request
 * anyway, through the simulator's `onStart` hook.
 */

/** An `onStart` hook, and a promise of the id of the container that took the request. */
export function whenStarted(): { onStart: (start: { containerId: string }) => void; containerId: Promise<string> } {
  let resolve!: (id: string) => void;
  const containerId = new Promise<string>((settle) => (resolve = settle));
  return { onStart: (start) => resolve(start.containerId), containerId };
}
