import { describe, expect, it } from 'vitest';
import type { BurstFigures } from '../../bench/burst.ts';
import type { ContainerRssFigures, ProbeOutput } from '../../bench/rss-per-container.ts';
import { containerRssRow } from '../../bench/rss-per-container.ts';
import { checkTargets, computeRatios, type BurstRun, type TargetInputs } from '../../bench/report.ts';
import { summarizeReloads } from '../../bench/reload.ts';
import { summarizeStartups } from '../../bench/startup.ts';

const MiB = 1024 * 1024;

function probe(mode: ProbeOutput['mode'], count: number, perUnitMiB: number): ProbeOutput {
  return { mode, count, baselineBytes: 100 * MiB, afterBytes: 100 * MiB + count * perUnitMiB * MiB, started: count, bundleBytes: 379 };
}

function burstFigures(allAnsweredMs: number, peakRssMiB: number, failed = 0): BurstFigures {
  return { requests: 100, ok: 100 - failed, failed, statusCounts: { '200': 100 - failed }, allAnsweredMs, medianMs: allAnsweredMs / 2, rssBeforeBytes: 200 * MiB, peakRssBytes: peakRssMiB * MiB, rssSamples: 50 };
}

function inputs(extra: Partial<TargetInputs>): TargetInputs {
  return { load: [], memory: [], coldStart: null, warmOverhead: null, ratios: computeRatios([]), ...extra };
}

function verdicts(extra: Partial<TargetInputs>): Record<string, boolean | null> {
  return Object.fromEntries(checkTargets(inputs(extra)).map((t) => [t.name.replace(/ \(\d+ each\)$/, ''), t.met]));
}

describe('issue 15 targets', () => {
  it('judges RSS per container on the row with the most containers', () => {
    const figures: ContainerRssFigures = {
      functionName: 'hello-world',
      bundleBytes: 379,
      // 10 containers cost 1.4× a bare worker each, 20 only 1.2×: the larger count wins.
      rows: [containerRssRow(probe('containers', 10, 14), probe('workers', 10, 10)), containerRssRow(probe('containers', 20, 12), probe('workers', 20, 10))],
    };
    const check = checkTargets(inputs({ containerRss: { status: 'ok', figures } })).find((t) => t.name.startsWith('RSS per warm container'));
    expect(check).toMatchObject({ met: true, name: expect.stringContaining('(20 each)'), measured: '1.20× (12.0 MiB vs 10.0 MiB)' });
    const worse: ContainerRssFigures = { ...figures, rows: [containerRssRow(probe('containers', 20, 13), probe('workers', 20, 10))] };
    expect(verdicts({ containerRss: { status: 'ok', figures: worse } })['RSS per warm container / per bare worker importing the same bundle']).toBe(false);
    expect(verdicts({})['RSS per warm container / per bare worker importing the same bundle']).toBeNull();
  });

  it('needs ours to finish a burst sooner, with every answer a 2xx, and to peak lower than netlify', () => {
    const run = (server: BurstRun['server'], figures: BurstFigures): BurstRun => ({ server, status: 'ok', functionName: 'collect', figures });
    const time = 'burst to a cold v2 function: time to all answered, ours / netlify';
    const peak = 'burst to a cold v2 function: peak process-group RSS, ours / netlify';
    const faster = verdicts({ burst: [run('ours', burstFigures(2_000, 900)), run('netlify', burstFigures(30_000, 2_500))] });
    expect(faster[time]).toBe(true);
    expect(faster[peak]).toBe(true);
    const heavier = verdicts({ burst: [run('ours', burstFigures(2_000, 3_000)), run('netlify', burstFigures(30_000, 2_500))] });
    expect(heavier[peak]).toBe(false);
    // Fast because it refused part of the burst: that is not "all answered".
    const refused = verdicts({ burst: [run('ours', burstFigures(2_000, 900, 40)), run('netlify', burstFigures(30_000, 2_500))] });
    expect(refused[time]).toBe(false);
    // One side missing: nothing to compare.
    const alone = verdicts({ burst: [run('ours', burstFigures(2_000, 900)), { server: 'netlify', status: 'failed', reason: 'x', functionName: 'collect' }] });
    expect(alone[time]).toBeNull();
    expect(alone[peak]).toBeNull();
  });

  it('compares start-up medians and holds the hot reload median to 300 ms with no missed save', () => {
    const startup = summarizeStartups('/.netlify/functions/hello-world', { ours: [900, 1_200, 1_000], 'netlify-dev': [7_000, 9_000, 8_000] }, []);
    expect(startup.medianMs).toEqual({ ours: 1_000, 'netlify-dev': 8_000 });
    expect(startup.ratio).toBe(0.125);
    const startupName = 'npm start → first answer / netlify dev → first answer (medians)';
    expect(verdicts({ startup: { status: 'ok', figures: startup } })[startupName]).toBe(true);
    const slow = summarizeStartups('/x', { ours: [3_000], 'netlify-dev': [8_000] }, []);
    expect(verdicts({ startup: { status: 'ok', figures: slow } })[startupName]).toBe(false);
    expect(summarizeStartups('/x', { ours: [1_000], 'netlify-dev': [] }, ['netlify-dev: exited']).ratio).toBeNull();

    const reloadName = 'hot reload: save → the new code answers (median)';
    expect(verdicts({ reload: { status: 'ok', figures: summarizeReloads([200, 250, 400], 0) } })[reloadName]).toBe(true);
    expect(verdicts({ reload: { status: 'ok', figures: summarizeReloads([200, 250, 400], 1) } })[reloadName]).toBe(false);
    expect(verdicts({ reload: { status: 'ok', figures: summarizeReloads([280, 320, 350], 0) } })[reloadName]).toBe(false);
  });

  it('wants npm test under 60 s with nothing failing', () => {
    const name = 'npm test wall time on this machine';
    const figures = { wallMs: 45_000, exitCode: 0, files: 40, tests: 300, failedTests: 0, sumOfFilesMs: 80_000, vitestDuration: null, slowest: [] };
    expect(verdicts({ testTime: { status: 'ok', figures } })[name]).toBe(true);
    expect(verdicts({ testTime: { status: 'ok', figures: { ...figures, wallMs: 61_000 } } })[name]).toBe(false);
    expect(verdicts({ testTime: { status: 'ok', figures: { ...figures, failedTests: 1, exitCode: 1 } } })[name]).toBe(false);
  });
});
