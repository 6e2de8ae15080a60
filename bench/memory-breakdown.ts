/**
 * Where our server's process-group RSS goes after hello-world load (issue 15 asked about the 700 MB):
 * the kernel's view from `/proc/<pid>/smaps_rollup` (anonymous memory against file-backed pages such
 * as node's own code) and each thread's V8 heap, written by bench/diag-preload.ts, grouped into the
 * main thread, the containers and the other workers (the Blobs thread). What the heaps do not explain
 * is native memory: glibc's per-thread malloc arenas, thread stacks, V8's code and Node's buffers.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { runLoad } from './load.ts';
import { freePort, ServerProcess } from './proc.ts';
import { parseStatProcessGroup } from './stats.ts';
import { planServer } from './targets.ts';
import { firstOk } from './startup.ts';

/** What diag-preload.ts writes for one thread. */
export interface ThreadHeapReport {
  pid: number;
  threadId: number;
  /** `main`: the server's main thread; `container`: a function's container; `other`: any other worker (the Blobs thread). */
  role: 'main' | 'container' | 'other';
  /** V8 heap pages actually resident. */
  heapPhysicalBytes: number;
  heapUsedBytes: number;
  heapCommittedBytes: number;
  /** V8's own malloc'ed memory outside the heap. */
  mallocedBytes: number;
  /** Memory of JS objects held outside the heap (Buffers, ArrayBuffers), per isolate. */
  externalBytes: number;
  arrayBuffersBytes: number;
}

/** One role's threads, summed. */
export interface RoleHeaps {
  role: ThreadHeapReport['role'];
  threads: number;
  heapPhysicalBytes: number;
  heapUsedBytes: number;
  mallocedBytes: number;
  externalBytes: number;
}

/** The kernel's view of one process, from smaps_rollup. */
export interface SmapsRollup {
  rssBytes: number;
  pssBytes: number;
  anonymousBytes: number;
  /** Rss - Anonymous: pages backed by files (node's binary, shared libraries), mostly shared with other node processes. */
  fileBytes: number;
}

export interface MemoryBreakdown {
  /** Load before the reading. */
  loadRequests: number;
  processes: Array<SmapsRollup & { pid: number; command: string }>;
  groupRssBytes: number;
  roles: RoleHeaps[];
  /** Anonymous RSS of the server process that no V8 heap (physical) or V8 malloc accounts for. */
  nativeRemainderBytes: number;
}

/** Parses `/proc/<pid>/smaps_rollup` (`Rss:  1234 kB` lines). Null when it has no Rss line. */
export function parseSmapsRollup(text: string): SmapsRollup | null {
  const field = (name: string): number | null => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : null;
  };
  const rss = field('Rss');
  if (rss === null) return null;
  const anonymous = field('Anonymous') ?? 0;
  return { rssBytes: rss, pssBytes: field('Pss') ?? rss, anonymousBytes: anonymous, fileBytes: Math.max(0, rss - anonymous) };
}

/** Sums thread reports by role, in the order main, container, other. */
export function summarizeThreadHeaps(reports: readonly ThreadHeapReport[]): RoleHeaps[] {
  const roles: Array<ThreadHeapReport['role']> = ['main', 'container', 'other'];
  return roles
    .map((role) => {
      const mine = reports.filter((report) => report.role === role);
      const sum = (key: keyof ThreadHeapReport): number => mine.reduce((total, report) => total + (report[key] as number), 0);
      return { role, threads: mine.length, heapPhysicalBytes: sum('heapPhysicalBytes'), heapUsedBytes: sum('heapUsedBytes'), mallocedBytes: sum('mallocedBytes'), externalBytes: sum('externalBytes') };
    })
    .filter((role) => role.threads > 0);
}

/** Anonymous memory of the process that the V8 heaps and V8's mallocs of its threads leave unexplained. */
export function nativeRemainder(anonymousBytes: number, roles: readonly RoleHeaps[]): number {
  return anonymousBytes - roles.reduce((total, role) => total + role.heapPhysicalBytes + role.mallocedBytes, 0);
}

function groupProcesses(pgid: number): Array<{ pid: number; command: string }> {
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (parseStatProcessGroup(stat) !== pgid) continue;
      found.push({ pid: Number(entry), command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/**
 * Starts ours with diag-preload.ts in every thread, drives hello-world with `connections` for
 * `durationS` (as a load run does), then reads the breakdown.
 */
export async function runMemoryBreakdown(projectRoot: string, logPath: string, connections: number, durationS: number, progress: (line: string) => void): Promise<MemoryBreakdown> {
  const plan = planServer('ours', projectRoot);
  if (!plan.available) throw new Error(plan.reason);
  const diagDir = mkdtempSync(join(tmpdir(), 'bench-diag-'));
  const port = await freePort();
  const preload = pathToFileURL(join(projectRoot, 'bench', 'diag-preload.ts'));
  preload.searchParams.set('dir', diagDir);
  const planned = plan.command(port, logPath);
  // A node flag, not NODE_OPTIONS: workers inherit the process's flags, while NODE_OPTIONS would reach
  // only workers whose environment holds it, and containers get Lambda's environment, not the shell's.
  const server = ServerProcess.start({ ...planned, args: [`--import=${preload.href}`, ...planned.args] });
  try {
    const url = `http://127.0.0.1:${port}/.netlify/functions/hello-world`;
    await firstOk(server, url, 60_000);
    const figures = await runLoad(url, connections, { kind: 'duration', durationS });
    // Every thread writes every 250 ms; a second is enough for each to have written since the load ended.
    await delay(1_000);
    const processes = groupProcesses(server.pid).flatMap(({ pid, command: name }) => {
      try {
        const rollup = parseSmapsRollup(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
        return rollup ? [{ pid, command: name, ...rollup }] : [];
      } catch {
        return [];
      }
    });
    const reports = readdirSync(diagDir)
      .filter((file) => file.startsWith(`${server.pid}-`))
      .flatMap((file) => {
        try {
          return [JSON.parse(readFileSync(join(diagDir, file), 'utf8')) as ThreadHeapReport];
        } catch {
          return [];
        }
      });
    const roles = summarizeThreadHeaps(reports);
    const own = processes.find((candidate) => candidate.pid === server.pid);
    const breakdown: MemoryBreakdown = {
      loadRequests: figures.requests,
      processes,
      groupRssBytes: processes.reduce((total, candidate) => total + candidate.rssBytes, 0),
      roles,
      nativeRemainderBytes: own ? nativeRemainder(own.anonymousBytes, roles) : 0,
    };
    progress(`memory breakdown: group RSS ${(breakdown.groupRssBytes / 1048576).toFixed(0)} MiB after ${figures.requests} requests; ${roles.map((role) => `${role.role} ×${role.threads} ${(role.heapPhysicalBytes / 1048576).toFixed(0)} MiB heap`).join(', ')}`);
    return breakdown;
  } finally {
    await server.stop();
    rmSync(diagDir, { recursive: true, force: true });
  }
}
