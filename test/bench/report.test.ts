import { describe, expect, it } from 'vitest';
import type { LoadFigures } from '../../bench/load.ts';
import { parseBenchOptions } from '../../bench/options.ts';
import { checkTargets, computeRatios, ratioRounds, renderMarkdown, type BenchResults, type LoadRun } from '../../bench/report.ts';

function figures(requestsPerS: number, failures = 0): LoadFigures {
  return {
    url: 'http://127.0.0.1:1/x',
    connections: 10,
    requests: requestsPerS * 10,
    durationS: 10,
    requestsPerS,
    latencyP50Ms: 1,
    latencyP99Ms: 3,
    latencyMaxMs: 9,
    errors: 0,
    timeouts: 0,
    non2xx: failures,
    statusCounts: { '200': requestsPerS * 10 - failures },
    bytesPerResponse: 150,
  };
}

const load: LoadRun[] = [
  { server: 'ours', scenario: 'hello-world', status: 'ok', figures: figures(12_000) },
  { server: 'netlify', scenario: 'hello-world', status: 'ok', figures: figures(1_500) },
  {
    server: 'bare',
    scenario: 'hello-world',
    status: 'ok',
    figures: { ...figures(24_000), cpu: { idle: 0.121, steal: 0.008 }, cpuPerRequest: { mainUs: 17.26, otherThreadsUs: 0, v8HelpersUs: 0.4, loadGeneratorUs: 25.04 } },
  },
  { server: 'floor', scenario: 'hello-world', status: 'ok', figures: figures(16_000) },
  { server: 'ours', scenario: 'collect-get', status: 'ok', figures: figures(4_000, 2) },
  { server: 'netlify', scenario: 'collect-get', status: 'not-available', reason: 'netlify-cli is not installed\nlong log tail' },
];

