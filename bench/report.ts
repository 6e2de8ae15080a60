/**
 * The benchmark's results: their JSON shape, the ratios and target checks derived from them, and the
 * text table (stdout) and Markdown table (bench/results/latest.md) rendered from them. Pure functions.
 */
import type { BurstFigures } from './burst.ts';
import type { RoundTripResults } from './round-trip.ts';
import { largestRow, type ContainerRssFigures } from './rss-per-container.ts';
import type { LoadFigures } from './load.ts';
import type { MemoryBreakdown } from './memory-breakdown.ts';
import type { ReloadFigures } from './reload.ts';
import { STARTUP_LABELS, type StartupFigures } from './startup.ts';
import type { TestTimeFigures } from './test-time.ts';
import { ALL_TARGETS, type BenchOptions } from './options.ts';
import type { ColdStartFigures, SimFigures, WarmOverheadFigures } from './sim-bench.ts';
import { formatMiB, formatNumber, formatPercent, formatRatio, median, ratio, SETTLED_RSS_FRACTION, type RssGrowth, type RssSample } from './stats.ts';
import { SCENARIOS, SERVER_LABELS, type ScenarioId, type ServerId } from './targets.ts';

export type RunStatus = 'ok' | 'not-available' | 'failed';

/** One server driven with one request for a fixed duration. */
export interface LoadRun {
  server: ServerId;
  scenario: ScenarioId;
  status: RunStatus;
  reason?: string;
  /** From spawn until it first answered. */
  readyAfterMs?: number;
  figures?: LoadFigures;
  /** RSS of the server's process group right after the measured run. */
  rssAfterBytes?: number | null;
  /** Which round of the run it belongs to (1-based; absent in single-round results). */
  round?: number;
}

/** One server driven with many requests, RSS sampled along the way. */
export interface MemoryRun {
  server: ServerId;
  scenario: ScenarioId;
  status: RunStatus;
  reason?: string;
  /** RSS after warm-up (requests 0), then after each chunk. */
  samples: RssSample[];
  growth: RssGrowth | null;
  requests: number;
  durationS: number;
  errors: number;
  non2xx: number;
  /** True when the server was too slow for the requested number of requests within the chunks' time caps. */
  shortened: boolean;
  /** The settling load before the run (see BenchOptions.memorySettleCapS); absent when there was none. */
  settle?: SettleFigures;
}

/** The load a memory run was preceded by, until RSS stopped climbing or the cap was reached. */
export interface SettleFigures {
  durationS: number;
  requests: number;
  /** RSS before settling, then after each slice. */
  rssBytes: number[];
  /** False when the cap was reached with RSS still climbing. */
  settled: boolean;
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  node: string;
  platform: string;
  totalMemoryBytes: number;
  /**
   * 1-minute load average when the run started and when it ended. The machine may be shared: a load
   * above its core count means the servers competed for CPU with other work, and figures move.
   */
  loadAverage: { start: number; end: number };
}

export interface Ratios {
  /** requests/s, ours over netlify functions:serve, hello-world (v1). Issue 15 target: ≥ 5. */
  helloOursOverNetlify: number | null;
  /**
   * requests/s, ours over the design's floor (bench/floor-server.ts), hello-world. Issue 15 target: ≥ 0.8.
   * The floor is the least any simulator that runs each invocation in a freezing worker can cost.
   */
  helloOursOverFloor: number | null;
  /**
   * requests/s, the floor with the simulator's work (bench/floor-work-server.ts) over the floor,
   * hello-world: what the behaviour itself costs, written without the simulator's plumbing. No target:
   * it bounds what any simulator keeping that behaviour can reach against the floor.
   */
  helloFloorWorkOverFloor: number | null;
  /** requests/s, ours over the floor with the simulator's work, hello-world: what ours' plumbing costs. No target. */
  helloOursOverFloorWork: number | null;
  /** requests/s, ours over netlify functions:serve, collect GET (v2). Issue 5 target: ≥ 100. */
  collectOursOverNetlify: number | null;
  /** requests/s, ours over bare node:http, hello-world (no target since issue 15: bare is no simulator's anchor; for context). */
  helloOursOverBare: number | null;
  /** requests/s, ours over bare node:http, collect GET (no target; for context). */
  collectOursOverBare: number | null;
}

export interface TargetCheck {
  name: string;
  goal: string;
  measured: string;
  /** null: not measured in this run. */
  met: boolean | null;
}

/** One burst run: a server and what it measured. */
export interface BurstRun {
  server: ServerId;
  status: RunStatus;
  reason?: string;
  functionName: string;
  figures?: BurstFigures;
  /** Containers the function had after the burst (ours only, from /__sim/containers). */
  containersAfter?: number | null;
  /** The server's concurrency settings in force (SIM_FUNCTION_CONCURRENCY / SIM_QUEUE_LENGTH, or the code's defaults). */
  settings?: string;
}

