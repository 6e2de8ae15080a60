/**
 * The simulator's own figures (issue 3, "Performance"):
 * - cold start: time to the first response of a new container, against the floor of a bare worker
 *   that imports the same esbuild bundle and answers once;
 * - warm overhead: a warm invocation through the simulator against calling the handler directly.
 *
 * The simulator is loaded with a dynamic import so that, while src/sim/index.ts has not landed, the
 * bench reports these figures as not available instead of failing to start.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import type { Clock, FunctionInfo, InvocationReport, InvocationResult, SimulatorOptions } from '../src/sim/api.ts';
import { median, percentile, ratio } from './stats.ts';

/** The facade methods the bench uses (src/sim/index.ts). */
interface SimulatorFacade {
  invoke(name: string, request: Request): Promise<InvocationResult>;
  close(): Promise<void>;
  /** Optional in the bench: lets it confirm the floor imports the very bundle the containers run. */
  functions?(): Promise<FunctionInfo[]>;
}
type SimulatorConstructor = new (options: SimulatorOptions & { cacheDir?: string }) => SimulatorFacade;

/** Timings of one kind, in milliseconds. */
export interface TimingSummary {
  samplesMs: number[];
  medianMs: number;
  p90Ms: number;
  minMs: number;
}

function summarize(samplesMs: number[]): TimingSummary {
  return { samplesMs, medianMs: median(samplesMs), p90Ms: percentile(samplesMs, 90), minMs: Math.min(...samplesMs) };
}

export type SimFigures<T> = { status: 'ok'; figures: T } | { status: 'not-available'; reason: string } | { status: 'failed'; reason: string };

export interface ColdStartFigures {
  functionName: string;
  bundleBytes: number;
  /** Whether the simulator reported the same bundle hash (null: it does not expose one). */
  sameBundleAsSimulator: boolean | null;
  /** new container through the simulator: invoke() until the response body is read. */
  simulator: TimingSummary;
  /** The simulator's own INIT duration per cold start (module evaluation inside the container). */
  simulatorInitMs: TimingSummary | null;
  /** new Worker, import the bundle, call the handler, post the body back. */
  floor: TimingSummary;
  /** simulator median / floor median; issue 3 aims at ≤ 1.5. */
  ratio: number | null;
  /** Invocations in the measured loop that were not cold (should be 0: each one follows a reap). */
  notCold: number;
}

export interface WarmOverheadFigures {
  functionName: string;
  /** Per warm invocation through the simulator: invoke() until the response body is read. */
  simulator: TimingSummary;
  /** Per direct call of the same bundle's handler in this thread. */
  direct: TimingSummary;
  /** simulator median - direct median; issue 3 aims at < 0.2 ms. */
  overheadMs: number;
  /** Invocations in the measured loop that cold-started (should be 0). */
  notWarm: number;
}

/**
 * A clock that only moves when advanced: the cold-start loop reaps the container by advancing it past the
 * idle timeout, instead of waiting 10 minutes or starting a new simulator (which would also re-bundle).
 */
class SteppedClock implements Clock {
  #nowMs = Date.now();
  #timers = new Map<number, { dueMs: number; callback: () => void }>();
  #nextId = 0;

  now(): number {
    return this.#nowMs;
  }

  setTimer(delayMs: number, callback: () => void): () => void {
    const id = this.#nextId++;
    this.#timers.set(id, { dueMs: this.#nowMs + Math.max(0, delayMs), callback });
    return () => {
      this.#timers.delete(id);
    };
  }

