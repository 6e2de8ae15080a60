import { describe, expect, it } from 'vitest';
import { median, parseStatProcessGroup, parseVmRssBytes, percentile, ratio, rssGrowth, rssSettled } from '../../bench/stats.ts';

describe('bench statistics', () => {
  it('takes the middle value of an odd sample and the mean of the two middle values of an even one', () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('interpolates percentiles between ranks and refuses an empty sample', () => {
    const samples = [10, 20, 30, 40, 50];
    expect(percentile(samples, 0)).toBe(10);
    expect(percentile(samples, 100)).toBe(50);
    expect(percentile(samples, 90)).toBeCloseTo(46);
    expect(() => median([])).toThrow(RangeError);
  });

  it('gives no ratio when a side is missing or the denominator is not positive', () => {
    expect(ratio(30, 5)).toBe(6);
    expect(ratio(30, null)).toBeNull();
    expect(ratio(null, 5)).toBeNull();
    expect(ratio(30, 0)).toBeNull();
  });
});

describe('/proc parsing', () => {
  it('reads VmRSS in kB as bytes, and nothing for a process without one', () => {
    const status = 'Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t   123456 kB\nThreads:\t11\n';
    expect(parseVmRssBytes(status)).toBe(123456 * 1024);
    expect(parseVmRssBytes('Name:\tkthreadd\nState:\tS (sleeping)\n')).toBeNull();
  });

  it('finds the process group even when the command name holds spaces and parentheses', () => {
    expect(parseStatProcessGroup('4242 (node) S 1 4200 4200 0 -1 4194560 0')).toBe(4200);
    expect(parseStatProcessGroup('77 (my (odd) name) R 4242 77 77 0 -1')).toBe(77);
  });
});

describe('RSS growth per request', () => {
  it('reports growth over the whole run and over its second half, where one-off growth is over', () => {
    const growth = rssGrowth([
      { requests: 0, rssBytes: 100_000_000 },
      { requests: 5_000, rssBytes: 110_000_000 },
      { requests: 10_000, rssBytes: 112_000_000 },
      { requests: 15_000, rssBytes: 112_500_000 },
      { requests: 20_000, rssBytes: 113_000_000 },
    ]);
    expect(growth.bytesPerRequest).toBeCloseTo(13_000_000 / 20_000);
    expect(growth.steadyBytesPerRequest).toBeCloseTo(1_000_000 / 10_000);
  });

  it('cannot tell growth from a single sample', () => {
    expect(rssGrowth([{ requests: 0, rssBytes: 1 }])).toEqual({ bytesPerRequest: null, steadyBytesPerRequest: null });
  });

  it('counts RSS as settled once a slice grows it by less than 1%, and a shrinking one as settled too', () => {
    const mib = 1048576;
    expect(rssSettled(400 * mib, 410 * mib)).toBe(false); // +2.5%: heaps still sizing up
    expect(rssSettled(400 * mib, 403 * mib)).toBe(true); // +0.75%
    expect(rssSettled(400 * mib, 390 * mib)).toBe(true);
    expect(rssSettled(400 * mib, 410 * mib, 0.05)).toBe(true);
  });
});
