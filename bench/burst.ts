/**
 * A burst: many concurrent requests to a function that has no warm container (issue 15: 100, ours
 * against netlify functions:serve, which starts a worker per v2 request). What a developer feels is
 * how long until every request was answered, and what a laptop feels is the peak RSS of the server's
 * whole process group, sampled from /proc while the burst runs.
 */
import { request as httpRequest } from 'node:http';
import { median } from './stats.ts';

/** One request of a burst, timed from the moment the whole burst was sent. */
export interface BurstAnswer {
  /** HTTP status, or 0 when the request failed without one (connection refused, reset, timed out). */
  status: number;
  /** Milliseconds from the burst's start until the answer's body was fully read (or the failure). */
  endMs: number;
}

/** What a burst measured. */
export interface BurstFigures {
  requests: number;
  /** Answered with a 2xx. */
  ok: number;
  /** Everything else, including failures without a status. */
  failed: number;
  statusCounts: Record<string, number>;
  /** From the burst's start until its last answer, ms; null when nothing came back. */
  allAnsweredMs: number | null;
  /** Median time to an answer, ms. */
  medianMs: number | null;
  /** Process-group RSS before the burst, bytes. */
  rssBeforeBytes: number | null;
  /** Highest process-group RSS sampled during the burst (and right after it), bytes. */
  peakRssBytes: number | null;
  /** RSS samples taken. */
  rssSamples: number;
}

/** Reduces a burst's answers and the RSS samples taken during it to {@link BurstFigures}. */
export function summarizeBurst(answers: readonly BurstAnswer[], rssBeforeBytes: number | null, rssSamplesBytes: readonly (number | null)[]): BurstFigures {
  const statusCounts: Record<string, number> = {};
  for (const answer of answers) {
    const key = answer.status === 0 ? 'failed' : String(answer.status);
    statusCounts[key] = (statusCounts[key] ?? 0) + 1;
  }
  const ok = answers.filter((answer) => answer.status >= 200 && answer.status < 300).length;
  const ends = answers.map((answer) => answer.endMs).sort((a, b) => a - b);
  const samples = rssSamplesBytes.filter((sample): sample is number => sample !== null);
  return {
    requests: answers.length,
    ok,
    failed: answers.length - ok,
    statusCounts,
    allAnsweredMs: ends.length > 0 ? (ends[ends.length - 1] as number) : null,
    medianMs: ends.length > 0 ? median(ends) : null,
    rssBeforeBytes,
    peakRssBytes: samples.length > 0 ? Math.max(...samples) : null,
    rssSamples: samples.length,
  };
}

/** One GET on its own connection (no keep-alive pool, so all of them are in flight at once). */
function timedGet(url: string, startedAt: number, timeoutMs: number): Promise<BurstAnswer> {
  return new Promise((resolve) => {
    const done = (status: number): void => resolve({ status, endMs: performance.now() - startedAt });
    const req = httpRequest(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.on('data', () => {});
      res.once('end', () => done(res.statusCode ?? 0));
      res.once('error', () => done(0));
    });
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', () => done(0));
    req.end();
  });
}

/**
 * Sends `count` GETs to `url` at once and samples `readRss` every `sampleEveryMs` until the last one
 * is answered (and once after).
 */
export async function runBurst(url: string, count: number, readRss: () => number | null, options: { sampleEveryMs?: number; timeoutMs?: number } = {}): Promise<BurstFigures> {
  const rssBefore = readRss();
  const samples: Array<number | null> = [];
  const sampler = setInterval(() => samples.push(readRss()), options.sampleEveryMs ?? 20);
  const startedAt = performance.now();
  try {
    const answers = await Promise.all(Array.from({ length: count }, () => timedGet(url, startedAt, options.timeoutMs ?? 180_000)));
    samples.push(readRss());
    return summarizeBurst(answers, rssBefore, samples);
  } finally {
    clearInterval(sampler);
  }
}