  advance(ms: number): void {
    this.#nowMs += ms;
    const due = [...this.#timers.entries()].filter(([, timer]) => timer.dueMs <= this.#nowMs).sort((a, b) => a[1].dueMs - b[1].dueMs);
    for (const [id, timer] of due) {
      this.#timers.delete(id);
      timer.callback();
    }
  }
}

async function loadSimulator(projectRoot: string): Promise<SimulatorConstructor | string> {
  const facade = join(projectRoot, 'src', 'sim', 'index.ts');
  if (!existsSync(facade)) return 'src/sim/index.ts (the simulator facade) has not landed';
  const module = (await import(pathToFileURL(facade).href)) as { Simulator?: SimulatorConstructor };
  if (typeof module.Simulator !== 'function') return 'src/sim/index.ts does not export a Simulator class';
  return module.Simulator;
}

/** The bundle the floor and the direct calls import. */
interface BenchBundle {
  path: string;
  bytes: number;
  /** sha256 of the code, first 16 hex digits: the simulator's cache key, to check both bundles match. */
  hash: string;
}

/**
 * Bundles `functions/<name>.ts` with esbuild as Netlify's esbuild bundler does for Node (one ESM file,
 * dependencies inlined, a `require` shim) into a temporary directory.
 */
async function bundleFunction(projectRoot: string, functionName: string, outDir: string): Promise<BenchBundle> {
  const outfile = join(outDir, `${functionName}.mjs`);
  const result = await build({
    entryPoints: [join(projectRoot, 'functions', `${functionName}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
    // CommonJS dependencies inlined into an ESM bundle call require(); give them one, as Netlify's bundler does.
    banner: { js: "import { createRequire as __simCreateRequire } from 'node:module'; const require = __simCreateRequire(import.meta.url);" },
  });
  const code = result.outputFiles[0]?.text;
  if (code === undefined) throw new Error(`esbuild produced no output for ${functionName}`);
  writeFileSync(outfile, code);
  return { path: outfile, bytes: Buffer.byteLength(code), hash: createHash('sha256').update(code).digest('hex').slice(0, 16) };
}

/** The simulator's deploy-directory bundle of `functionName` with `hash`, or null if it is not there. */
function simulatorBundleFile(cacheDir: string, functionName: string, hash: string): string | null {
  const deployDir = join(cacheDir, `${functionName}-${hash}`);
  try {
    const match = readdirSync(deployDir, { recursive: true, encoding: 'utf8' }).find((entry) => entry.endsWith(`${functionName}.mjs`));
    return match ? join(deployDir, match) : null;
  } catch {
    return null;
  }
}

/** A minimal v1 event for a GET, the shape Netlify passes. */
function v1Event(url: string): Record<string, unknown> {
  const parsed = new URL(url);
  return {
    httpMethod: 'GET',
    path: parsed.pathname,
    rawUrl: url,
    rawQuery: '',
    headers: { host: parsed.host },
    multiValueHeaders: { host: [parsed.host] },
    queryStringParameters: {},
    multiValueQueryStringParameters: {},
    body: null,
    isBase64Encoded: false,
  };
}

// The floor's worker: CommonJS eval code (no file to resolve, no TypeScript to strip), so nothing runs
// but starting the thread, importing the bundle and one handler call.
const FLOOR_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.bundleUrl).then(async (mod) => {
  const handler = mod.handler ?? mod.default;
  const result = await handler(workerData.event, { functionName: workerData.functionName, awsRequestId: 'floor', getRemainingTimeInMillis: () => 60000 });
  parentPort.postMessage(result.body);
});
`;

async function floorColdStartMs(bundleUrl: string, functionName: string, url: string): Promise<number> {
  const startedAt = performance.now();
  const worker = new Worker(FLOOR_WORKER_SOURCE, { eval: true, workerData: { bundleUrl, functionName, event: v1Event(url) } });
  const body = await new Promise<unknown>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const elapsedMs = performance.now() - startedAt;
  await worker.terminate();
  if (typeof body !== 'string') throw new Error(`floor worker answered ${String(body)}`);
  return elapsedMs;
}

/** Invokes once and reads the whole body; returns the elapsed ms and the result. */
async function timedInvoke(simulator: SimulatorFacade, functionName: string, url: string): Promise<{ elapsedMs: number; result: InvocationResult; report: InvocationReport }> {
  // Built before the clock starts: the direct call it is compared with also gets its event ready-made.
  const request = new Request(url);
  const startedAt = performance.now();
  const result = await simulator.invoke(functionName, request);
  await result.response.arrayBuffer();
  const elapsedMs = performance.now() - startedAt;
  // Wait for the freeze outside the timing: the next invocation must find this container idle, or it
  // would cold-start a second one.
  const report = await result.done;
  if (result.response.status !== 200) throw new Error(`${functionName} answered ${result.response.status}: ${report.errorMessage ?? ''}`);
  return { elapsedMs, result, report };
}

export interface SimBenchInput {
  projectRoot: string;
  functionName: string;
  coldStarts: number;
  warmInvocations: number;
  progress: (line: string) => void;
}

/** Runs the cold-start and warm-overhead measurements through one simulator. */
export async function runSimulatorBench(
  input: SimBenchInput,
  parts: { coldStart: boolean; warmOverhead: boolean },
): Promise<{ coldStart: SimFigures<ColdStartFigures> | null; warmOverhead: SimFigures<WarmOverheadFigures> | null }> {
  const notAvailable = (reason: string) => ({
    coldStart: parts.coldStart ? { status: 'not-available' as const, reason } : null,
    warmOverhead: parts.warmOverhead ? { status: 'not-available' as const, reason } : null,
  });
  const Simulator = await loadSimulator(input.projectRoot);
  if (typeof Simulator === 'string') return notAvailable(Simulator);

  const { functionName, progress } = input;
  const url = `http://127.0.0.1:8888/.netlify/functions/${functionName}`;
  const outDir = mkdtempSync(join(tmpdir(), 'bench-sim-'));
  const clock = new SteppedClock();
  const idleTimeoutMs = 60_000;
  let simulator: SimulatorFacade | null = null;
  try {
    const ownBundle = await bundleFunction(input.projectRoot, functionName, outDir);
    const cacheDir = join(outDir, 'sim-cache');
    simulator = new Simulator({ functionsDir: join(input.projectRoot, 'functions'), clock, idleTimeoutMs, cacheDir });
    // The first invocation also bundles; it is not a cold start of a container alone, so it is not measured.
    await timedInvoke(simulator, functionName, url);
    const info = (await simulator.functions?.())?.find((candidate) => candidate.name === functionName);
    // The floor imports the very file the containers import when it can be found in the simulator's
    // cache (`<cacheDir>/<name>-<hash>/…/<name>.mjs`); else the bench's own esbuild bundle, compared by code.
    const simulatorFile = info ? simulatorBundleFile(cacheDir, functionName, info.bundleHash) : null;
    const bundle = simulatorFile ? { ...ownBundle, path: simulatorFile, bytes: statSync(simulatorFile).size } : ownBundle;
    const sameBundleAsSimulator = simulatorFile ? true : info ? info.bundleBytes === ownBundle.bytes : null;
    const bundleUrl = pathToFileURL(bundle.path).href;

    let coldStart: SimFigures<ColdStartFigures> | null = null;
    if (parts.coldStart) {
      // One unmeasured floor run, so both sides start with esbuild's output in the page cache.
      await floorColdStartMs(bundleUrl, functionName, url);
      const simulatorMs: number[] = [];
      const initMs: number[] = [];
      const floorMs: number[] = [];
      let notCold = 0;
      for (let i = 0; i < input.coldStarts; i++) {
        // Reap every container, then give the terminated worker a moment to go, so its teardown does not
        // overlap the next measurement on a 2-core machine.
        clock.advance(idleTimeoutMs + 1_000);
        await delay(20);
        const { elapsedMs, result, report } = await timedInvoke(simulator, functionName, url);
        if (!result.coldStart) notCold += 1;
        simulatorMs.push(elapsedMs);
        if (report.initDurationMs !== undefined) initMs.push(report.initDurationMs);
        // Alternate with the floor, so drift in machine load hits both series alike.
        floorMs.push(await floorColdStartMs(bundleUrl, functionName, url));
        if ((i + 1) % 10 === 0) progress(`cold start ${i + 1}/${input.coldStarts}`);
      }
      const simulatorSummary = summarize(simulatorMs);
      const floor = summarize(floorMs);
      coldStart = {
        status: 'ok',
        figures: {
          functionName,
          bundleBytes: bundle.bytes,
          sameBundleAsSimulator,
          simulator: simulatorSummary,
          simulatorInitMs: initMs.length > 0 ? summarize(initMs) : null,
          floor,
          ratio: ratio(simulatorSummary.medianMs, floor.medianMs),
          notCold,
        },
      };
    }

    let warmOverhead: SimFigures<WarmOverheadFigures> | null = null;
    if (parts.warmOverhead) {
      const warmup = Math.min(200, input.warmInvocations);
      for (let i = 0; i < warmup; i++) await timedInvoke(simulator, functionName, url);
      const simulatorMs: number[] = [];
      let notWarm = 0;
      for (let i = 0; i < input.warmInvocations; i++) {
        const { elapsedMs, result } = await timedInvoke(simulator, functionName, url);
        if (result.coldStart) notWarm += 1;
        simulatorMs.push(elapsedMs);
      }
      progress(`warm: ${input.warmInvocations} invocations through the simulator`);

      const mod = (await import(bundleUrl)) as { handler?: (event: unknown, context: unknown) => Promise<{ body?: string }> };
      const handler = mod.handler;
      if (typeof handler !== 'function') throw new Error(`${functionName} has no v1 handler export`);
      const context = { functionName, awsRequestId: 'direct', getRemainingTimeInMillis: () => 60_000 };
      const event = v1Event(url);
      for (let i = 0; i < warmup; i++) await handler(event, context);
      const directMs: number[] = [];
      for (let i = 0; i < input.warmInvocations; i++) {
        const startedAt = performance.now();
        const response = await handler(event, context);
        if (typeof response.body !== 'string') throw new Error('direct call returned no body');
        directMs.push(performance.now() - startedAt);
      }
      const simulatorSummary = summarize(simulatorMs);
      const direct = summarize(directMs);
      warmOverhead = {
        status: 'ok',
        figures: { functionName, simulator: simulatorSummary, direct, overheadMs: simulatorSummary.medianMs - direct.medianMs, notWarm },
      };
    }
    return { coldStart, warmOverhead };
  } catch (error) {
    const reason = error instanceof Error ? `${error.message}` : String(error);
    return {
      coldStart: parts.coldStart ? { status: 'failed', reason } : null,
      warmOverhead: parts.warmOverhead ? { status: 'failed', reason } : null,
    };
  } finally {
    await simulator?.close();
    rmSync(outDir, { recursive: true, force: true });
  }
}
