/**
 * `npm run bench`: our server, netlify functions:serve and a bare node:http server, side by side in one
 * run on this machine (issue 5), plus the simulator's cold-start and warm-overhead figures (issue 3).
 *
 * Usage: `npm run bench -- [--duration S] [--quick] [--only <targets>]` (see options.ts for the targets).
 * Prints a table, writes bench/results/<timestamp>.json and bench/results/latest.md (both git-ignored),
 * and after a full run docs/benchmarks-results.md, the tracked page the docs link to (see --publish).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runBurst } from './burst.ts';
import { runRoundTrips } from './round-trip.ts';
import { runContainerRss } from './rss-per-container.ts';
import { runLoad, type LoadFigures } from './load.ts';
import { runMemoryBreakdown } from './memory-breakdown.ts';
import { runReloads } from './reload.ts';
import { runStartups } from './startup.ts';
import { runTestTime } from './test-time.ts';
import { BenchOptionsError, parseBenchOptions, USAGE, type BenchOptions } from './options.ts';
import { freePort, ServerProcess } from './proc.ts';
import {
  checkTargets,
  computeRatios,
  renderMarkdown,
  renderText,
  type BenchResults,
  type BurstRun,
  type LoadRun,
  type MachineInfo,
  type Measured,
  type MemoryRun,
  type SettleFigures,
} from './report.ts';
import { runSimulatorBench } from './sim-bench.ts';
import { rssGrowth, rssSettled, type RssSample } from './stats.ts';
import { functionExists, planServer, SCENARIOS, SERVER_LABELS, serverAnswers, type Scenario, type ServerId } from './targets.ts';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(projectRoot, 'bench', 'results');
const logsDir = join(resultsDir, 'logs');
/** The tracked results page: written by a full run, never by hand. */
const publishedPath = join(projectRoot, 'docs', 'benchmarks-results.md');
/** netlify-cli bundles every function before it answers; give it room on a busy 2-core machine. */
const READY_TIMEOUT_MS = 120_000;

const benchStartedAt = performance.now();
function progress(line: string): void {
  const elapsedS = Math.round((performance.now() - benchStartedAt) / 1000);
  const stamp = `${String(Math.floor(elapsedS / 60)).padStart(2, '0')}:${String(elapsedS % 60).padStart(2, '0')}`;
  process.stderr.write(`[bench ${stamp}] ${line}\n`);
}

