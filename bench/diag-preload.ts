/**
 * Diagnostic mode of the memory breakdown (bench/memory-breakdown.ts): loaded into every thread of our
 * server with node's `--import` flag (Node runs `--import` modules in the main thread and in every
 * worker started from a file that inherits the flags: the containers and the Blobs thread). Each thread writes its own V8 heap figures to
 * `<dir>/<pid>-<threadId>.json` every 250 ms, so the bench can tell where the process's RSS goes. The
 * directory comes in the module's own URL (`--import file:///…/diag-preload.ts?dir=/tmp/x`), not in
 * the environment: containers get Lambda's environment, not the shell's. A frozen container writes nothing while it waits in `Atomics.wait`; its last file is from just
 * before its freeze, and its heap does not change while frozen.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { isMainThread, threadId, workerData } from 'node:worker_threads';
import type { ThreadHeapReport } from './memory-breakdown.ts';

const dir = new URL(import.meta.url).searchParams.get('dir');
if (dir) {
  const data: unknown = workerData;
  const isContainer = typeof data === 'object' && data !== null && 'bundlePath' in data;
  const role: ThreadHeapReport['role'] = isMainThread ? 'main' : isContainer ? 'container' : 'other';
  const file = join(dir, `${process.pid}-${threadId}.json`);
  const write = (): void => {
    const heap = getHeapStatistics();
    const usage = process.memoryUsage();
    const report: ThreadHeapReport = {
      pid: process.pid,
      threadId,
      role,
      heapPhysicalBytes: heap.total_physical_size,
      heapUsedBytes: heap.used_heap_size,
      heapCommittedBytes: heap.total_heap_size,
      mallocedBytes: heap.malloced_memory,
      externalBytes: usage.external,
      arrayBuffersBytes: usage.arrayBuffers,
    };
    try {
      writeFileSync(file, JSON.stringify(report));
    } catch {
      // The bench removed the directory: it has what it needed.
    }
  };
  write();
  setInterval(write, 250).unref();
}
