/**
 * The invocation round trip without HTTP: the simulator's dispatch of hello-world to a warm container
 * and back, against the design's floor doing the same with its bare worker. The load runs measure both
 * behind node:http; this takes the HTTP server, the client and the sockets away, so the two figures
 * together say how much of a request's cost is the round trip and how much the HTTP side around it.
 * Each side runs in a fresh process (bench/round-trip-probe.ts); the sides alternate, round by round.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { median, ratio } from './stats.ts';

/** Which side a probe measures. */
export type RoundTripSide = 'ours' | 'floor';

/** What one probe process prints. */
export interface RoundTripOutput {
  side: RoundTripSide;
  concurrency: number;
  invocations: number;
  seconds: number;
  /** CPU clock ticks (1/100 s) over the timed part, by thread kind. */
  mainTicks: number;
  containerTicks: number;
  v8HelperTicks: number;
}

/** One probe's figures per invocation. */
export interface RoundTripFigures {
  side: RoundTripSide;
  round: number;
  invocationsPerSecond: number;
  mainUs: number;
  containersUs: number;
  v8HelpersUs: number;
  /** Every thread of the process: what one invocation costs the machine. */
  totalUs: number;
}

export interface RoundTripResults {
  concurrency: number;
  seconds: number;
  runs: RoundTripFigures[];
  /** Medians per side. */
  ours: RoundTripFigures | null;
  floor: RoundTripFigures | null;
  /** Median CPU per invocation, ours over the floor's. */
  cpuRatio: number | null;
}

/** /proc's clock ticks per second (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** A probe's output as microseconds of CPU per invocation. */
export function roundTripFigures(output: RoundTripOutput, round: number): RoundTripFigures {
  const perInvocation = (ticks: number): number => (output.invocations > 0 ? (ticks / TICKS_PER_SECOND / output.invocations) * 1e6 : Number.NaN);
  const mainUs = perInvocation(output.mainTicks);
  const containersUs = perInvocation(output.containerTicks);
  const v8HelpersUs = perInvocation(output.v8HelperTicks);
  return {
    side: output.side,
    round,
    invocationsPerSecond: output.seconds > 0 ? output.invocations / output.seconds : 0,
    mainUs,
    containersUs,
    v8HelpersUs,
    totalUs: mainUs + containersUs + v8HelpersUs,
  };
}

/** The median of each figure over one side's runs; null when it has none. */
export function medianFigures(runs: readonly RoundTripFigures[], side: RoundTripSide): RoundTripFigures | null {
  const mine = runs.filter((run) => run.side === side);
  if (mine.length === 0) return null;
  const of = (pick: (run: RoundTripFigures) => number): number => median(mine.map(pick)) ?? Number.NaN;
  return {
    side,
    round: 0,
    invocationsPerSecond: of((run) => run.invocationsPerSecond),
    mainUs: of((run) => run.mainUs),
    containersUs: of((run) => run.containersUs),
    v8HelpersUs: of((run) => run.v8HelpersUs),
    totalUs: of((run) => run.totalUs),
  };
}

const run = promisify(execFile);

async function probe(projectRoot: string, side: RoundTripSide, concurrency: number, seconds: number): Promise<RoundTripOutput> {
  const script = join(projectRoot, 'bench', 'round-trip-probe.ts');
  const { stdout } = await run(process.execPath, [script, side, join(projectRoot, 'functions'), String(concurrency), String(seconds)], {
    cwd: projectRoot,
    timeout: (seconds + 60) * 1_000,
    maxBuffer: 1 << 20,
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as RoundTripOutput;
}

/** Runs `rounds` rounds, ours then the floor in each, every probe in a fresh process. */
export async function runRoundTrips(
  projectRoot: string,
  options: { concurrency: number; seconds: number; rounds: number },
  progress: (line: string) => void,
): Promise<RoundTripResults> {
  const runs: RoundTripFigures[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const side of ['ours', 'floor'] as const) {
      const figures = roundTripFigures(await probe(projectRoot, side, options.concurrency, options.seconds), round);
      progress(
        `round trip ${round} ${side}: ${Math.round(figures.invocationsPerSecond)} invocations/s, ${figures.mainUs.toFixed(1)} µs main + ${figures.containersUs.toFixed(1)} µs containers + ${figures.v8HelpersUs.toFixed(1)} µs V8 helpers per invocation`,
      );
      runs.push(figures);
    }
  }
  const ours = medianFigures(runs, 'ours');
  const floor = medianFigures(runs, 'floor');
  return { concurrency: options.concurrency, seconds: options.seconds, runs, ours, floor, cpuRatio: ratio(ours?.totalUs ?? null, floor?.totalUs ?? null) };
}
