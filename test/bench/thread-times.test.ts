import { describe, expect, it } from 'vitest';
import { cpuPerRequest, parseTaskStat, readThreadTimes, type ThreadTime } from '../../bench/thread-times.ts';

/** A /proc task stat line with the given name, utime and stime (other fields as the kernel writes them). */
function stat(tid: number, name: string, user: number, system: number): string {
  return `${tid} (${name}) S 1 ${tid} ${tid} 0 -1 4194560 1165 0 0 0 ${user} ${system} 0 0 20 0 12 0 123 0 0`;
}

describe('per-thread CPU of a server (/proc/<pid>/task/*/stat)', () => {
  it('reads the name and the user and system ticks, even when the name holds spaces or parentheses', () => {
    expect(parseTaskStat(stat(7, 'WorkerThread', 120, 30))).toEqual({ name: 'WorkerThread', userTicks: 120, systemTicks: 30 });
    expect(parseTaskStat(stat(7, 'odd (name) x', 5, 6))).toEqual({ name: 'odd (name) x', userTicks: 5, systemTicks: 6 });
    expect(parseTaskStat('not a stat line')).toBeNull();
  });

  it('charges each thread what it used between the readings, per request: main, V8 helpers, the rest, and the load generator', () => {
    const t = (name: string, user: number, system: number): ThreadTime => ({ name, userTicks: user, systemTicks: system });
    const before = new Map([
      [100, t('MainThread', 1000, 500)],
      [101, t('V8Worker', 50, 0)],
      [102, t('WorkerThread', 300, 100)],
      // Ends before the second reading: what it used in between is lost (a lower bound, as documented).
      [103, t('WorkerThread', 10, 0)],
    ]);
    const after = new Map([
      [100, t('MainThread', 1300, 600)], // 400 ticks = 4 s
      [101, t('V8Worker', 60, 10)], // 20 ticks
      [102, t('WorkerThread', 450, 150)], // 200 ticks
      [104, t('libuv-worker', 20, 0)], // new since the first reading: all of its 20 ticks
    ]);
    // 100,000 requests; the bench process spent 2.5 s of CPU on autocannon.
    expect(cpuPerRequest(100, before, after, 100_000, 2_500_000)).toEqual({ mainUs: 40, otherThreadsUs: 22, v8HelpersUs: 2, loadGeneratorUs: 25 });
    expect(cpuPerRequest(100, before, after, 0, 1)).toBeNull();
    expect(cpuPerRequest(100, null, after, 10, 1)).toBeNull();
  });

  it('reads a live process: this one has a main thread whose time only grows', () => {
    const first = readThreadTimes(process.pid);
    for (let i = 0, x = 0; i < 2e6; i++) x += i;
    const second = readThreadTimes(process.pid);
    const main = (times: Map<number, ThreadTime> | null) => times?.get(process.pid);
    expect(main(first)).toBeDefined();
    expect(main(second)!.userTicks + main(second)!.systemTicks).toBeGreaterThanOrEqual(main(first)!.userTicks + main(first)!.systemTicks);
    expect(readThreadTimes(2 ** 22 + 12345)).toBeNull();
  });
});