/** A measurement that either produced figures or says why not. */
export type Measured<T> = SimFigures<T>;

export interface BenchResults {
  schemaVersion: 2;
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: MachineInfo;
  options: BenchOptions;
  load: LoadRun[];
  memory: MemoryRun[];
  coldStart: SimFigures<ColdStartFigures> | null;
  warmOverhead: SimFigures<WarmOverheadFigures> | null;
  containerRss: Measured<ContainerRssFigures> | null;
  /** The invocation round trip without HTTP, ours against the floor (absent from results written before it existed). */
  roundTrip?: Measured<RoundTripResults> | null;
  burst: BurstRun[];
  startup: Measured<StartupFigures> | null;
  reload: Measured<ReloadFigures> | null;
  breakdown: Measured<MemoryBreakdown> | null;
  testTime: Measured<TestTimeFigures> | null;
  ratios: Ratios;
  targets: TargetCheck[];
}

/** The parts of the results the target checks read. */
export type TargetInputs = Pick<BenchResults, 'load' | 'memory' | 'coldStart' | 'warmOverhead' | 'ratios'> &
  Partial<Pick<BenchResults, 'containerRss' | 'burst' | 'startup' | 'reload' | 'testTime'>>;

/** RSS growth per request below which a memory run counts as flat. */
export const FLAT_RSS_BYTES_PER_REQUEST = 1024;

function requestsPerS(load: readonly LoadRun[], server: ServerId, scenario: ScenarioId, round: number): number | null {
  const run = load.find((candidate) => candidate.server === server && candidate.scenario === scenario && (candidate.round ?? 1) === round);
  return run?.status === 'ok' && run.figures ? run.figures.requestsPerS : null;
}

/** The four ratios, each as its value in every round where both sides were measured, in round order. */
export function ratioRounds(load: readonly LoadRun[]): Record<keyof Ratios, number[]> {
  const rounds = [...new Set(load.map((run) => run.round ?? 1))].sort((a, b) => a - b);
  const per = (server: ServerId, anchor: ServerId, scenario: ScenarioId): number[] =>
    rounds.map((round) => ratio(requestsPerS(load, server, scenario, round), requestsPerS(load, anchor, scenario, round))).filter((value) => value !== null);
  return {
    helloOursOverNetlify: per('ours', 'netlify', 'hello-world'),
    helloOursOverFloor: per('ours', 'floor', 'hello-world'),
    helloFloorWorkOverFloor: per('floor-work', 'floor', 'hello-world'),
    helloOursOverFloorWork: per('ours', 'floor-work', 'hello-world'),
    collectOursOverNetlify: per('ours', 'netlify', 'collect-get'),
    helloOursOverBare: per('ours', 'bare', 'hello-world'),
    collectOursOverBare: per('ours', 'bare', 'collect-get'),
  };
}

/**
 * The ratios issue 5 asks for, from whichever load runs succeeded: the median over rounds of each
 * round's ratio. The servers of one round run minutes apart at most, so a round's ratio sees the
 * same machine; a shared machine's load drifts between rounds.
 */
export function computeRatios(load: readonly LoadRun[]): Ratios {
  const rounds = ratioRounds(load);
  const mid = (values: number[]): number | null => (values.length > 0 ? median(values) : null);
  return {
    helloOursOverNetlify: mid(rounds.helloOursOverNetlify),
    helloOursOverFloor: mid(rounds.helloOursOverFloor),
    helloFloorWorkOverFloor: mid(rounds.helloFloorWorkOverFloor),
    helloOursOverFloorWork: mid(rounds.helloOursOverFloorWork),
    collectOursOverNetlify: mid(rounds.collectOursOverNetlify),
    helloOursOverBare: mid(rounds.helloOursOverBare),
    collectOursOverBare: mid(rounds.collectOursOverBare),
  };
}

function atLeast(name: string, value: number | null, goal: number): TargetCheck {
  return { name, goal: `≥ ${formatRatio(goal)}`, measured: formatRatio(value), met: value === null ? null : value >= goal };
}

