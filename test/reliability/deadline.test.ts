/**
 * Item 4: a deadline is answered at the deadline, whatever the function's thread is doing. A thread
 * blocked in execFileSync cannot be interrupted; the container is marked dead, its thread left to end
 * in the background, and neither the answer, the next request nor shutdown waits for it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFailed, onTestFinished } from 'vitest';
import { childProcessIds } from '../../src/server/child-processes.ts';
import { startTestServer } from '../server/helpers.ts';
import { reliabilitySite } from './helpers.ts';

/** The `sleep <seconds>` children of this process: the blocked function's native call. */
function sleepers(seconds: string): number[] {
  return childProcessIds().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `sleep\0${seconds}\0`;
    } catch {
      return false;
    }
  });
}

/** Ends the sleep this test started (by pid), so its container thread can end with the test. */
function endSleepers(seconds: string): void {
  for (const pid of sleepers(seconds)) process.kill(pid, 'SIGKILL');
}

describe('a deadline that does not wait for the thread', () => {
  it('answers 502 Task timed out as the clock passes the deadline while the thread is still blocked, and the next request is served', async () => {
    const seconds = '29.125';
    onTestFinished(() => endSleepers(seconds));
    const { url, clock, log } = await startTestServer({ rootDir: reliabilitySite, simulator: { timeoutMs: 2000 } });
    onTestFailed(() => console.log(log.lines.join('\n')));
    const answer = fetch(`${url}/api/blocked`, { headers: { 'x-seconds': seconds } });
    await log.waitFor(/^START RequestId: r1 /);
    // Wait until the thread really is inside the native call.
    while (sleepers(seconds).length === 0) await new Promise((resolve) => setImmediate(resolve));
    clock.advance(2000);
    const res = await answer;
    expect(res.status).toBe(502);
    expect(((await res.json()) as { errorMessage: string }).errorMessage).toMatch(/r1 Task timed out after 2\.00 seconds$/);
    // Still asleep: the answer did not wait for the thread.
    expect(sleepers(seconds)).toHaveLength(1);
    await log.waitFor(/REPORT RequestId: r1\s.*Status: timeout/);
    // The same container serves again, from a fresh thread (a cold start), while the old one is blocked.
    const next = fetch(`${url}/api/blocked`, { headers: { 'x-seconds': '0' } });
    const res2 = await next;
    expect(await res2.text()).toBe('woke up');
    expect(sleepers(seconds)).toHaveLength(1);
  });

  it('close() does not wait for a thread blocked in native code', async () => {
    const seconds = '29.375';
    onTestFinished(() => endSleepers(seconds));
    const { url, running, log } = await startTestServer({ rootDir: reliabilitySite, http: { shutdownGraceMs: 100 } });
    const answer = fetch(`${url}/api/blocked`, { headers: { 'x-seconds': seconds } }).catch((error: Error) => error);
    await log.waitFor(/^START RequestId: r1 /);
    while (sleepers(seconds).length === 0) await new Promise((resolve) => setImmediate(resolve));
    await running.close();
    // Closed while the native call still runs; the request in flight died with its container, and said so.
    expect(sleepers(seconds)).toHaveLength(1);
    expect(log.matching(/WARN \[blocked blocked-\d+\] .*work that is lost with it: GET http:\/\/[^ ]+\/api\/blocked \(request r1, still running\)/)).toHaveLength(1);
    expect(log.matching(/did not stop within 1000 ms/)).toHaveLength(1);
    const outcome = await answer;
    expect(outcome instanceof Error || outcome.status >= 500).toBe(true);
  });
});
