/**
 * Command-line and environment options of `npm run bench`.
 * Parsing is pure (argv and env in, options out) so test/bench can check it.
 */

/** One selectable part of the benchmark, for `--only`. */
export type BenchTarget =
  | 'ours'
  | 'netlify'
  | 'floor'
  | 'floor-work'
  | 'bare'
  | 'memory'
  | 'container-rss'
  | 'round-trip'
  | 'burst'
  | 'startup'
  | 'reload'
  | 'cold-start'
  | 'warm-overhead'
  | 'breakdown'
  | 'test-time';

/** Every target, in the order they run. */
export const ALL_TARGETS: readonly BenchTarget[] = [
  'ours',
  'netlify',
  'floor',
  'floor-work',
  'bare',
  'memory',
  'container-rss',
  'round-trip',
  'burst',
  'startup',
  'reload',
  'cold-start',
  'warm-overhead',
  'breakdown',
  'test-time',
];

/** What one run of the benchmark does. */
export interface BenchOptions {
  /** Seconds of measured load per server and request, in each round. */
  durationS: number;
  /**
   * Load runs are repeated this many times, every server once per round, and each ratio is the median
   * of its per-round values: a shared machine's load drifts over minutes, the servers of one round
   * are measured close together.
   */
  rounds: number;
  /** Seconds of unmeasured load before each measured run, so JIT and caches are warm. */
  warmupS: number;
  connections: number;
  /** Requests in the sustained-load memory run (issue 5: 20,000). */
  memoryRequests: number;
  /** The memory run is split into this many chunks, with an RSS sample after each. */
  memoryChunks: number;
  /**
   * Upper bound, in seconds, on one memory chunk. netlify's v2 path serves a few requests per second,
   * so 20,000 requests would take about an hour there; the chunk stops at this bound and growth is
   * reported per request actually served.
   */
  memoryChunkCapS: number;
  /**
   * Upper bound, in seconds, on the settling load before a memory run (0: none). Every isolate (each
   * container's, the main thread's, the Blobs thread's) sizes its heap over its first major GCs under
   * load, which takes tens of seconds; the run measures what comes after, growth per request under
   * sustained load, not how big the heaps end up. Settling stops early once RSS stops climbing.
   */
  memorySettleCapS: number;
  /** Seconds of load between two RSS checks while settling. */
  memorySettleSliceS: number;
  /** Cold starts measured (issue 5: at least 20). */
  coldStarts: number;
  /** Warm invocations measured for the overhead figure. */
  warmInvocations: number;
  /** Container counts of the RSS-per-container measurement (each one: N containers against N bare workers). */
  containerCounts: readonly number[];
  /** Seconds each side of the round-trip measurement invokes for, per round (after a 2 s warm-up). */
  roundTripS: number;
  /** Concurrent requests of the burst against a cold function (issue 15: 100). */
  burstRequests: number;
  /** Start-ups measured per server (`npm start`, `netlify dev`); the figure is the median. */
  startupRuns: number;
  /** Saves of a function file in the hot-reload measurement (issue 15: at least 10). */
  reloadSaves: number;
  /** Which parts run. */
  only: readonly BenchTarget[];
  quick: boolean;
  /**
   * Whether the report also goes to docs/benchmarks-results.md, the tracked page the docs link to.
   * On by default for a full run (every target, not --quick), so the published figures always come
   * from one whole run and are never pasted by hand; --publish / --no-publish override it.
   */
  publish: boolean;
}

/** Thrown for a bad flag or value; main prints its message and the usage. */
export class BenchOptionsError extends Error {
  readonly code = 'INVALID_BENCH_OPTIONS';
}

export const USAGE = `usage: npm run bench -- [--duration S] [--warmup S] [--quick] [--only ${ALL_TARGETS.join(',')}]
  --duration S        seconds of measured load per server and request in each round (env BENCH_DURATION_S, default 10)
  --rounds N          rounds of load runs; ratios are medians of the per-round ratios (default 3, quick 1)
  --warmup S          seconds of warm-up load before each measured run (env BENCH_WARMUP_S, default 2)
  --quick             a short smoke run: 2 s load, 2,000-request memory run, 20 cold starts, 300 warm calls
  --only LIST         comma-separated subset of: ${ALL_TARGETS.join(', ')} (env BENCH_ONLY)
  --memory-requests N requests in the memory run (default 20000)
  --memory-settle S   at most S seconds of load before the memory run, until RSS stops climbing (default 60, 0: none)
  --cold-starts N     cold starts to measure (default 30, at least 20)
  --warm-invocations N warm invocations to measure (default 3000)
  --startup-runs N    start-ups of each server to measure, median reported (default 5, quick 1)
  --reload-saves N    saves of a function file in the hot-reload run, median reported (default 12, quick 3)
  --publish           also write docs/benchmarks-results.md (the default for a full run: every target, not --quick)
  --no-publish        do not write docs/benchmarks-results.md`;