/** Issue 5's and issue 3's targets against this run's figures. */
export function checkTargets(results: TargetInputs): TargetCheck[] {
  const { ratios } = results;
  const checks: TargetCheck[] = [
    atLeast('hello-world: ours / the floor requests/s', ratios.helloOursOverFloor, 0.8),
    atLeast('hello-world (v1): ours / netlify requests/s', ratios.helloOursOverNetlify, 5),
    atLeast('collect GET (v2): ours / netlify requests/s', ratios.collectOursOverNetlify, 100),
  ];

  const ourMemory = results.memory.filter((run) => run.server === 'ours' && run.status === 'ok' && run.growth?.steadyBytesPerRequest != null);
  if (ourMemory.length === 0) {
    checks.push({ name: 'ours: flat RSS under sustained load', goal: `< ${FLAT_RSS_BYTES_PER_REQUEST} B/request in the second half`, measured: '—', met: null });
  } else {
    for (const run of ourMemory) {
      const growth = run.growth?.steadyBytesPerRequest ?? 0;
      checks.push({
        name: `ours ${run.scenario}: flat RSS over ${formatNumber(run.requests)} requests`,
        goal: `< ${FLAT_RSS_BYTES_PER_REQUEST} B/request in the second half`,
        measured: `${formatNumber(growth, 1)} B/request`,
        met: growth < FLAT_RSS_BYTES_PER_REQUEST,
      });
    }
  }

  const cold = results.coldStart?.status === 'ok' ? results.coldStart.figures : null;
  checks.push({
    name: 'cold start: simulator / bare-worker floor (medians)',
    goal: '≤ 1.50×',
    measured: cold ? `${formatRatio(cold.ratio)} (${formatNumber(cold.simulator.medianMs, 2)} vs ${formatNumber(cold.floor.medianMs, 2)} ms)` : '—',
    met: cold?.ratio == null ? null : cold.ratio <= 1.5,
  });
  const warm = results.warmOverhead?.status === 'ok' ? results.warmOverhead.figures : null;
  checks.push({
    name: 'warm invocation overhead over a direct call (medians)',
    goal: '< 0.200 ms',
    measured: warm ? `${formatNumber(warm.overheadMs, 3)} ms` : '—',
    met: warm ? warm.overheadMs < 0.2 : null,
  });

  checks.push(...issue15Checks(results));

  // Every run of ours that produced figures counts, including one where the server died part-way.
  const ours = results.load.filter((run) => run.server === 'ours' && run.figures);
  const failures = ours.reduce((sum, run) => sum + (run.figures ? run.figures.errors + run.figures.non2xx : 0), 0);
  const died = ours.filter((run) => run.status === 'failed').length;
  checks.push({
    name: 'ours: no errors or non-2xx during load runs',
    goal: '0',
    measured: ours.length > 0 ? `${formatNumber(failures)}${died > 0 ? ` (server died in ${died} run${died === 1 ? '' : 's'})` : ''}` : '—',
    met: ours.length > 0 ? failures === 0 && died === 0 : null,
  });
  return checks;
}

/** RSS per container, the burst, start-up, hot reload and npm test (issue 15). */
function issue15Checks(results: TargetInputs): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const rss = results.containerRss?.status === 'ok' ? largestRow(results.containerRss.figures) : null;
  checks.push({
    name: `RSS per warm container / per bare worker importing the same bundle${rss ? ` (${rss.count} each)` : ''}`,
    goal: '≤ 1.25×',
    measured: rss ? `${formatRatio(rss.ratio)} (${formatMiB(rss.perContainerBytes)} vs ${formatMiB(rss.perWorkerBytes)})` : '—',
    met: rss?.ratio == null ? null : rss.ratio <= 1.25,
  });

  const burst = (server: ServerId): BurstFigures | null => results.burst?.find((run) => run.server === server && run.status === 'ok')?.figures ?? null;
  const ours = burst('ours');
  const netlify = burst('netlify');
  const both = ours !== null && netlify !== null;
  checks.push({
    name: 'burst to a cold v2 function: time to all answered, ours / netlify',
    goal: '< 1× (and every answer a 2xx)',
    measured: both
      ? `${formatRatio(ratio(ours.allAnsweredMs, netlify.allAnsweredMs))} (${formatNumber(ours.requests)} requests: ${formatNumber(ours.allAnsweredMs)} vs ${formatNumber(netlify.allAnsweredMs)} ms; ours ${formatNumber(ours.failed)} not 2xx)`
      : '—',
    met: both && ours.allAnsweredMs !== null && netlify.allAnsweredMs !== null ? ours.allAnsweredMs < netlify.allAnsweredMs && ours.failed === 0 : null,
  });
  checks.push({
    name: 'burst to a cold v2 function: peak process-group RSS, ours / netlify',
    goal: '< 1×',
    measured: both ? `${formatRatio(ratio(ours.peakRssBytes, netlify.peakRssBytes))} (${formatMiB(ours.peakRssBytes)} vs ${formatMiB(netlify.peakRssBytes)})` : '—',
    met: both && ours.peakRssBytes !== null && netlify.peakRssBytes !== null ? ours.peakRssBytes < netlify.peakRssBytes : null,
  });

  const startup = results.startup?.status === 'ok' ? results.startup.figures : null;
  checks.push({
    name: 'npm start → first answer / netlify dev → first answer (medians)',
    goal: '≤ 0.30×',
    measured: startup ? `${formatRatio(startup.ratio)} (${formatNumber(startup.medianMs.ours)} vs ${formatNumber(startup.medianMs['netlify-dev'])} ms)` : '—',
    met: startup?.ratio == null ? null : startup.ratio <= 0.3,
  });

  const reload = results.reload?.status === 'ok' ? results.reload.figures : null;
  checks.push({
    name: 'hot reload: save → the new code answers (median)',
    goal: '≤ 300 ms, every save',
    measured: reload ? `${formatNumber(reload.medianMs)} ms over ${formatNumber(reload.samplesMs.length)} saves${reload.missed > 0 ? `, ${reload.missed} missed` : ''}` : '—',
    met: reload?.medianMs == null ? null : reload.medianMs <= 300 && reload.missed === 0,
  });

  const tests = results.testTime?.status === 'ok' ? results.testTime.figures : null;
  checks.push({
    name: 'npm test wall time on this machine',
    goal: '< 60 s, all passing',
    measured: tests ? `${formatNumber(tests.wallMs / 1000, 1)} s (${formatNumber(tests.tests)} tests in ${formatNumber(tests.files)} files, ${formatNumber(tests.failedTests)} failed)` : '—',
    met: tests ? tests.wallMs < 60_000 && tests.failedTests === 0 && tests.exitCode === 0 : null,
  });
  return checks;
}