describe('bench report', () => {
  it('divides our requests/s by the anchor and the ceiling, and leaves a ratio out when a side is missing', () => {
    expect(computeRatios(load)).toEqual({
      helloOursOverNetlify: 8,
      helloOursOverFloor: 0.75,
      helloFloorWorkOverFloor: null,
      helloOursOverFloorWork: null,
      helloOursOverBare: 0.5,
      collectOursOverNetlify: null,
      collectOursOverBare: null,
    });
  });

  it('takes each ratio as the median of its per-round values, pairing runs of the same round', () => {
    const round = (n: number, ours: number, netlify: number): LoadRun[] => [
      { server: 'ours', scenario: 'hello-world', round: n, status: 'ok', figures: figures(ours) },
      { server: 'netlify', scenario: 'hello-world', round: n, status: 'ok', figures: figures(netlify) },
    ];
    // Round 2 ran on a busier machine: both sides slower, its ratio in line with the others.
    const rounds = [...round(1, 12_000, 2_000), ...round(2, 6_000, 1_200), ...round(3, 14_000, 2_000)];
    expect(ratioRounds(rounds).helloOursOverNetlify).toEqual([6, 5, 7]);
    expect(computeRatios(rounds).helloOursOverNetlify).toBe(6);
    // A round with one side missing gives no ratio, and the others still count.
    const missing = rounds.filter((run) => !(run.round === 3 && run.server === 'netlify'));
    expect(ratioRounds(missing).helloOursOverNetlify).toEqual([6, 5]);
    expect(computeRatios(missing).helloOursOverNetlify).toBe(5.5);
  });

  it('takes ours / the floor per round too, and the median of those', () => {
    const round = (n: number, ours: number, floor: number): LoadRun[] => [
      { server: 'ours', scenario: 'hello-world', round: n, status: 'ok', figures: figures(ours) },
      { server: 'floor', scenario: 'hello-world', round: n, status: 'ok', figures: figures(floor) },
    ];
    const rounds = [...round(1, 8_000, 10_000), ...round(2, 4_000, 10_000), ...round(3, 9_000, 10_000)];
    expect(ratioRounds(rounds).helloOursOverFloor).toEqual([0.8, 0.4, 0.9]);
    expect(computeRatios(rounds).helloOursOverFloor).toBe(0.8);
    const met = checkTargets({ load: rounds, memory: [], coldStart: null, warmOverhead: null, ratios: computeRatios(rounds) });
    expect(met.find((t) => t.name === 'hello-world: ours / the floor requests/s')).toMatchObject({ met: true, measured: '0.80×' });
  });

  it("splits ours / the floor into the behaviour's cost (the floor with the simulator's work / the floor) and the plumbing's (ours / that)", () => {
    const round = (n: number, ours: number, work: number, floor: number): LoadRun[] => [
      { server: 'ours', scenario: 'hello-world', round: n, status: 'ok', figures: figures(ours) },
      { server: 'floor-work', scenario: 'hello-world', round: n, status: 'ok', figures: figures(work) },
      { server: 'floor', scenario: 'hello-world', round: n, status: 'ok', figures: figures(floor) },
    ];
    const rounds = [...round(1, 6_000, 7_500, 10_000), ...round(2, 3_000, 4_000, 5_000)];
    expect(ratioRounds(rounds).helloFloorWorkOverFloor).toEqual([0.75, 0.8]);
    expect(ratioRounds(rounds).helloOursOverFloorWork).toEqual([0.8, 0.75]);
    expect(computeRatios(rounds)).toMatchObject({ helloOursOverFloor: 0.6, helloFloorWorkOverFloor: 0.775, helloOursOverFloorWork: 0.775 });
  });

  it('checks the issue targets: met, not met, or not measured', () => {
    const ratios = computeRatios(load);
    const targets = checkTargets({ load, memory: [], coldStart: null, warmOverhead: null, ratios });
    const byName = Object.fromEntries(targets.map((t) => [t.name, t.met]));
    expect(byName['hello-world (v1): ours / netlify requests/s']).toBe(true);
    // 12,000 against the floor's 16,000: 0.75×, short of 0.8×. Bare node:http is context, not a target.
    expect(byName['hello-world: ours / the floor requests/s']).toBe(false);
    expect(Object.keys(byName).some((name) => name.includes('bare node'))).toBe(false);
    expect(byName['collect GET (v2): ours / netlify requests/s']).toBeNull();
    // Two non-2xx answers in our collect run break "no error responses during the load runs".
    expect(byName['ours: no errors or non-2xx during load runs']).toBe(false);
  });

  it('counts a run in which our server died as failing, and keeps it out of the ratios', () => {
    const crashed: LoadRun[] = [
      { server: 'ours', scenario: 'hello-world', status: 'failed', reason: 'ours exited (exit code 1)', figures: figures(900) },
      { server: 'netlify', scenario: 'hello-world', status: 'ok', figures: figures(100) },
    ];
    const ratios = computeRatios(crashed);
    expect(ratios.helloOursOverNetlify).toBeNull();
    const targets = checkTargets({ load: crashed, memory: [], coldStart: null, warmOverhead: null, ratios });
    const noErrors = targets.find((t) => t.name === 'ours: no errors or non-2xx during load runs');
    expect(noErrors).toMatchObject({ met: false, measured: '0 (server died in 1 run)' });
  });

  it('renders a Markdown table with the machine, and says why a run is not available', () => {
    const ratios = computeRatios(load);
    const partial = { load, memory: [], coldStart: null, warmOverhead: null, containerRss: null, burst: [], startup: null, reload: null, breakdown: null, testTime: null, ratios };
    const results: BenchResults = {
      schemaVersion: 2,
      startedAt: '2026-11-27T00:10:00.000Z',
      finishedAt: '2026-11-27T00:14:00.000Z',
      command: 'npm run bench',
      machine: { nproc: 2, cpuModel: 'AMD EPYC', node: '24.21.0', platform: 'linux x64', totalMemoryBytes: 1, loadAverage: { start: 0.5, end: 2.25 } },
      options: parseBenchOptions([], {}),
      ...partial,
      targets: checkTargets(partial),
    };
    const markdown = renderMarkdown(results);
    expect(markdown).toContain('2026-11-27 00:10 UTC · 2 cores (AMD EPYC) · Node 24.21.0 · linux x64 · load average 0.5 → 2.3');
    expect(markdown).toContain('| hello-world (v1) GET | ours (npm start) | 1 | 12,000 |');
    // Where the CPU went, only for the runs where it was read.
    expect(markdown).toContain('| hello-world (v1) GET | bare node:http | 1 | 17.3 | 0.0 | 0.4 | 25.0 | 12% | 1% |');
    expect(markdown.match(/^\| hello-world \(v1\) GET \| bare node:http \| 1 \|/gm)).toHaveLength(2);
    expect(markdown.match(/^\| hello-world \(v1\) GET \| ours \(npm start\) \| 1 \|/gm)).toHaveLength(1);
    expect(markdown).toContain('| collect (v2) GET | netlify functions:serve --offline | 1 | not available [1] |');
    expect(markdown).toContain('[1] not-available: netlify-cli is not installed');
    expect(markdown).not.toContain('long log tail');
    expect(markdown).not.toContain('Written by');
    expect(markdown).toContain('## Targets\n');

    // The tracked page says where it came from, and flags a run that was not a full one.
    const published = renderMarkdown(results, true);
    expect(published).toContain('Written by `npm run bench`');
    expect(published).toContain('[benchmarks.md](benchmarks.md)');
    expect(published).not.toContain('short run');
    const quick = renderMarkdown({ ...results, command: 'npm run bench -- --quick --publish', options: parseBenchOptions(['--quick', '--publish'], {}) }, true);
    expect(quick).toContain('**This was a short run**');
    expect(quick).toContain('Command: `npm run bench -- --quick --publish`');
  });
});