function positiveNumber(name: string, raw: string | undefined): number {
  const value = Number(raw);
  if (raw === undefined || raw === '' || !Number.isFinite(value) || value <= 0) {
    throw new BenchOptionsError(`${name} needs a positive number, got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`);
  }
  return value;
}

function nonNegativeNumber(name: string, raw: string | undefined): number {
  const value = Number(raw);
  if (raw === undefined || raw === '' || !Number.isFinite(value) || value < 0) {
    throw new BenchOptionsError(`${name} needs a number of seconds (0 or more), got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`);
  }
  return value;
}

function positiveInteger(name: string, raw: string | undefined): number {
  const value = positiveNumber(name, raw);
  if (!Number.isInteger(value)) throw new BenchOptionsError(`${name} needs a whole number, got ${raw}`);
  return value;
}

function parseOnly(raw: string): BenchTarget[] {
  const names = raw.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (names.length === 0) throw new BenchOptionsError('--only needs at least one target');
  return names.map((name) => {
    const target = ALL_TARGETS.find((candidate) => candidate === name);
    if (!target) throw new BenchOptionsError(`unknown target ${JSON.stringify(name)}; choose from ${ALL_TARGETS.join(', ')}`);
    return target;
  });
}

/**
 * Options from `argv` (the arguments after the script) and `env`. Flags win over env.
 * `--quick` sets short defaults first, so `--quick --duration 5` still means 5 s.
 */
export function parseBenchOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): BenchOptions {
  const quick = argv.includes('--quick') || env['BENCH_QUICK'] === '1';
  const options: BenchOptions = quick
    ? { durationS: 2, rounds: 1, warmupS: 1, connections: 10, memoryRequests: 2_000, memoryChunks: 4, memoryChunkCapS: 3, memorySettleCapS: 3, memorySettleSliceS: 1, coldStarts: 20, warmInvocations: 300, containerCounts: [10], roundTripS: 2, burstRequests: 100, startupRuns: 1, reloadSaves: 3, only: ALL_TARGETS, quick, publish: false }
    : { durationS: 10, rounds: 3, warmupS: 2, connections: 10, memoryRequests: 20_000, memoryChunks: 4, memoryChunkCapS: 40, memorySettleCapS: 60, memorySettleSliceS: 5, coldStarts: 30, warmInvocations: 3_000, containerCounts: [10, 20], roundTripS: 5, burstRequests: 100, startupRuns: 5, reloadSaves: 12, only: ALL_TARGETS, quick, publish: false };

  let publish: boolean | undefined;
  if (env['BENCH_DURATION_S'] !== undefined) options.durationS = positiveNumber('BENCH_DURATION_S', env['BENCH_DURATION_S']);
  if (env['BENCH_WARMUP_S'] !== undefined) options.warmupS = positiveNumber('BENCH_WARMUP_S', env['BENCH_WARMUP_S']);
  if (env['BENCH_ONLY'] !== undefined) options.only = parseOnly(env['BENCH_ONLY']);

  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const takeValue = (): string | undefined => {
      i += 1;
      return argv[i];
    };
    switch (flag) {
      case '--quick':
        break;
      case '--publish':
        publish = true;
        break;
      case '--no-publish':
        publish = false;
        break;
      case '--duration':
        options.durationS = positiveNumber('--duration', takeValue());
        break;
      case '--warmup':
        options.warmupS = positiveNumber('--warmup', takeValue());
        break;
      case '--only': {
        const value = takeValue();
        if (value === undefined) throw new BenchOptionsError('--only needs a list of targets');
        options.only = parseOnly(value);
        break;
      }
      case '--memory-requests':
        options.memoryRequests = positiveInteger('--memory-requests', takeValue());
        break;
      case '--rounds':
        options.rounds = positiveInteger('--rounds', takeValue());
        break;
      case '--memory-settle':
        options.memorySettleCapS = nonNegativeNumber('--memory-settle', takeValue());
        break;
      case '--cold-starts':
        options.coldStarts = positiveInteger('--cold-starts', takeValue());
        break;
      case '--warm-invocations':
        options.warmInvocations = positiveInteger('--warm-invocations', takeValue());
        break;
      case '--startup-runs':
        options.startupRuns = positiveInteger('--startup-runs', takeValue());
        break;
      case '--reload-saves':
        options.reloadSaves = positiveInteger('--reload-saves', takeValue());
        break;
      default:
        throw new BenchOptionsError(`unknown argument ${JSON.stringify(flag)}`);
    }
  }
  // Issue 5 asks for the median over at least 20 cold starts; fewer would not be the figure it asks for.
  if (options.coldStarts < 20) throw new BenchOptionsError(`--cold-starts must be at least 20, got ${options.coldStarts}`);
  if (options.memoryRequests < options.connections * options.memoryChunks) {
    throw new BenchOptionsError(`--memory-requests must be at least ${options.connections * options.memoryChunks}`);
  }
  options.publish = publish ?? (!options.quick && ALL_TARGETS.every((target) => options.only.includes(target)));
  return options;
}