function scenarioLabel(id: ScenarioId): string {
  return SCENARIOS.find((scenario) => scenario.id === id)?.label ?? id;
}

function verdict(met: boolean | null): string {
  if (met === null) return 'not measured';
  return met ? 'met' : 'NOT met';
}

/** Rows of cells, plus notes shown under the table; the renderers lay them out as text or Markdown. */
type Table = { headers: string[]; rows: string[][]; notes?: string[] };

/**
 * A row for a run that did not produce figures: a short status in the first figure column, and the
 * reason (which may be a long multi-line log tail) as a numbered note under the table.
 */
function unavailableRow(head: string[], width: number, status: RunStatus, reason: string | undefined, notes: string[]): string[] {
  notes.push(`${status}: ${(reason ?? '').split('\n')[0] ?? ''}`);
  const cells = [...head, `${status === 'failed' ? 'failed' : 'not available'} [${notes.length}]`];
  while (cells.length < width) cells.push('');
  return cells;
}

function loadTable(load: readonly LoadRun[]): Table {
  const headers = ['request', 'server', 'round', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx', 'bytes/resp', 'RSS after'];
  const notes: string[] = [];
  return {
    headers,
    notes,
    rows: load.map((run) => {
      const head = [scenarioLabel(run.scenario), SERVER_LABELS[run.server], String(run.round ?? 1)];
      if (!run.figures) return unavailableRow(head, headers.length, run.status, run.reason, notes);
      if (run.status !== 'ok') {
        // Figures from a run that failed part-way (the server died): shown, but marked.
        notes.push(`${run.status}: ${(run.reason ?? '').split('\n')[0] ?? ''}`);
        head[1] = `${head[1] ?? ''} (${run.status} [${notes.length}])`;
      }
      const f = run.figures;
      return [
        ...head,
        formatNumber(f.requestsPerS, f.requestsPerS < 100 ? 1 : 0),
        // autocannon's latency histogram holds whole milliseconds: 0 means under 1 ms.
        formatNumber(f.latencyP50Ms),
        formatNumber(f.latencyP99Ms),
        formatNumber(f.latencyMaxMs),
        formatNumber(f.errors),
        formatNumber(f.non2xx),
        // Headers and body: collect's answer depends on what its Blobs store holds on that server.
        formatNumber(f.bytesPerResponse),
        formatMiB(run.rssAfterBytes),
      ];
    }),
  };
}

/**
 * Where each load run's CPU went, per request served, and how busy the machine's cores were. On a
 * shared 2-core VM this is what explains a ratio: idle cores mean a server left them waiting (each
 * request crossing threads that must be woken), steal means the host took time from this VM, and the
 * load generator's cost per request depends on the server it drives.
 */
function cpuTable(load: readonly LoadRun[]): Table {
  const headers = ['request', 'server', 'round', 'main thread µs', 'other threads µs', 'V8 helpers µs', 'load generator µs', 'CPUs idle', 'steal'];
  const rows = load
    .filter((run) => run.figures?.cpuPerRequest || run.figures?.cpu)
    .map((run) => {
      const perRequest = run.figures?.cpuPerRequest;
      const shares = run.figures?.cpu;
      return [
        scenarioLabel(run.scenario),
        SERVER_LABELS[run.server],
        String(run.round ?? 1),
        formatNumber(perRequest?.mainUs, 1),
        formatNumber(perRequest?.otherThreadsUs, 1),
        formatNumber(perRequest?.v8HelpersUs, 1),
        formatNumber(perRequest?.loadGeneratorUs, 1),
        formatPercent(shares?.idle),
        formatPercent(shares?.steal),
      ];
    });
  return { headers, rows };
}

function memoryTable(memory: readonly MemoryRun[]): Table {
  const headers = ['request', 'server', 'settling load', 'requests', 'RSS before', 'RSS after each chunk (MiB)', 'growth/request', '2nd half', 'errors+non-2xx'];
  const notes: string[] = [];
  return {
    headers,
    notes,
    rows: memory.map((run) => {
      const head = [scenarioLabel(run.scenario), SERVER_LABELS[run.server]];
      if (run.status !== 'ok') return unavailableRow(head, headers.length, run.status, run.reason, notes);
      const first = run.samples[0];
      return [
        ...head,
        settleLabel(run.settle),
        `${formatNumber(run.requests)}${run.shortened ? ` in ${formatNumber(run.durationS, 0)} s (too slow for more)` : ''}`,
        formatMiB(first?.rssBytes),
        run.samples
          .slice(1)
          .map((sample) => formatNumber(sample.rssBytes / 1048576, 1))
          .join(', '),
        run.growth?.bytesPerRequest == null ? '—' : `${formatNumber(run.growth.bytesPerRequest, 1)} B`,
        run.growth?.steadyBytesPerRequest == null ? '—' : `${formatNumber(run.growth.steadyBytesPerRequest, 1)} B`,
        formatNumber(run.errors + run.non2xx),
      ];
    }),
  };
}

function settleLabel(settle: SettleFigures | undefined): string {
  if (!settle) return 'none';
  const path = settle.rssBytes.map((bytes) => formatNumber(bytes / 1048576, 0)).join('→');
  return `${formatNumber(settle.durationS, 0)} s, ${formatNumber(settle.requests)} req, ${path} MiB${settle.settled ? '' : ' (still climbing at the cap)'}`;
}

function simulatorTable(results: Pick<BenchResults, 'coldStart' | 'warmOverhead'>): Table {
  const rows: string[][] = [];
  const notes: string[] = [];
  const { coldStart, warmOverhead } = results;
  if (coldStart) {
    if (coldStart.status !== 'ok') rows.push(unavailableRow(['cold start'], 5, coldStart.status, coldStart.reason, notes));
    else {
      const f = coldStart.figures;
      rows.push([`cold start, ${f.functionName} (${formatNumber(f.simulator.samplesMs.length)} each)`, 'simulator: new container → response', formatNumber(f.simulator.medianMs, 2), formatNumber(f.simulator.p90Ms, 2), formatRatio(f.ratio)]);
      rows.push(['', `floor: new Worker + import bundle (${formatNumber(f.bundleBytes)} B) → answer`, formatNumber(f.floor.medianMs, 2), formatNumber(f.floor.p90Ms, 2), '1×']);
      if (f.simulatorInitMs) rows.push(['', 'simulator INIT (module evaluation)', formatNumber(f.simulatorInitMs.medianMs, 2), formatNumber(f.simulatorInitMs.p90Ms, 2), '']);
      if (f.sameBundleAsSimulator === false) notes.push('the floor\'s esbuild bundle differs from the one the simulator runs');
      if (f.notCold > 0) notes.push(`${f.notCold} of the measured cold starts found a warm container`);
    }
  }
  if (warmOverhead) {
    if (warmOverhead.status !== 'ok') rows.push(unavailableRow(['warm invocation'], 5, warmOverhead.status, warmOverhead.reason, notes));
    else {
      const f = warmOverhead.figures;
      rows.push([`warm, ${f.functionName} (${formatNumber(f.simulator.samplesMs.length)} each)`, 'simulator: invoke → body read', formatNumber(f.simulator.medianMs, 3), formatNumber(f.simulator.p90Ms, 3), '']);
      rows.push(['', 'direct handler call, same bundle', formatNumber(f.direct.medianMs, 3), formatNumber(f.direct.p90Ms, 3), '']);
      rows.push(['', 'overhead (difference of medians)', formatNumber(f.overheadMs, 3), '', '']);
      if (f.notWarm > 0) notes.push(`${f.notWarm} of the measured warm invocations cold-started`);
    }
  }
  return { headers: ['measurement', 'what', 'median ms', 'p90 ms', 'vs floor'], rows, notes };
}

function ratioTable(ratios: Ratios, load: readonly LoadRun[]): Table {
  const rounds = ratioRounds(load);
  const row = (label: string, key: keyof Ratios): string[] => [label, formatRatio(ratios[key]), rounds[key].map((value) => formatRatio(value)).join(', ') || '—'];
  return {
    headers: ['ratio (requests/s)', 'median of rounds', 'each round'],
    rows: [
      row('hello-world: ours / the floor', 'helloOursOverFloor'),
      row("hello-world: the floor with the simulator's work / the floor", 'helloFloorWorkOverFloor'),
      row("hello-world: ours / the floor with the simulator's work", 'helloOursOverFloorWork'),
      row('hello-world: ours / netlify', 'helloOursOverNetlify'),
      row('collect GET (v2): ours / netlify', 'collectOursOverNetlify'),
      row('hello-world: ours / bare node:http', 'helloOursOverBare'),
      row('collect GET: ours / bare node:http', 'collectOursOverBare'),
    ],
  };
}

function containerRssTable(measured: Measured<ContainerRssFigures>): Table {
  const headers = ['count', 'containers: RSS before → after', 'per container', 'bare workers: RSS before → after', 'per worker', 'ratio'];
  const notes: string[] = [];
  if (measured.status !== 'ok') return { headers, rows: [unavailableRow([''], headers.length, measured.status, measured.reason, notes)], notes };
  const rows = measured.figures.rows.map((row) => [
    `${formatNumber(row.count)}${row.containers.started !== row.count ? ` (${formatNumber(row.containers.started)} containers started)` : ''}`,
    `${formatMiB(row.containers.baselineBytes)} → ${formatMiB(row.containers.afterBytes)}`,
    formatMiB(row.perContainerBytes),
    `${formatMiB(row.workers.baselineBytes)} → ${formatMiB(row.workers.afterBytes)}`,
    formatMiB(row.perWorkerBytes),
    formatRatio(row.ratio),
  ]);
  notes.push(`function ${measured.figures.functionName} (a ${formatNumber(measured.figures.bundleBytes)}-byte bundle); each side in a fresh process, RSS of that process`);
  return { headers, rows, notes };
}

/** Median CPU per hello-world request of `server` over the load rounds, server threads and load generator. */
function helloCpu(load: readonly LoadRun[], server: ServerId): { serverUs: number; loadGeneratorUs: number } | null {
  const runs = load.filter((run) => run.server === server && run.scenario === 'hello-world' && run.figures?.cpuPerRequest);
  if (runs.length === 0) return null;
  const serverUs = median(runs.map((run) => {
    const cpu = run.figures?.cpuPerRequest;
    return cpu ? cpu.mainUs + cpu.otherThreadsUs + cpu.v8HelpersUs : Number.NaN;
  }));
  const loadGeneratorUs = median(runs.map((run) => run.figures?.cpuPerRequest?.loadGeneratorUs ?? Number.NaN));
  return { serverUs, loadGeneratorUs };
}

/**
 * The round trip without HTTP, each round and the medians, then the split of a hello-world request's
 * CPU: the round trip, the rest of the server (HTTP: parsing, routing, mapping, writing, logging) as the
 * difference from the load runs' server CPU per request, and the load generator's.
 */
function roundTripTable(measured: Measured<RoundTripResults>, load: readonly LoadRun[]): Table {
  const headers = ['', 'invocations/s', 'main thread µs', 'containers µs', 'V8 helpers µs', 'CPU per invocation µs'];
  const notes: string[] = [];
  if (measured.status !== 'ok') return { headers, rows: [unavailableRow([''], headers.length, measured.status, measured.reason, notes)], notes };
  const { runs, ours, floor, concurrency, seconds } = measured.figures;
  const label = (side: 'ours' | 'floor'): string => (side === 'ours' ? 'ours (Simulator.invokeBuffered)' : 'the floor (its worker round trip)');
  const row = (name: string, figures: RoundTripResults['runs'][number]): string[] => [
    name,
    formatNumber(figures.invocationsPerSecond, 0),
    formatNumber(figures.mainUs, 1),
    formatNumber(figures.containersUs, 1),
    formatNumber(figures.v8HelpersUs, 1),
    formatNumber(figures.totalUs, 1),
  ];
  const rows = runs.map((run) => row(`${label(run.side)}, round ${run.round}`, run));
  if (ours) rows.push(row(`${label('ours')}, median`, ours));
  if (floor) rows.push(row(`${label('floor')}, median`, floor));
  notes.push(`hello-world, ${concurrency} concurrent loops for ${seconds} s after a 2 s warm-up, each side in a fresh process; no HTTP server, client or socket`);
  if (measured.figures.cpuRatio !== null) notes.push(`CPU per invocation, ours / the floor: ${formatRatio(measured.figures.cpuRatio)}`);
  const oursLoad = helloCpu(load, 'ours');
  const floorLoad = helloCpu(load, 'floor');
  if (ours && floor && oursLoad && floorLoad) {
    const httpOurs = oursLoad.serverUs - ours.totalUs;
    const httpFloor = floorLoad.serverUs - floor.totalUs;
    notes.push(
      `a hello-world request under load (medians of the load rounds), ours against the floor: server CPU ${formatNumber(oursLoad.serverUs, 1)} against ${formatNumber(floorLoad.serverUs, 1)} µs, ` +
        `of which the round trip above ${formatNumber(ours.totalUs, 1)} against ${formatNumber(floor.totalUs, 1)} µs and the rest (HTTP in and out, routing, mapping, logs) ${formatNumber(httpOurs, 1)} against ${formatNumber(httpFloor, 1)} µs; ` +
        `the load generator ${formatNumber(oursLoad.loadGeneratorUs, 1)} against ${formatNumber(floorLoad.loadGeneratorUs, 1)} µs`,
    );
  }
  return { headers, rows, notes };
}

function burstTable(runs: readonly BurstRun[]): Table {
  const headers = ['server', 'requests', 'all answered ms', 'median ms', 'statuses', 'RSS before', 'peak RSS', 'containers after', 'settings'];
  const notes: string[] = [];
  const rows = runs.map((run) => {
    const head = [`${SERVER_LABELS[run.server]}, ${run.functionName}`];
    if (run.status !== 'ok' || !run.figures) return unavailableRow(head, headers.length, run.status, run.reason, notes);
    const f = run.figures;
    return [
      ...head,
      formatNumber(f.requests),
      formatNumber(f.allAnsweredMs),
      formatNumber(f.medianMs),
      Object.entries(f.statusCounts)
        .map(([status, count]) => `${status}×${count}`)
        .join(', '),
      formatMiB(f.rssBeforeBytes),
      `${formatMiB(f.peakRssBytes)} (${formatNumber(f.rssSamples)} samples)`,
      run.containersAfter == null ? '—' : formatNumber(run.containersAfter),
      run.settings ?? '—',
    ];
  });
  return { headers, rows, notes };
}

function startupTable(startup: Measured<StartupFigures> | null, reload: Measured<ReloadFigures> | null): Table {
  const headers = ['measurement', 'median ms', 'each run ms'];
  const rows: string[][] = [];
  const notes: string[] = [];
  if (startup) {
    if (startup.status !== 'ok') rows.push(unavailableRow(['start-up'], headers.length, startup.status, startup.reason, notes));
    else {
      for (const which of ['ours', 'netlify-dev'] as const) {
        rows.push([`spawn → first 200 from ${startup.figures.functionPath}: ${STARTUP_LABELS[which]}`, formatNumber(startup.figures.medianMs[which]), startup.figures.samplesMs[which].map((ms) => formatNumber(ms)).join(', ')]);
      }
      rows.push(['ratio of the medians, ours / netlify dev', formatRatio(startup.figures.ratio), '']);
      for (const failure of startup.figures.failures) notes.push(`failed start-up: ${failure}`);
    }
  }
  if (reload) {
    if (reload.status !== 'ok') rows.push(unavailableRow(['hot reload'], headers.length, reload.status, reload.reason, notes));
    else {
      const f = reload.figures;
      rows.push([`hot reload: rename of a saved function → first answer from the new code (p90 ${formatNumber(f.p90Ms)} ms)`, formatNumber(f.medianMs), f.samplesMs.map((ms) => formatNumber(ms)).join(', ')]);
      if (f.missed > 0) notes.push(`${f.missed} saves never answered from the new code within 10 s`);
    }
  }
  return { headers, rows, notes };
}

function breakdownTable(measured: Measured<MemoryBreakdown>): Table {
  const headers = ['where', 'threads', 'RSS / V8 heap resident', 'anonymous / heap used', 'file-backed / V8 malloc', 'external (Buffers)'];
  const notes: string[] = [];
  if (measured.status !== 'ok') return { headers, rows: [unavailableRow([''], headers.length, measured.status, measured.reason, notes)], notes };
  const b = measured.figures;
  const rows: string[][] = [
    ...b.processes.map((p) => [`process ${p.command} (smaps_rollup)`, '', formatMiB(p.rssBytes), formatMiB(p.anonymousBytes), formatMiB(p.fileBytes), '']),
    ...b.roles.map((role) => [
      role.role === 'main' ? 'main thread (V8)' : role.role === 'container' ? 'containers (V8)' : 'other workers: Blobs (V8)',
      formatNumber(role.threads),
      formatMiB(role.heapPhysicalBytes),
      formatMiB(role.heapUsedBytes),
      formatMiB(role.mallocedBytes),
      formatMiB(role.externalBytes),
    ]),
    ['server process: anonymous memory no V8 heap or V8 malloc explains (native)', '', formatMiB(b.nativeRemainderBytes), '', '', ''],
  ];
  notes.push(`after ${formatNumber(b.loadRequests)} hello-world requests; process-group RSS ${formatMiB(b.groupRssBytes)}`);
  return { headers, rows, notes };
}

function testTimeTable(measured: Measured<TestTimeFigures>): Table {
  const headers = ['test file', 'ms', 'tests', 'status'];
  const notes: string[] = [];
  if (measured.status !== 'ok') return { headers, rows: [unavailableRow([''], headers.length, measured.status, measured.reason, notes)], notes };
  const f = measured.figures;
  notes.push(
    `wall time ${formatNumber(f.wallMs / 1000, 1)} s for ${formatNumber(f.tests)} tests in ${formatNumber(f.files)} files (exit code ${f.exitCode ?? '—'}); the files' own times add up to ${formatNumber(f.sumOfFilesMs / 1000, 1)} s; vitest: ${f.vitestDuration ?? '—'}`,
  );
  return { headers, rows: f.slowest.map((file) => [file.file, formatNumber(file.durationMs), formatNumber(file.tests), file.failed > 0 ? `${file.failed} failed` : 'passed']), notes };
}

function targetTable(targets: readonly TargetCheck[]): Table {
  return { headers: ['target', 'goal', 'measured', 'verdict'], rows: targets.map((t) => [t.name, t.goal, t.measured, verdict(t.met)]) };
}

function renderTextTable(table: Table): string {
  const all = [table.headers, ...table.rows];
  const widths = table.headers.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  const notes = (table.notes ?? []).map((note, index) => `  [${index + 1}] ${note}`);
  return [line(table.headers), widths.map((width) => '-'.repeat(width)).join('  '), ...table.rows.map(line), ...notes].join('\n');
}

function renderMarkdownTable(table: Table): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|');
  const line = (row: readonly string[]) => `| ${row.map(escape).join(' | ')} |`;
  const notes = (table.notes ?? []).map((note, index) => `${index === 0 ? '\n' : ''}[${index + 1}] ${note}  `);
  return [line(table.headers), line(table.headers.map(() => '---')), ...table.rows.map(line), ...notes].join('\n');
}

