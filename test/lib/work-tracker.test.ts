import { describe, expect, it } from 'vitest';
import { WorkTracker } from '../../src/lib/work-tracker.ts';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('WorkTracker', () => {
  it('settles only after every tracked promise, including ones tracked while waiting, and never rejects', async () => {
    const tracker = new WorkTracker();
    const a = deferred<string>();
    const b = deferred<string>();
    tracker.track(a.promise);
    let done = false;
    const settling = tracker.settle().then((results) => {
      done = true;
      return results;
    });
    expect(tracker.pendingCount).toBe(1);
    tracker.track(b.promise).catch(() => undefined);
    a.resolve('a');
    await a.promise;
    await Promise.resolve();
    expect(done).toBe(false); // b is still running
    b.reject(new Error('b failed'));
    const results = await settling;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(tracker.pendingCount).toBe(0);
  });

  it('returns the tracked promise unchanged', async () => {
    const tracker = new WorkTracker();
    await expect(tracker.track(Promise.resolve(42))).resolves.toBe(42);
    expect(await tracker.settle()).toEqual([]);
  });
});
