import { describe, expect, it } from 'vitest';
import { medianFigures, roundTripFigures, type RoundTripOutput } from '../../bench/round-trip.ts';

const output = (side: 'ours' | 'floor', invocations: number, mainTicks: number, containerTicks: number, v8HelperTicks = 0): RoundTripOutput => ({
  side,
  concurrency: 10,
  invocations,
  seconds: 5,
  mainTicks,
  containerTicks,
  v8HelperTicks,
});

describe('round trip figures', () => {
  it('turns clock ticks into microseconds of CPU per invocation, by thread kind', () => {
    // 100,000 invocations; 60 ticks (0.6 s) on main, 100 on the containers, 10 on V8's helpers.
    const figures = roundTripFigures(output('ours', 100_000, 60, 100, 10), 1);
    expect(figures.invocationsPerSecond).toBe(20_000);
    expect(figures.mainUs).toBeCloseTo(6, 6);
    expect(figures.containersUs).toBeCloseTo(10, 6);
    expect(figures.v8HelpersUs).toBeCloseTo(1, 6);
    expect(figures.totalUs).toBeCloseTo(17, 6);
  });

  it('reports no figure rather than infinity when nothing was invoked', () => {
    expect(roundTripFigures(output('floor', 0, 5, 5), 1).mainUs).toBeNaN();
  });

  it('takes the median of each figure over one side only', () => {
    const runs = [roundTripFigures(output('ours', 100_000, 60, 100), 1), roundTripFigures(output('ours', 100_000, 80, 120), 2), roundTripFigures(output('ours', 100_000, 70, 90), 3), roundTripFigures(output('floor', 100_000, 30, 60), 1)];
    const ours = medianFigures(runs, 'ours');
    expect(ours?.mainUs).toBeCloseTo(7, 6);
    expect(ours?.containersUs).toBeCloseTo(10, 6);
    expect(medianFigures(runs, 'floor')?.totalUs).toBeCloseTo(9, 6);
    expect(medianFigures(runs.slice(0, 3), 'floor')).toBeNull();
  });
});