function machineLine(results: BenchResults): string {
  const m = results.machine;
  return `${results.startedAt.slice(0, 16).replace('T', ' ')} UTC · ${m.nproc} cores (${m.cpuModel}) · Node ${m.node} · ${m.platform} · load average ${formatNumber(m.loadAverage.start, 1)} → ${formatNumber(m.loadAverage.end, 1)}`;
}

function settingsLine(results: BenchResults): string {
  const o = results.options;
  return `${o.connections} connections, ${o.durationS} s per run after ${o.warmupS} s warm-up, ${o.rounds} round${o.rounds === 1 ? '' : 's'} of load runs (ratios: median of the rounds); memory run ${formatNumber(o.memoryRequests)} requests in ${o.memoryChunks} chunks (each capped at ${o.memoryChunkCapS} s), after settling load until RSS grows < ${SETTLED_RSS_FRACTION * 100}% per ${o.memorySettleSliceS} s (at most ${o.memorySettleCapS} s)`;
}

function sections(results: BenchResults): Array<[string, Table]> {
  const out: Array<[string, Table]> = [];
  if (results.load.length > 0) {
    out.push(['Load (autocannon)', loadTable(results.load)], ['Ratios', ratioTable(results.ratios, results.load)]);
    const cpu = cpuTable(results.load);
    if (cpu.rows.length > 0) out.push(["CPU per request served (the server process's threads, and the bench's own for autocannon)", cpu]);
  }
  if (results.memory.length > 0) out.push(['Memory under sustained load (RSS of the server process group)', memoryTable(results.memory)]);
  if (results.containerRss) out.push(['RSS per warm container against a bare worker importing the same bundle', containerRssTable(results.containerRss)]);
  if (results.roundTrip) out.push(['Round trip without HTTP: ours against the floor', roundTripTable(results.roundTrip, results.load)]);
  if (results.burst.length > 0) out.push(['Burst: concurrent requests to a cold function', burstTable(results.burst)]);
  if (results.startup || results.reload) out.push(['Start-up and hot reload', startupTable(results.startup, results.reload)]);
  if (results.breakdown) out.push(["Where the server's memory goes after hello-world load", breakdownTable(results.breakdown)]);
  if (results.coldStart || results.warmOverhead) out.push(['Simulator: cold start and warm overhead', simulatorTable(results)]);
  if (results.testTime) out.push(['npm test: wall time and the slowest files', testTimeTable(results.testTime)]);
  out.push(['Targets', targetTable(results.targets)]);
  return out;
}

