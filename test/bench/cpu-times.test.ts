import { describe, expect, it } from 'vitest';
import { cpuShares, parseCpuLine, readCpuTimes } from '../../bench/cpu-times.ts';
import { formatPercent } from '../../bench/stats.ts';

describe('CPU shares of a load run (/proc/stat)', () => {
  it('reads the aggregate cpu line and ignores a per-CPU or malformed one', () => {
    expect(parseCpuLine('cpu  1030550 3895 237906 1275061 14127 0 29311 2009 0 0')).toEqual({
      user: 1030550,
      nice: 3895,
      system: 237906,
      idle: 1275061,
      iowait: 14127,
      irq: 0,
      softirq: 29311,
      steal: 2009,
    });
    expect(parseCpuLine('cpu0 1 2 3 4 5 6 7 8 0 0')).toBeNull();
    expect(parseCpuLine('cpu 1 2 three 4 5 6 7 8')).toBeNull();
    expect(parseCpuLine('cpu 1 2 3')).toBeNull();
  });

  it('splits the time between two readings into idle (with I/O wait) and steal', () => {
    const before = parseCpuLine('cpu 1000 0 500 2000 100 0 50 10 0 0');
    // 1,000 ticks pass: 600 busy (user+system+softirq), 300 idle, 50 iowait, 50 steal.
    const after = parseCpuLine('cpu 1400 0 650 2300 150 0 100 60 0 0');
    expect(cpuShares(before, after)).toEqual({ idle: 0.35, steal: 0.05 });
    expect(formatPercent(0.35)).toBe('35%');
    // Nothing to divide by, or a reading missing (not Linux): no shares rather than a wrong 0%.
    expect(cpuShares(before, before)).toBeNull();
    expect(cpuShares(null, after)).toBeNull();
  });

  it('reads this machine (Linux) and counts forward', () => {
    const first = readCpuTimes();
    expect(first).not.toBeNull();
    const second = readCpuTimes();
    expect(second!.idle + second!.user).toBeGreaterThanOrEqual(first!.idle + first!.user);
  });
});
