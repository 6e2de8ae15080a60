/**
 * Tracks promises a handler starts so it can await all of them before returning.
 *
 * Why: after a handler's promise settles the platform freezes the container (docs/platform-facts.md#lambda-execution-environment), and any
 * work still in flight stalls until a later invocation thaws it, or is lost if the container is reaped.
 * That is the seed article's bug. One tracker per invocation; `settle()` before returning.
 */
export class WorkTracker {
  #pending = new Set<Promise<unknown>>();

  /** Registers `work` and returns it unchanged, so it can still be awaited where it was started. */
  track<T>(work: Promise<T>): Promise<T> {
    this.#pending.add(work);
    const forget = (): void => {
      this.#pending.delete(work);
    };
    work.then(forget, forget);
    return work;
  }

  /** How many tracked promises have not settled yet. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Waits until every tracked promise has settled, including ones tracked while waiting.
   * Never rejects: the results say what failed.
   */
  async settle(): Promise<PromiseSettledResult<unknown>[]> {
    const results: PromiseSettledResult<unknown>[] = [];
    while (this.#pending.size > 0) {
      const batch = [...this.#pending];
      results.push(...(await Promise.allSettled(batch)));
      for (const work of batch) this.#pending.delete(work);
    }
    return results;
  }
}
