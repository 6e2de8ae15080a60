/**
 * Pure helpers of the benchmark: statistics, ratios and `/proc` parsing.
 * Nothing here touches the network, the clock or the file system, so test/bench can check it directly.
 */

/** The median of `samples` (mean of the two middle values for an even count). Throws on an empty list. */
export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/**
 * The `p`-th percentile (0..100) of `samples`, by linear interpolation between closest ranks,
 * so p50 of an even-sized list is the mean of the two middle values. Throws on an empty list.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile out of range: ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (rank - lower);
}

/** `numerator / denominator`, or `null` when either side is missing or the denominator is not positive. */
export function ratio(numerator: number | null | undefined, denominator: number | null | undefined): number | null {
  if (numerator == null || denominator == null) return null;
  if (!(denominator > 0) || !Number.isFinite(numerator)) return null;
  return numerator / denominator;
}

/**
 * The resident set size, in bytes, from the text of `/proc/<pid>/status` (its `VmRSS:  1234 kB` line).
 * Returns `null` when the line is absent: a zombie or a kernel thread has no VmRSS.
 */
export function parseVmRssBytes(statusText: string): number | null {
  const match = /^VmRSS:\s+(\d+)\s+kB\s*$/m.exec(statusText);
  if (!match) return null;
  return Number(match[1]) * 1024;
}

/**
 * The process group id from the text of `/proc/<pid>/stat`.
 * The second field (the command name) is in parentheses and may itself contain spaces and ')', so the
 * fields are counted from the LAST ')': after it come state, ppid, pgrp.
 */
export function parseStatProcessGroup(statText: string): number | null {
  const end = statText.lastIndexOf(')');
  if (end < 0) return null;
  const fields = statText.slice(end + 1).trim().split(/\s+/);
  const pgrp = Number(fields[2]);
  return Number.isInteger(pgrp) ? pgrp : null;
}

/** Memory samples of a sustained-load run: RSS after warm-up, then after each chunk of requests. */
export interface RssSample {
  /** Requests completed (in the measured run) when this sample was taken. */
  requests: number;
  rssBytes: number;
}

/** How RSS moved over a sustained-load run. */
export interface RssGrowth {
  /** (last - first) / requests over the whole run. */
  bytesPerRequest: number | null;
  /**
   * The same over the second half of the run (from the middle sample to the last). The first chunks also
   * pay for one-off growth (JIT, heap sizing, connection buffers); a leak keeps growing in the second
   * half, a flat server does not.
   */
  steadyBytesPerRequest: number | null;
}

/** Growth per request from RSS samples taken in order. `null` where fewer than two samples or no requests. */
export function rssGrowth(samples: readonly RssSample[]): RssGrowth {
  const perRequest = (from: RssSample | undefined, to: RssSample | undefined): number | null => {
    if (!from || !to) return null;
    const requests = to.requests - from.requests;
    return requests > 0 ? (to.rssBytes - from.rssBytes) / requests : null;
  };
  const first = samples[0];
  const last = samples[samples.length - 1];
  return {
    bytesPerRequest: samples.length >= 2 ? perRequest(first, last) : null,
    steadyBytesPerRequest: samples.length >= 3 ? perRequest(samples[Math.floor((samples.length - 1) / 2)], last) : null,
  };
}

/** Growth of RSS over one settling slice, as a fraction of RSS, below which the heaps count as sized. */
export const SETTLED_RSS_FRACTION = 0.01;

/**
 * Whether RSS has stopped climbing: it grew by less than `fraction` of its earlier value over the last
 * slice of load. A server that shrank counts as settled too.
 */
export function rssSettled(previousBytes: number, currentBytes: number, fraction = SETTLED_RSS_FRACTION): boolean {
  return currentBytes - previousBytes < previousBytes * fraction;
}

/** Formats a number for tables: `null` as an em dash, else `digits` decimals with thousands separators. */
export function formatNumber(value: number | null | undefined, digits = 0): string {
  if (value == null || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Formats a byte count as MiB with one decimal. */
export function formatMiB(bytes: number | null | undefined): string {
  if (bytes == null) return '—';
  return `${formatNumber(bytes / (1024 * 1024), 1)} MiB`;
}

/** Formats a share (0 to 1) as a percentage with no decimals, e.g. `18%`. */
export function formatPercent(share: number | null | undefined): string {
  if (share == null || !Number.isFinite(share)) return '—';
  return `${formatNumber(share * 100)}%`;
}

/** Formats a ratio as `12.3×`, or an em dash when it could not be computed. */
export function formatRatio(value: number | null | undefined): string {
  if (value == null) return '—';
  return `${formatNumber(value, value >= 10 ? 0 : 2)}×`;
}
