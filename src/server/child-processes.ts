import { readdirSync, readFileSync } from 'node:fs';

/**
 * The process ids whose parent is this process (Linux: from /proc; elsewhere none are found).
 * A container thread blocked in `execFileSync` waits for such a child, and no thread can be stopped
 * while it waits: killing the child is what lets the thread, and so the process, end.
 */
export function childProcessIds(parentPid: number = process.pid): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 is the parent pid; field 2 (the command) may hold spaces and parentheses, so count from its end.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parentPid) children.push(Number(entry));
    } catch {
      // Gone since the directory was listed.
    }
  }
  return children;
}

/** Sends SIGKILL to every child of this process; returns how many were signalled. */
export function killChildProcesses(): number {
  let killed = 0;
  for (const pid of childProcessIds()) {
    try {
      process.kill(pid, 'SIGKILL');
      killed += 1;
    } catch {
      // Already gone.
    }
  }
  return killed;
}
