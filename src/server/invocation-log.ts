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
