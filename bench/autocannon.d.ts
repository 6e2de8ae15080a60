/**
 * The part of autocannon's programmatic API the benchmark uses (autocannon ships no types).
 * Shapes from its README ("API", "Results"); latency histograms are in milliseconds.
 */
declare module 'autocannon' {
  interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
  }

  interface Result {
    url: string;
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    mismatches: number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Histogram;
    /** Per-second request counts; `total` is the completed requests. */
    requests: Histogram & { sent: number };
    /** Per-second byte counts; `total` is the bytes received. */
    throughput: Histogram;
  }

  interface Options {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    /** Stop after this many requests; overrides `duration`. */
    amount?: number;
    /** Seconds before a request counts as timed out. */
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
  }

  interface Instance extends PromiseLike<Result> {
    stop(): void;
    on(event: 'tick', listener: (counter: { counter: number; bytes: number }) => void): this;
  }

  function autocannon(options: Options): Instance;
  export default autocannon;
  export type { Histogram, Instance, Options, Result };
}
