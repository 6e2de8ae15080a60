/**
 * The containers of one function (one bundle version): hands out an idle warm container, cold-starts
 * a new one when all are busy, throttles beyond the concurrency limit, and reaps idle ones.
 *
 * Pick rule: the most recently used idle container (a stack). Lambda tends to route to the warmest
 * environment; doing the same here keeps the other idle containers idle, so they are the ones reaped,
 * and a trickle of requests keeps exactly one container warm (the article's "pings" point).
 */
import type { Clock, ContainerSnapshot, SimLogger } from './api.ts';
import type { Container } from './container.ts';

export interface PoolOptions {
  functionName: string;
  clock: Clock;
  idleTimeoutMs: number;
  maxConcurrency: number;
  createContainer: () => Container;
  logger?: SimLogger | undefined;
}

/** The containers of one function version, with its pick rule, concurrency limit and idle reaping. */
export class ContainerPool {
  #options: PoolOptions;
  #all = new Set<Container>();
  /** Idle containers with the clock time each went idle, most recently used last (so oldest first). */
  #idle: Array<{ container: Container; idleSinceMs: number }> = [];
  /**
   * Cancels the one reaping timer, armed for the oldest idle container (`#idle[0]`); null when none is
   * armed. One timer for the pool rather than one per release: under load every request released a
   * container, and setting and clearing a timer each time was a measurable cost on the main thread.
   * The oldest idle container only changes when it is taken (then the pool has no other idle one, as
   * the most recent is taken first) or reaped, and both re-arm.
   */
  #reaper: (() => void) | null = null;
  #stopping = new Set<Promise<void>>();
  #draining = false;

  constructor(options: PoolOptions) {
    this.#options = options;
  }

  /** No containers left, and none still stopping. */
  get empty(): boolean {
    return this.#all.size === 0 && this.#stopping.size === 0;
  }

  /**
   * Atomically takes a container for one invocation: synchronous, so two concurrent calls can never
   * get the same container. Returns null when throttled (every container busy at maxConcurrency).
   */
  acquire(): Container | null {
    const warm = this.#idle.pop();
    // The reaper stays armed even when this took the last idle container: when it fires it finds
    // nothing due and does not re-arm. Under steady load the idle list empties and refills on every
    // invocation, and clearing and setting a timer each time was a visible cost on the main thread.
    if (warm) return warm.container;
    if (this.#all.size >= this.#options.maxConcurrency) return null;
    const container = this.#options.createContainer();
    this.#all.add(container);
    return container;
  }

  /** Gives a container back after its invocation froze (or failed). */
  release(container: Container): void {
    if (!this.#all.has(container)) return;
    if (container.state === 'stopped') {
      this.#all.delete(container);
      return;
    }
    if (this.#draining) {
      this.#stop(container, 'retired');
      return;
    }
    this.#idle.push({ container, idleSinceMs: this.#options.clock.now() });
    this.#armReaper();
  }

  /**
   * Idle reaping on the simulator's clock: after idleTimeoutMs without an invocation the platform
   * stops the environment, and whatever was frozen in it (an undelivered request) is lost.
   */
  #armReaper(): void {
    const oldest = this.#idle[0];
    if (this.#reaper || !oldest) return;
    const { clock, idleTimeoutMs } = this.#options;
    this.#reaper = clock.setTimer(oldest.idleSinceMs + idleTimeoutMs - clock.now(), () => {
      this.#reaper = null;
      const nowMs = clock.now();
      for (let next = this.#idle[0]; next && next.idleSinceMs + idleTimeoutMs <= nowMs; next = this.#idle[0]) {
        this.#idle.shift();
        this.#options.logger?.info(`[${this.#options.functionName} ${next.container.id}] reaped after ${idleTimeoutMs} ms idle`);
        this.#stop(next.container, 'reaped');
      }
      this.#armReaper();
    });
  }

  #disarmReaper(): void {
    this.#reaper?.();
    this.#reaper = null;
  }

  /** After a redeploy: stop idle containers now and busy ones as soon as they finish. */
  drain(): void {
    this.#draining = true;
    const idle = this.#idle;
    this.#idle = [];
    this.#disarmReaper();
    for (const { container } of idle) this.#stop(container, 'retired');
  }

  /** Stops every container now (busy ones included) and waits until all are gone. */
  async stopAll(reason: string): Promise<void> {
    this.#idle = [];
    this.#disarmReaper();
    for (const container of [...this.#all]) this.#stop(container, reason);
    await this.settled();
  }

  /** Waits until every stop in progress has finished. */
  async settled(): Promise<void> {
    while (this.#stopping.size > 0) await Promise.all([...this.#stopping]);
  }

  snapshots(): ContainerSnapshot[] {
    return [...this.#all].map((container) => container.snapshot());
  }

  #stop(container: Container, reason: string): void {
    this.#all.delete(container);
    const stopping = container.stop(reason).finally(() => this.#stopping.delete(stopping));
    this.#stopping.add(stopping);
  }
}
