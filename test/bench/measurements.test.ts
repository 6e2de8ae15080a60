import { describe, expect, it } from 'vitest';
import { summarizeBurst } from '../../bench/burst.ts';
import { containerRssRow, largestRow, rssIncrementPerUnit } from '../../bench/rss-per-container.ts';
import { nativeRemainder, parseSmapsRollup, summarizeThreadHeaps, type ThreadHeapReport } from '../../bench/memory-breakdown.ts';
import { answeredVersion, reloadSource, summarizeReloads } from '../../bench/reload.ts';
import { parseVitestOutput } from '../../bench/test-time.ts';

const MiB = 1024 * 1024;

describe('RSS per container', () => {
  it('divides the increment over the shared baseline by how many were alive', () => {
    expect(rssIncrementPerUnit({ baselineBytes: 100 * MiB, afterBytes: 210 * MiB, started: 10 })).toBe(11 * MiB);
    // Fewer containers started than asked for: the increment is theirs alone.
    expect(rssIncrementPerUnit({ baselineBytes: 100 * MiB, afterBytes: 150 * MiB, started: 5 })).toBe(10 * MiB);
    expect(rssIncrementPerUnit({ baselineBytes: 100 * MiB, afterBytes: 100 * MiB, started: 0 })).toBeNull();
  });

  it('pairs containers with bare workers into a ratio, and picks the largest count', () => {
    const side = (mode: 'containers' | 'workers', count: number, afterMiB: number) => ({ mode, count, baselineBytes: 100 * MiB, afterBytes: afterMiB * MiB, started: count, bundleBytes: 379 });
    const ten = containerRssRow(side('containers', 10, 225), side('workers', 10, 200));
    expect(ten).toMatchObject({ count: 10, perContainerBytes: 12.5 * MiB, perWorkerBytes: 10 * MiB, ratio: 1.25 });
    const twenty = containerRssRow(side('containers', 20, 320), side('workers', 20, 300));
    expect(largestRow({ functionName: 'f', bundleBytes: 1, rows: [twenty, ten] })?.count).toBe(20);
    expect(largestRow(null)).toBeNull();
    // A bare side that did not grow gives no ratio rather than infinity.
    expect(containerRssRow(side('containers', 10, 225), side('workers', 10, 100)).ratio).toBeNull();
  });
});

describe('burst', () => {
  it('times the burst to its last answer, counts what was not a 2xx, and keeps the peak RSS sample', () => {
    const figures = summarizeBurst(
      [
        { status: 200, endMs: 120 },
        { status: 200, endMs: 480 },
        { status: 429, endMs: 30 },
        { status: 0, endMs: 900 },
      ],
      200 * MiB,
      [210 * MiB, null, 650 * MiB, 400 * MiB],
    );
    expect(figures).toMatchObject({ requests: 4, ok: 2, failed: 2, allAnsweredMs: 900, medianMs: 300, rssBeforeBytes: 200 * MiB, peakRssBytes: 650 * MiB, rssSamples: 3 });
    expect(figures.statusCounts).toEqual({ '200': 2, '429': 1, failed: 1 });
  });

  it('has no times or peak when nothing came back or nothing was sampled', () => {
    expect(summarizeBurst([], null, [null])).toMatchObject({ requests: 0, allAnsweredMs: null, medianMs: null, peakRssBytes: null, rssSamples: 0 });
  });
});

describe('hot reload', () => {
  it('writes a version into the function and reads it back from the answer, nothing else', () => {
    expect(reloadSource(7)).toContain("new Response('reload version 7')");
    expect(answeredVersion('reload version 7')).toBe(7);
    expect(answeredVersion('reload version 7\n')).toBe(7);
    expect(answeredVersion('{"error":{"code":"X"}}')).toBeNull();
    expect(answeredVersion('reload version 7 and more')).toBeNull();
  });

  it('summarizes the saves that answered as median and p90', () => {
    expect(summarizeReloads([100, 300, 200, 400, 500], 1)).toMatchObject({ medianMs: 300, p90Ms: 460, missed: 1 });
    expect(summarizeReloads([], 3)).toMatchObject({ medianMs: null, p90Ms: null, missed: 3 });
  });
});

describe('memory breakdown', () => {
  it('reads Rss, Pss and Anonymous from smaps_rollup; the rest of Rss is file-backed', () => {
    const text = [
      '55a0c0000000-7ffd1e5f3000 ---p 00000000 00:00 0                          [rollup]',
      'Rss:              362004 kB',
      'Pss:              330000 kB',
      'Pss_Anon:         298000 kB',
      'Anonymous:        298500 kB',
      'Swap:                  0 kB',
    ].join('\n');
    expect(parseSmapsRollup(text)).toEqual({ rssBytes: 362004 * 1024, pssBytes: 330000 * 1024, anonymousBytes: 298500 * 1024, fileBytes: (362004 - 298500) * 1024 });
    expect(parseSmapsRollup('nothing here')).toBeNull();
  });

  it('sums thread heaps by role and leaves what they do not explain as native memory', () => {
    const thread = (role: ThreadHeapReport['role'], heapMiB: number, threadId: number): ThreadHeapReport => ({
      pid: 1,
      threadId,
      role,
      heapPhysicalBytes: heapMiB * MiB,
      heapUsedBytes: (heapMiB / 2) * MiB,
      heapCommittedBytes: heapMiB * MiB,
      mallocedBytes: MiB,
      externalBytes: 2 * MiB,
      arrayBuffersBytes: 0,
    });
    const roles = summarizeThreadHeaps([thread('container', 14, 2), thread('main', 30, 0), thread('container', 16, 3), thread('other', 20, 1)]);
    expect(roles.map((role) => [role.role, role.threads, role.heapPhysicalBytes / MiB, role.mallocedBytes / MiB])).toEqual([
      ['main', 1, 30, 1],
      ['container', 2, 30, 2],
      ['other', 1, 20, 1],
    ]);
    // 200 MiB anonymous, 80 MiB of heaps and 4 MiB of V8 mallocs: 116 MiB is native.
    expect(nativeRemainder(200 * MiB, roles)).toBe(116 * MiB);
  });
});

describe('npm test timing', () => {
  it("reads each file's time from vitest's reporter lines, slowest first, with the totals and the summary", () => {
    const output = [
      '\x1b[32m ✓\x1b[39m test/a.test.ts (2 tests) 500ms',
      ' ❯ test/server/b.test.ts (3 tests | 1 failed) 8000ms',
      '   ✓ a test inside b 12ms',
      ' ✓ test/c.test.ts (1 test) 40ms',
      '',
      ' Test Files  1 failed | 2 passed (3)',
      '      Tests  1 failed | 5 passed (6)',
      '   Duration  9.10s (tests 93%, import 4%, transform 2%)',
    ].join('\n');
    expect(parseVitestOutput(output)).toEqual({
      files: [
        { file: 'test/server/b.test.ts', durationMs: 8_000, tests: 3, failed: 1 },
        { file: 'test/a.test.ts', durationMs: 500, tests: 2, failed: 0 },
        { file: 'test/c.test.ts', durationMs: 40, tests: 1, failed: 0 },
      ],
      tests: 6,
      failedTests: 1,
      vitestDuration: '9.10s (tests 93%, import 4%, transform 2%)',
    });
  });
});
