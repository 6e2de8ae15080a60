import type { InvocationReport, PendingWork } from '../sim/api.ts';

/** Lambda's START line, logged once a container took the request (so it can name the container). */
export function formatStart(start: { requestId: string; containerId: string; coldStart: boolean }, functionName: string): string {
  return `START RequestId: ${start.requestId} Version: $LATEST Function: ${functionName} Container: ${start.containerId}${start.coldStart ? ' (cold)' : ''}`;
}

/** Lambda's END line. */
export function formatEnd(report: InvocationReport): string {
  return `END RequestId: ${report.requestId}`;
}

/**
 * Lambda's REPORT line, plus the container id (Lambda has no such field; locally it is the whole point).
 * `Init Duration` appears on cold starts only, and `Status` only when the invocation did not end 'ok',
 * as Lambda prints `Status: timeout`.
 */
export function formatReport(report: InvocationReport): string {
  // One template rather than an array joined: this runs for every request on the server's busiest thread.
  const init = report.coldStart && report.initDurationMs !== undefined ? `\tInit Duration: ${report.initDurationMs.toFixed(2)} ms` : '';
  const status = report.outcome === 'ok' ? '' : `\tStatus: ${report.outcome}`;
  return `REPORT RequestId: ${report.requestId}\tContainer: ${report.containerId}\tDuration: ${report.durationMs.toFixed(2)} ms\tBilled Duration: ${report.billedDurationMs} ms\tMemory Size: ${report.memorySizeMb} MB\tMax Memory Used: ${report.maxMemoryUsedMb} MB${init}${status}`;
}

/**
 * The warning for work left in flight when a container froze, for example:
 * "container c2 froze with 1 pending request (POST http://…/collect) from request r7; it resumes only
 * when c2 is invoked again". This is the seed article's bug made visible: nothing else tells you that
 * a fire-and-forget request is parked in a frozen container.
 */
export function formatPendingWarning(report: InvocationReport): string | undefined {
  const pending = report.pendingAtFreeze;
  if (pending.length === 0) return undefined;
  const requests = pending.filter((work) => work.kind === 'http-request');
  const timers = pending.filter((work) => work.kind === 'timer');
  const groups: string[] = [];
  if (requests.length > 0) groups.push(`${plural(requests.length, 'pending request')} (${requests.map(describeRequest).join(', ')})`);
  if (timers.length > 0) groups.push(`${plural(timers.length, 'pending timer')} (${timers.map(describeTimer).join(', ')})`);
  const origins = [...new Set(pending.map((work) => work.requestId))];
  const from = `${origins.length === 1 ? 'request' : 'requests'} ${origins.join(', ')}`;
  const id = report.containerId;
  return `container ${id} froze with ${groups.join(' and ')} from ${from}; it resumes only when ${id} is invoked again`;
}

function describeRequest(work: PendingWork): string {
  return [work.method, work.url].filter((part) => part !== undefined).join(' ') || 'unknown request';
}

function describeTimer(work: PendingWork): string {
  const delay = work.delayMs === undefined ? 'timer' : `${work.delayMs} ms`;
  return work.timerApi === undefined ? delay : `${work.timerApi} ${delay}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** What one access line says about a request. */
export interface AccessEntry {
  method: string;
  /** Path and query as the client sent them. */
  path: string;
  status: number;
  /** From the request's arrival to the last byte of the response (or the client hanging up), real ms. */
  durationMs: number;
  /** Set when a function served it. */
  requestId?: string;
  containerId?: string;
  coldStart?: boolean;
  /** True when the client went away before the response was complete. */
  aborted?: boolean;
  /** Set when a static file served it (its path inside the publish directory). */
  staticFile?: string;
}

/**
 * One access line per request, the line a person scans: what was asked, what it answered, how long it
 * took, and which container served it, cold or warm. Examples:
 * `POST /api/send-data-unawaited 200 4.21 ms r1 send-data-unawaited-1 cold`,
 * `GET / 200 0.48 ms static index.html`, `GET /api/nope 404 0.12 ms`.
 * The duration is the whole request as the client saw it (body upload and streaming included); REPORT's
 * Duration is the handler's alone, as Lambda measures it.
 */
export function formatAccess(entry: AccessEntry): string {
  let line = `${entry.method} ${entry.path} ${entry.status} ${entry.durationMs.toFixed(2)} ms`;
  if (entry.requestId !== undefined) line += ` ${entry.requestId}`;
  if (entry.containerId !== undefined) line += ` ${entry.containerId} ${entry.coldStart ? 'cold' : 'warm'}`;
  else if (entry.requestId !== undefined) line += ' no-container';
  if (entry.staticFile !== undefined) line += ` static ${entry.staticFile}`;
  if (entry.aborted) line += ' (client gone)';
  return line;
}