/** The plain-text report for stdout. */
export function renderText(results: BenchResults): string {
  const parts = [`Benchmark · ${machineLine(results)}`, settingsLine(results)];
  for (const [title, table] of sections(results)) parts.push('', title, renderTextTable(table));
  return `${parts.join('\n')}\n`;
}

/**
 * The Markdown report: bench/results/latest.md after every run, and docs/benchmarks-results.md (with
 * `published`) after a full run, the page docs/benchmarks.md links to.
 */
export function renderMarkdown(results: BenchResults, published = false): string {
  const parts = [
    `# Benchmark results`,
    '',
    ...(published
      ? [
          '<!-- Written by `npm run bench` (bench/main.ts); do not edit by hand: run it again. -->',
          '',
          `Written by \`npm run bench\`; the method is in [benchmarks.md](benchmarks.md).${results.options.quick || results.options.only.length < ALL_TARGETS.length ? ' **This was a short run** (see the command), not a full one: its figures are a smoke test, not results.' : ''}`,
          '',
        ]
      : []),
    `${machineLine(results)}  `,
    `Command: \`${results.command}\`  `,
    `${settingsLine(results)}.`,
  ];
  for (const [title, table] of sections(results)) parts.push('', `## ${title}`, '', renderMarkdownTable(table));
  return `${parts.join('\n')}\n`;
}