function machineInfo(loadAverageAtStart: number): MachineInfo {
  const cores = cpus();
  return {
    loadAverage: { start: loadAverageAtStart, end: loadavg()[0] ?? 0 },
    nproc: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    node: process.versions.node,
    platform: `${process.platform} ${process.arch}`,
    totalMemoryBytes: totalmem(),
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why a scenario cannot run on any server, or null. */
function scenarioUnavailable(scenario: Scenario): string | null {
  return functionExists(projectRoot, scenario.functionName) ? null : `functions/${scenario.functionName} has not landed`;
}

/**
 * Starts `server` on a free port, waits until `scenario`'s URL answers, warms up, then hands it to
 * `measure`; stops the whole process group afterwards, whatever happened.
 */
async function withServer<T>(
  kind: 'load' | 'memory',
  serverId: ServerId,
  scenario: Scenario,
  options: BenchOptions,
  measure: (server: ServerProcess, url: string, readyAfterMs: number, warmup: LoadFigures) => Promise<T>,
): Promise<T | { status: 'not-available' | 'failed'; reason: string }> {
  const unavailable = scenarioUnavailable(scenario);
  if (unavailable) return { status: 'not-available', reason: unavailable };
  const plan = planServer(serverId, projectRoot);
  if (!plan.available) return { status: 'not-available', reason: plan.reason };

  const port = await freePort();
  const url = `http://127.0.0.1:${port}${scenario.path}`;
  const logPath = join(logsDir, `${kind}-${serverId}-${scenario.id}.log`);
  progress(`${SERVER_LABELS[serverId]}: starting on port ${port} (log ${relative(projectRoot, logPath)})`);
  const startedAt = performance.now();
  const server = ServerProcess.start(plan.command(port, logPath));
  try {
    const status = await server.waitUntilReady(url, READY_TIMEOUT_MS);
    const readyAfterMs = performance.now() - startedAt;
    // A memory run sizes its chunks from the warm-up rate, which the first cold starts drag down; a
    // longer warm-up gives a rate closer to the steady one.
    const warmupS = kind === 'memory' && !options.quick ? Math.max(options.warmupS, 5) : options.warmupS;
    progress(`${SERVER_LABELS[serverId]}: ready after ${Math.round(readyAfterMs)} ms (first answer ${status}); warming up ${warmupS} s`);
    const warmup = await runLoad(url, options.connections, { kind: 'duration', durationS: warmupS });
    return await measure(server, url, readyAfterMs, warmup);
  } catch (error) {
    return { status: 'failed', reason: errorMessage(error) };
  } finally {
    await server.stop();
  }
}

function describe(figures: LoadFigures): string {
  return `${figures.requests} requests, ${figures.requestsPerS.toFixed(1)} req/s, p50 ${figures.latencyP50Ms ?? '—'} ms, p99 ${figures.latencyP99Ms ?? '—'} ms, errors ${figures.errors}, non-2xx ${figures.non2xx}`;
}

async function loadRun(serverId: ServerId, scenario: Scenario, options: BenchOptions, round: number): Promise<LoadRun> {
  const outcome = await withServer('load', serverId, scenario, options, async (server, url, readyAfterMs) => {
    progress(`${SERVER_LABELS[serverId]}: ${scenario.label} for ${options.durationS} s (round ${round} of ${options.rounds})`);
    const figures = await runLoad(url, options.connections, { kind: 'duration', durationS: options.durationS }, server.pid);
    const rssAfterBytes = server.rssBytes();
    progress(`${SERVER_LABELS[serverId]}: ${describe(figures)}`);
    // A server that died mid-run still leaves figures (all errors); they must not pass as a result.
    const death = server.deathNote();
    if (death !== null) {
      progress(`${SERVER_LABELS[serverId]}: ${death}`);
      return { server: serverId, scenario: scenario.id, round, status: 'failed' as const, reason: death, readyAfterMs, figures, rssAfterBytes };
    }
    return { server: serverId, scenario: scenario.id, round, status: 'ok' as const, readyAfterMs, figures, rssAfterBytes };
  });
  if ('server' in outcome) return outcome;
  progress(`${SERVER_LABELS[serverId]}: ${scenario.label} ${outcome.status}: ${outcome.reason.split('\n')[0]}`);
  return { server: serverId, scenario: scenario.id, round, status: outcome.status, reason: outcome.reason };
}

async function memoryRun(serverId: ServerId, scenario: Scenario, options: BenchOptions): Promise<MemoryRun> {
  const outcome = await withServer('memory', serverId, scenario, options, async (server, url, _readyAfterMs, warmup) => {
    const settle = await settleMemory(server, url, serverId, options, warmup.requestsPerS);
    const samples: RssSample[] = [];
    const first = server.rssBytes();
    if (first === null) throw new Error(`${serverId} has no RSS to read`);
    samples.push({ requests: 0, rssBytes: first });
    const evenChunk = Math.ceil(options.memoryRequests / options.memoryChunks);
    // Sized from the latest measured rate: the warm-up's, then each chunk's.
    let rate = warmup.requestsPerS;
    let requests = 0;
    let durationS = 0;
    let errors = 0;
    let non2xx = 0;
    for (let chunk = 1; chunk <= options.memoryChunks; chunk++) {
      const chunkRequests = memoryChunkRequests(options, rate);
      if (chunkRequests < evenChunk) progress(`${SERVER_LABELS[serverId]}: ${rate.toFixed(1)} req/s; memory chunk ${chunk} cut to ${chunkRequests} requests`);
      const figures = await runLoad(url, options.connections, { kind: 'requests', requests: chunkRequests, capS: options.memoryChunkCapS * 4 });
      if (figures.requestsPerS > 0) rate = figures.requestsPerS;
      requests += figures.requests;
      durationS += figures.durationS;
      errors += figures.errors;
      non2xx += figures.non2xx;
      const rssBytes = server.rssBytes();
      const death = server.deathNote();
      if (rssBytes === null || death !== null) throw new Error(death ?? `${serverId} has no RSS to read`);
      samples.push({ requests, rssBytes });
      progress(`${SERVER_LABELS[serverId]}: memory chunk ${chunk}/${options.memoryChunks}: ${requests} requests, RSS ${(rssBytes / 1048576).toFixed(1)} MiB`);
    }
    return {
      server: serverId,
      scenario: scenario.id,
      status: 'ok' as const,
      samples,
      growth: rssGrowth(samples),
      requests,
      durationS,
      errors,
      non2xx,
      shortened: requests < options.memoryRequests,
      ...(settle && { settle }),
    };
  });
  if ('server' in outcome) return outcome;
  progress(`${SERVER_LABELS[serverId]}: memory ${scenario.label} ${outcome.status}: ${outcome.reason.split('\n')[0]}`);
  return { server: serverId, scenario: scenario.id, status: outcome.status, reason: outcome.reason, samples: [], growth: null, requests: 0, durationS: 0, errors: 0, non2xx: 0, shortened: false };
}

/**
 * Load before a memory run until RSS stops climbing (or the cap), in slices with an RSS check after
 * each. The isolates of a server size their heaps over their first major GCs under load, in steps of
 * several MiB, for tens of seconds (measured: ours on hello-world 372 -> 408 MiB over 20 s of settling,
 * then 407.7 -> 407.9 MiB over the 20,000 requests; on collect 552 -> 846 MiB over 25 s, then flat); a
 * run that started before then would report that one-off sizing as growth per request, while a leak
 * keeps growing after it. Returns undefined when settling is off.
 */
async function settleMemory(server: ServerProcess, url: string, serverId: ServerId, options: BenchOptions, warmupRate: number): Promise<SettleFigures | undefined> {
  if (options.memorySettleCapS <= 0) return undefined;
  const start = server.rssBytes();
  if (start === null) throw new Error(`${serverId} has no RSS to read`);
  const figures: SettleFigures = { durationS: 0, requests: 0, rssBytes: [start], settled: false };
  let rate = warmupRate;
  while (figures.durationS < options.memorySettleCapS) {
    const sliceS = Math.min(options.memorySettleSliceS, options.memorySettleCapS - figures.durationS);
    // Sized in requests from the latest rate, so every request of a slice is answered before the RSS
    // check and the next slice (see drainPause in load.ts for what a cut-off run leaves behind).
    const requests = Math.max(options.connections, Math.round((rate * sliceS) / options.connections) * options.connections);
    const slice = await runLoad(url, options.connections, { kind: 'requests', requests, capS: sliceS * 4 });
    if (slice.requestsPerS > 0) rate = slice.requestsPerS;
    figures.durationS += slice.durationS;
    figures.requests += slice.requests;
    const rss = server.rssBytes();
    const death = server.deathNote();
    if (rss === null || death !== null) throw new Error(death ?? `${serverId} has no RSS to read`);
    const previous = figures.rssBytes[figures.rssBytes.length - 1] ?? rss;
    figures.rssBytes.push(rss);
    if (rssSettled(previous, rss)) {
      figures.settled = true;
      break;
    }
  }
  progress(
    `${SERVER_LABELS[serverId]}: settling load ${figures.durationS.toFixed(0)} s, ${figures.requests} requests, RSS ${figures.rssBytes.map((b) => (b / 1048576).toFixed(0)).join(' -> ')} MiB${figures.settled ? '' : ' (cap reached, still climbing)'}`,
  );
  return figures;
}

/**
 * Requests per memory chunk: the requested total split evenly, unless the measured rate says a chunk
 * would outlast its time cap (netlify's v2 path: a few requests per second). Then the chunk shrinks to
 * what the server serves in that time, so it ends by itself: stopping autocannon mid-chunk would leave
 * requests in flight that the server still works on during the next chunk. A chunk is at least one
 * request per connection, for a server too slow to have finished anything in its warm-up.
 */
function memoryChunkRequests(options: BenchOptions, requestsPerS: number): number {
  const even = Math.ceil(options.memoryRequests / options.memoryChunks);
  const affordable = Math.floor((requestsPerS * options.memoryChunkCapS) / options.connections) * options.connections;
  return Math.max(options.connections, Math.min(even, affordable));
}

/** Runs `measure`, turning a throw into a failed measurement with its reason. */
async function measured<T>(label: string, measure: () => Promise<T>): Promise<Measured<T>> {
  try {
    return { status: 'ok', figures: await measure() };
  } catch (error) {
    progress(`${label} failed: ${errorMessage(error).split('\n')[0]}`);
    return { status: 'failed', reason: errorMessage(error) };
  }
}

/** The function the burst hits: a v2 function, so netlify starts a worker for every request. */
const BURST_SCENARIO = 'collect-get';

/**
 * A burst against a function nothing has called yet: the server is started, readiness is checked on
 * another function (hello-world), then `options.burstRequests` GETs go to collect at once.
 */
async function burstRun(serverId: 'ours' | 'netlify', options: BenchOptions): Promise<BurstRun> {
  const scenario = SCENARIOS.find((candidate) => candidate.id === BURST_SCENARIO);
  const ready = SCENARIOS.find((candidate) => candidate.id === 'hello-world');
  if (!scenario || !ready) throw new Error('burst scenarios missing');
  const functionName = scenario.functionName;
  const plan = planServer(serverId, projectRoot);
  const unavailable = scenarioUnavailable(scenario) ?? (plan.available ? null : plan.reason);
  if (unavailable !== null || !plan.available) return { server: serverId, status: 'not-available', reason: unavailable ?? '', functionName };
  const port = await freePort();
  const logPath = join(logsDir, `burst-${serverId}.log`);
  progress(`${SERVER_LABELS[serverId]}: burst of ${options.burstRequests} to cold ${functionName} (log ${relative(projectRoot, logPath)})`);
  const server = ServerProcess.start(plan.command(port, logPath));
  // What the server under test runs with: the env the bench passes on, else the code's own defaults.
  const settings = ['SIM_FUNCTION_CONCURRENCY', 'SIM_QUEUE_LENGTH', 'SIM_MAX_CONCURRENCY']
    .filter((name) => process.env[name] !== undefined)
    .map((name) => `${name}=${process.env[name] ?? ''}`)
    .join(', ');
  try {
    await server.waitUntilReady(`http://127.0.0.1:${port}${ready.path}`, READY_TIMEOUT_MS);
    // Let start-up work (bundling, netlify's function registry) finish, so the burst measures the burst.
    await delay(2_000);
    const figures = await runBurst(`http://127.0.0.1:${port}${scenario.path}`, options.burstRequests, () => server.rssBytes());
    let containersAfter: number | null = null;
    if (serverId === 'ours') {
      try {
        const report = (await (await fetch(`http://127.0.0.1:${port}/__sim/containers`)).json()) as { functions?: Record<string, { containers?: unknown[] }> };
        containersAfter = report.functions?.[functionName]?.containers?.length ?? null;
      } catch {
        containersAfter = null;
      }
    }
    progress(
      `${SERVER_LABELS[serverId]}: burst answered in ${Math.round(figures.allAnsweredMs ?? 0)} ms (${figures.ok} ok, ${figures.failed} not), peak RSS ${((figures.peakRssBytes ?? 0) / 1048576).toFixed(0)} MiB${containersAfter !== null ? `, ${containersAfter} containers` : ''}`,
    );
    const death = server.deathNote();
    if (death !== null) return { server: serverId, status: 'failed', reason: death, functionName, figures };
    return { server: serverId, status: 'ok', functionName, figures, containersAfter, settings: serverId === 'ours' ? settings || "the server's defaults" : 'n/a' };
  } catch (error) {
    return { server: serverId, status: 'failed', reason: errorMessage(error), functionName };
  } finally {
    await server.stop();
  }
}

/** The memory runs issue 5 asks for: ours on both APIs, and netlify's v2 path for contrast. */
const MEMORY_RUNS: ReadonlyArray<[ServerId, Scenario['id']]> = [
  ['ours', 'hello-world'],
  ['ours', 'collect-get'],
  ['netlify', 'collect-get'],
];

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof BenchOptionsError) {
      process.stderr.write(`bench: ${error.message}\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  mkdirSync(logsDir, { recursive: true });
  const startedAt = new Date();
  const loadAverageAtStart = loadavg()[0] ?? 0;
  const selected = new Set(options.only);
  progress(`targets: ${options.only.join(', ')}${options.quick ? ' (quick)' : ''}`);

  const load: LoadRun[] = [];
  // Round by round, every server once per round: a ratio is then taken between runs minutes apart.
  for (let round = 1; round <= options.rounds; round++) {
    for (const scenario of SCENARIOS) {
      for (const serverId of ['ours', 'netlify', 'floor', 'floor-work', 'bare'] as const) {
        if (selected.has(serverId) && serverAnswers(serverId, scenario.id)) load.push(await loadRun(serverId, scenario, options, round));
      }
    }
  }

  const memory: MemoryRun[] = [];
  if (selected.has('memory')) {
    for (const [serverId, scenarioId] of MEMORY_RUNS) {
      const scenario = SCENARIOS.find((candidate) => candidate.id === scenarioId);
      if (scenario) memory.push(await memoryRun(serverId, scenario, options));
    }
  }

  let containerRss: BenchResults['containerRss'] = null;
  if (selected.has('container-rss')) {
    progress(`RSS per container: ${options.containerCounts.join(', ')} containers of hello-world against as many bare workers`);
    containerRss = await measured('RSS per container', () => runContainerRss(projectRoot, 'hello-world', options.containerCounts, progress));
  }

  let roundTrip: BenchResults['roundTrip'] = null;
  if (selected.has('round-trip')) {
    progress(`round trip without HTTP: ${options.connections} concurrent invocations of hello-world for ${options.roundTripS} s, ours and the floor, ${options.rounds} round${options.rounds === 1 ? '' : 's'}`);
    roundTrip = await measured('round trip', () => runRoundTrips(projectRoot, { concurrency: options.connections, seconds: options.roundTripS, rounds: options.rounds }, progress));
  }

  const burst: BurstRun[] = [];
  if (selected.has('burst')) {
    for (const serverId of ['ours', 'netlify'] as const) burst.push(await burstRun(serverId, options));
  }

  let startup: BenchResults['startup'] = null;
  if (selected.has('startup')) {
    progress(`start-up: ${options.startupRuns} of each, npm start and netlify dev`);
    startup = await measured('start-up', () => runStartups(projectRoot, logsDir, options.startupRuns, progress));
  }

  let reload: BenchResults['reload'] = null;
  if (selected.has('reload')) {
    progress(`hot reload: ${options.reloadSaves} saves`);
    reload = await measured('hot reload', () => runReloads(projectRoot, join(logsDir, 'reload-ours.log'), options.reloadSaves, progress));
  }

  let breakdown: BenchResults['breakdown'] = null;
  if (selected.has('breakdown')) {
    progress(`memory breakdown: ours after ${options.durationS} s of hello-world load, with every thread reporting its heap`);
    breakdown = await measured('memory breakdown', () => runMemoryBreakdown(projectRoot, join(logsDir, 'breakdown-ours.log'), options.connections, options.durationS, progress));
  }

  let coldStart: BenchResults['coldStart'] = null;
  let warmOverhead: BenchResults['warmOverhead'] = null;
  if (selected.has('cold-start') || selected.has('warm-overhead')) {
    progress(`simulator: cold start (${options.coldStarts}×) and warm overhead (${options.warmInvocations}×) of hello-world`);
    ({ coldStart, warmOverhead } = await runSimulatorBench(
      { projectRoot, functionName: 'hello-world', coldStarts: options.coldStarts, warmInvocations: options.warmInvocations, progress },
      { coldStart: selected.has('cold-start'), warmOverhead: selected.has('warm-overhead') },
    ));
  }

  let testTime: BenchResults['testTime'] = null;
  if (selected.has('test-time')) {
    progress('npm test: timing the whole suite (vitest run)');
    testTime = await measured('npm test', () => runTestTime(projectRoot, join(logsDir, 'npm-test.log')));
    if (testTime.status === 'ok') progress(`npm test: ${(testTime.figures.wallMs / 1000).toFixed(1)} s, ${testTime.figures.failedTests} failed`);
  }

  const ratios = computeRatios(load);
  const partial = { load, memory, coldStart, warmOverhead, containerRss, roundTrip, burst, startup, reload, breakdown, testTime, ratios };
  const results: BenchResults = {
    schemaVersion: 2,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    machine: machineInfo(loadAverageAtStart),
    options,
    ...partial,
    targets: checkTargets(partial),
  };

  const jsonPath = join(resultsDir, `${startedAt.toISOString().replaceAll(':', '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'latest.md'), renderMarkdown(results));
  if (options.publish) writeFileSync(publishedPath, renderMarkdown(results, true));
  process.stdout.write(`\n${renderText(results)}`);
  progress(`wrote ${relative(projectRoot, jsonPath)}, bench/results/latest.md${options.publish ? ` and ${relative(projectRoot, publishedPath)}` : ''}`);
}

await main();
