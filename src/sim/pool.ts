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
  /** Idle containers, most recently used last. */
  #idle: Container[] = [];
  #reapers = new Map<Container, () => void>();
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
    if (warm) {
      this.#reapers.get(warm)?.();
      this.#reapers.delete(warm);
      return warm;
    }
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
    this.#idle.push(container);
    // Idle reaping on the simulator's clock: after idleTimeoutMs without an invocation the platform
    // stops the environment, and whatever was frozen in it (an undelivered request) is lost.
    const cancel = this.#options.clock.setTimer(this.#options.idleTimeoutMs, () => {
      this.#reapers.delete(container);
      this.#idle = this.#idle.filter((c) => c !== container);
      this.#options.logger?.info(`[${this.#options.functionName} ${container.id}] reaped after ${this.#options.idleTimeoutMs} ms idle`);
      this.#stop(container, 'reaped');
    });
    this.#reapers.set(container, cancel);
  }

  /** After a redeploy: stop idle containers now and busy ones as soon as they finish. */
  drain(): void {
    this.#draining = true;
    for (const container of this.#idle) this.#stop(container, 'retired');
    this.#idle = [];
  }

  /** Stops every container now (busy ones included) and waits until all are gone. */
  async stopAll(reason: string): Promise<void> {
    for (const container of [...this.#all]) this.#stop(container, reason);
    this.#idle = [];
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
    this.#reapers.get(container)?.();
    this.#reapers.delete(container);
    this.#all.delete(container);
    const stopping = container.stop(reason).finally(() => this.#stopping.delete(stopping));
    this.#stopping.add(stopping);
  }
}
