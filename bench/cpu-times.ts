/**
 * How the machine's CPUs spent a stretch of time, from the first line of `/proc/stat`. A load run's
 * requests/s mean little without it on a shared 2-core VM: `idle` shows a server that leaves the cores
 * waiting (latency-bound) rather than busy, and `steal` shows the host taking time from this VM, which
 * slows every server of that run alike.
 */
import { readFileSync } from 'node:fs';

/** Cumulative CPU time counters (clock ticks, all CPUs together), in /proc/stat's order. */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

/** Shares (0 to 1) of all CPU time between two readings. */
export interface CpuShares {
  /** Idle or waiting for I/O. */
  idle: number;
  /** Taken by the hypervisor for other guests. */
  steal: number;
}

/** Parses the aggregate `cpu` line of /proc/stat; null when it is not one. */
export function parseCpuLine(line: string): CpuTimes | null {
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== 'cpu' || fields.length < 9) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.slice(1, 9).map(Number) as [number, number, number, number, number, number, number, number];
  if (![user, nice, system, idle, iowait, irq, softirq, steal].every(Number.isFinite)) return null;
  return { user, nice, system, idle, iowait, irq, softirq, steal };
}

/** The counters now; null where /proc/stat cannot be read (not Linux). */
export function readCpuTimes(): CpuTimes | null {
  try {
    return parseCpuLine(readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '');
  } catch {
    return null;
  }
}

/** How the time between `before` and `after` was spent; null when either is missing or no time passed. */
export function cpuShares(before: CpuTimes | null, after: CpuTimes | null): CpuShares | null {
  if (!before || !after) return null;
  const delta = (key: keyof CpuTimes): number => after[key] - before[key];
  const keys: Array<keyof CpuTimes> = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'];
  const total = keys.reduce((sum, key) => sum + delta(key), 0);
  if (total <= 0) return null;
  return { idle: (delta('idle') + delta('iowait')) / total, steal: delta('steal') / total };
}
