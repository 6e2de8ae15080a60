/**
 * The root under the OS temp dir that holds every container's /tmp of one simulator. Its name carries
 * the owning process id (`sim-containers-<pid>-XXXXXX`), so a run that was killed before `close()`
 * (SIGKILL, a crash, a closed terminal) can be recognised by the next one and its directory removed.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PREFIX = 'sim-containers-';
const OWNED = /^sim-containers-(\d+)-/;

/** Creates this simulator's root, named after this process. */
export function createTmpRoot(tmpDir: string = os.tmpdir()): string {
  return mkdtempSync(path.join(tmpDir, `${PREFIX}${process.pid}-`));
}

/** Whether process `pid` is alive (signal 0 checks without sending; EPERM means alive, someone else's). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the roots left by simulators whose process is dead. A root of a live process (this one
 * included) is never touched. Roots without a pid in their name (from before this naming) are left
 * alone: nothing says whether their owner still runs. Returns the directories removed.
 */
export function sweepStaleTmpRoots(tmpDir: string = os.tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(tmpDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = OWNED.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || isAlive(Number(pid))) continue;
    const dir = path.join(tmpDir, name);
    try {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Another starting simulator may be removing it at the same moment, or it is not ours to remove.
    }
  }
  return removed;
}
