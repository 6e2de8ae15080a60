/**
 * Load generation with autocannon's programmatic API, reduced to the figures the report shows.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon, { type Result } from 'autocannon';
import { cpuShares, readCpuTimes, type CpuShares } from './cpu-times.ts';
import { cpuPerRequest, readThreadTimes, type CpuPerRequest } from './thread-times.ts';

/** What one load run measured. */
export interface LoadFigures {
  url: string;
  connections: number;
  /** Completed requests. */
  requests: number;
  durationS: number;
  /** Completed requests over the run's duration (not the mean of per-second samples, which a short run skews). */
  requestsPerS: number;
  /** Whole milliseconds (autocannon's histogram resolution); null when no request completed. */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  latencyMaxMs: number | null;
  /** Connection errors, including timeouts. */
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCounts: Record<string, number>;
  /** Mean response size (headers and body), to show every server answered with a comparable payload. */
  bytesPerResponse: number | null;
  /** How the machine's CPUs spent the run (load generator and server together); null off Linux. */
  cpu?: CpuShares | null;
  /** The server's and the load generator's CPU per request, when the server's process id was given. */
  cpuPerRequest?: CpuPerRequest | null;
}

/** How long a run lasts: a fixed duration, or a number of requests bounded by a time cap. */
export type LoadLength = { kind: 'duration'; durationS: number } | { kind: 'requests'; requests: number; capS: number };

/** Reduces an autocannon result to {@link LoadFigures}. */
export function toLoadFigures(result: Result, connections: number): LoadFigures {
  const statusCounts: Record<string, number> = {};
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) statusCounts[status] = Number(stats.count);
  const requests = result.requests.total;
  return {
    url: result.url,
    connections,
    requests,
    durationS: result.duration,
    requestsPerS: result.duration > 0 ? requests / result.duration : 0,
    // With nothing completed autocannon reports 0 ms, which would read as "fast".
    latencyP50Ms: requests > 0 ? result.latency.p50 : null,
    latencyP99Ms: requests > 0 ? result.latency.p99 : null,
    latencyMaxMs: requests > 0 ? result.latency.max : null,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCounts,
    bytesPerResponse: requests > 0 ? result.throughput.total / requests : null,
  };
}

/**
 * Drives `url` with `connections` keep-alive connections of GET requests for `length`. Given the
 * server's process id, a timed run also reports its CPU per request (see thread-times.ts).
 */
export async function runLoad(url: string, connections: number, length: LoadLength, serverPid?: number): Promise<LoadFigures> {
  // netlify's v2 path can take seconds per request under load; 30 s keeps slow answers from counting as errors.
  const common = { url, connections, timeout: 30 };
  if (length.kind === 'duration') {
    const machineBefore = readCpuTimes();
    const threadsBefore = serverPid === undefined ? null : readThreadTimes(serverPid);
    const ownBefore = process.cpuUsage();
    const result = await autocannon({ ...common, duration: length.durationS });
    const own = process.cpuUsage(ownBefore);
    const threadsAfter = serverPid === undefined ? null : readThreadTimes(serverPid);
    const figures = toLoadFigures(result, connections);
    figures.cpu = cpuShares(machineBefore, readCpuTimes());
    if (serverPid !== undefined) figures.cpuPerRequest = cpuPerRequest(serverPid, threadsBefore, threadsAfter, figures.requests, own.user + own.system);
    await drainPause(figures);
    return figures;
  }
  const instance = autocannon({ ...common, amount: length.requests });
  // `amount` overrides `duration` in autocannon, so a slow server is bounded here: stop() ends the run
  // and the result covers the requests completed so far.
  const cap = setTimeout(() => instance.stop(), length.capS * 1000);
  try {
    return toLoadFigures(await instance, connections);
  } finally {
    clearTimeout(cap);
  }
}

/** Longest pause {@link drainPause} makes. */
const MAX_DRAIN_PAUSE_MS = 5000;

/**
 * Waits after a run that ended on time rather than on a request count. autocannon then closes its
 * connections with up to one request each still in flight, and a server works on: in ours those
 * invocations keep their containers busy, so the next run's first requests found every container busy
 * and cold-started new ones (measured: 18 containers for 10 connections after eight 5 s slices of
 * collect, and RSS 923 MiB instead of about 575). Twice the slowest answer of the run, at least 100 ms.
 */
async function drainPause(figures: LoadFigures): Promise<void> {
  const slowestMs = figures.latencyMaxMs ?? 0;
  await sleep(Math.min(MAX_DRAIN_PAUSE_MS, Math.max(100, 2 * slowestMs)));
}
