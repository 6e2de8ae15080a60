import { describe, expect, it } from 'vitest';
import { ALL_TARGETS, BenchOptionsError, parseBenchOptions } from '../../bench/options.ts';

describe('bench options', () => {
  it('runs every target for 10 s with 10 connections and a 20,000-request memory run by default', () => {
    const options = parseBenchOptions([], {});
    expect(options).toMatchObject({ durationS: 10, rounds: 3, connections: 10, memoryRequests: 20_000, only: ALL_TARGETS, quick: false });
    expect(options.coldStarts).toBeGreaterThanOrEqual(20);
  });

  it('lets flags override --quick and the environment', () => {
    expect(parseBenchOptions(['--quick', '--duration', '5'], { BENCH_DURATION_S: '7' }).durationS).toBe(5);
    expect(parseBenchOptions(['--quick'], { BENCH_DURATION_S: '7' }).durationS).toBe(7);
    expect(parseBenchOptions(['--quick'], {}).durationS).toBeLessThan(parseBenchOptions([], {}).durationS);
  });

  it('settles for at most 60 s before the memory run by default, 3 s in a quick run, and not at all with --memory-settle 0', () => {
    expect(parseBenchOptions([], {})).toMatchObject({ memorySettleCapS: 60, memorySettleSliceS: 5 });
    expect(parseBenchOptions(['--quick'], {})).toMatchObject({ memorySettleCapS: 3, memorySettleSliceS: 1 });
    expect(parseBenchOptions(['--memory-settle', '0'], {}).memorySettleCapS).toBe(0);
    expect(() => parseBenchOptions(['--memory-settle', '-1'], {})).toThrow(BenchOptionsError);
  });

  it('selects targets with --only', () => {
    expect(parseBenchOptions(['--only', 'ours,cold-start'], {}).only).toEqual(['ours', 'cold-start']);
    expect(parseBenchOptions([], { BENCH_ONLY: 'bare' }).only).toEqual(['bare']);
  });

  it('rejects unknown targets and flags, bad numbers, and fewer than 20 cold starts', () => {
    expect(() => parseBenchOptions(['--only', 'wrk'], {})).toThrow(BenchOptionsError);
    expect(() => parseBenchOptions(['--fast'], {})).toThrow(/unknown argument/);
    expect(() => parseBenchOptions(['--duration', 'ten'], {})).toThrow(/positive number/);
    expect(() => parseBenchOptions(['--duration'], {})).toThrow(/positive number/);
    expect(() => parseBenchOptions(['--cold-starts', '10'], {})).toThrow(/at least 20/);
  });

  it('bursts 100 requests, compares 10 and 20 containers, and times 5 start-ups and 12 saves by default', () => {
    expect(parseBenchOptions([], {})).toMatchObject({ burstRequests: 100, containerCounts: [10, 20], startupRuns: 5, reloadSaves: 12 });
    expect(parseBenchOptions(['--quick'], {})).toMatchObject({ burstRequests: 100, containerCounts: [10], startupRuns: 1, reloadSaves: 3 });
    expect(parseBenchOptions(['--startup-runs', '3', '--reload-saves', '20'], {})).toMatchObject({ startupRuns: 3, reloadSaves: 20 });
    expect(() => parseBenchOptions(['--reload-saves', '0'], {})).toThrow(BenchOptionsError);
    expect(parseBenchOptions(['--only', 'floor,burst,startup,reload,container-rss,breakdown,test-time'], {}).only).toHaveLength(7);
  });

  it('publishes to docs/benchmarks-results.md after a full run only, unless told otherwise', () => {
    expect(parseBenchOptions([], {}).publish).toBe(true);
    expect(parseBenchOptions(['--rounds', '5'], {}).publish).toBe(true);
    expect(parseBenchOptions(['--quick'], {}).publish).toBe(false);
    expect(parseBenchOptions(['--only', 'ours,bare'], {}).publish).toBe(false);
    expect(parseBenchOptions([], { BENCH_ONLY: 'cold-start' }).publish).toBe(false);
    expect(parseBenchOptions(['--quick', '--publish'], {}).publish).toBe(true);
    expect(parseBenchOptions(['--no-publish'], {}).publish).toBe(false);
  });
});
