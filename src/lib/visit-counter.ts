import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtomicJsonFile, type StoreProblem } from './tmp-store.ts';

/** The counter document. */
export interface VisitsDocument {
  visits: number;
}

/** What {@link countVisit} reports. */
export interface VisitCount {
  visits: number;
  /** Set when the previous file was corrupt or unreadable and was replaced (counting restarted at 1). */
  recovered?: { problem: StoreProblem; message: string };
}

function isVisitsDocument(value: unknown): value is VisitsDocument {
  return (
    typeof value === 'object' &&
    value !== null &&
    'visits' in value &&
    typeof value.visits === 'number' &&
    Number.isSafeInteger(value.visits) &&
    value.visits >= 0
  );
}

/**
 * Where the counter lives: under `os.tmpdir()`, read at each call (never a hard-coded /tmp), so a
 * container's own TMPDIR (as the simulator sets it) applies.
 */
export function defaultVisitsPath(): string {
  return join(tmpdir(), 'stateful-serverless', 'tmp-counter.json');
}

/**
 * Adds one visit to the counter file and returns the new count. A missing file starts at 1; a corrupt
 * or unreadable one is reported in `recovered` and replaced, never a crash.
 * Read-modify-write is not atomic across writers; that is fine here because a container serves one
 * invocation at a time, and each container has its own /tmp.
 */
export async function countVisit(path: string = defaultVisitsPath()): Promise<VisitCount> {
  const file = new AtomicJsonFile(path, isVisitsDocument);
  const current = await file.read();
  const visits = current.status === 'ok' ? current.value.visits + 1 : 1;
  await file.write({ visits });
  if (current.status === 'corrupt' || current.status === 'unreadable') {
    return { visits, recovered: { problem: current.status, message: current.message } };
  }
  return { visits };
}
