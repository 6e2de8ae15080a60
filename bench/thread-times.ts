/**
 * Where a server's CPU time goes during a load run, thread by thread, from `/proc/<pid>/task/*\/stat`.
 * Divided by the requests served, it says how much each request costs the server's main thread, its
 * other threads (ours: the containers and the Blobs backend), V8's helper threads (GC and compilers)
 * and the load generator, which shares the same two cores.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** CPU time of one thread so far, in clock ticks (USER_HZ: 100 per second on Linux). */
export interface ThreadTime {
  /** Thread name (`comm`): Node names its threads, e.g. `WorkerThread`, `V8Worker`, `libuv-worker`. */
  name: string;
  userTicks: number;
  systemTicks: number;
}

/** Microseconds of CPU per request served, by where they were spent. */
export interface CpuPerRequest {
  mainUs: number;
  /** Every other thread of the server process except V8's helpers: worker threads, libuv's pool. */
  otherThreadsUs: number;
  /** V8's platform threads (`V8Worker`): concurrent GC and background compilation for every isolate. */
  v8HelpersUs: number;
  /** The bench process, which runs autocannon. */
  loadGeneratorUs: number;
}

/** /proc's clock ticks per second (USER_HZ), fixed at 100 on Linux whatever the kernel's HZ. */
const TICKS_PER_SECOND = 100;

/** Parses `/proc/<pid>/task/<tid>/stat`; null for anything else. The name may hold spaces and parentheses. */
export function parseTaskStat(text: string): ThreadTime | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  // After ") ": state, ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt, majflt, cmajflt, utime, stime.
  const fields = text.slice(close + 2).split(' ');
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  if (!Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) return null;
  return { name: text.slice(open + 1, close), userTicks, systemTicks };
}

/** Every live thread of process `pid` by thread id; null when the process is gone or /proc is missing. */
export function readThreadTimes(pid: number): Map<number, ThreadTime> | null {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  const threads = new Map<number, ThreadTime>();
  for (const tid of tids) {
    try {
      const time = parseTaskStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      if (time) threads.set(Number(tid), time);
    } catch {
      // The thread ended between readdir and read.
    }
  }
  return threads;
}

/**
 * CPU per request between two readings of process `pid`'s threads. A thread that ended in between
 * loses what it used since the first reading (ours keeps its containers; netlify's v2 workers come and
 * go, so its figure is a lower bound). Null without readings or requests.
 */
export function cpuPerRequest(
  pid: number,
  before: Map<number, ThreadTime> | null,
  after: Map<number, ThreadTime> | null,
  requests: number,
  loadGeneratorCpuUs: number,
): CpuPerRequest | null {
  if (!before || !after || requests <= 0) return null;
  const perRequestUs = (ticks: number): number => (ticks * 1e6) / TICKS_PER_SECOND / requests;
  let main = 0;
  let other = 0;
  let helpers = 0;
  for (const [tid, end] of after) {
    const start = before.get(tid);
    const ticks = end.userTicks + end.systemTicks - (start ? start.userTicks + start.systemTicks : 0);
    if (tid === pid) main += ticks;
    else if (end.name === 'V8Worker') helpers += ticks;
    else other += ticks;
  }
  return { mainUs: perRequestUs(main), otherThreadsUs: perRequestUs(other), v8HelpersUs: perRequestUs(helpers), loadGeneratorUs: loadGeneratorCpuUs / requests };
}
