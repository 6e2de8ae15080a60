/**
 * The container of the floor with the simulator's work (bench/floor-work-server.ts): the floor's
 * worker (bench/floor-container.ts) plus what a container must do for one warm v1 invocation to keep
 * the behaviour the simulator promises, with none of its plumbing. It decodes the invocation from the
 * simulator's own wire format and builds the v1 event with Netlify's platform headers, the Blobs field
 * and the Lambda context with the project's own functions (invoke-wire.ts, invocation-input.ts,
 * v1-blobs.ts, v1-context.ts), so the handler gets the same input; it runs the real handler inside an
 * `AsyncLocalStorage` run (how work a handler starts is traced to its request) and measures the
 * duration and the memory REPORT prints; then it posts the result and freezes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { wireRequestId, type InvokeWire } from '../src/sim/invoke-wire.ts';
import type { V1Event, V1Result } from '../src/sim/protocol.ts';
import { invocationInput } from '../src/sim/runtime/invocation-input.ts';
import { withBlobsField } from '../src/sim/runtime/v1-blobs.ts';
import { buildV1Context } from '../src/sim/runtime/v1-context.ts';

/** What the server hands each container at start. */
export interface FloorWorkData {
  flag: SharedArrayBuffer;
  functionPath: string;
  functionName: string;
  /** Parts of the work left out (see bench/floor-work-server.ts). */
  without: string[];
}

/** The answer and the freeze, in one message. */
export type FloorWorkAnswer = [requestId: string, durationMs: number, maxMemoryUsedMb: number, result: V1Result];

const data = workerData as FloorWorkData;
const port = parentPort;
if (!port) throw new Error('the container must run in a worker thread');
const flag = new Int32Array(data.flag);
const { handler } = (await import(data.functionPath)) as { handler: (event: unknown, context: unknown) => Promise<V1Result> };
const tracking = new AsyncLocalStorage<string>();
const without = new Set(data.without);

port.on('message', (wire: InvokeWire) => {
  const startedMs = performance.now();
  const requestId = wireRequestId(wire);
  const deadlineMs = wire[2];
  // The simulator's own decoding and v1 event (invocation-input.ts): the same work, the same event.
  const event = without.has('event') ? {} : withBlobsField(invocationInput(wire, 'v1').event as V1Event, process.env['NETLIFY_BLOBS_CONTEXT']);
  const context = without.has('event') ? {} : buildV1Context({ functionName: data.functionName, memoryLimitMb: 1024, requestId, deadlineMs, authorization: undefined, siteUrl: undefined }, false);
  void (without.has('tracking') ? handler(event, context) : tracking.run(requestId, () => handler(event, context))).then((result) => {
    const usedMb = without.has('memory') ? 0 : Math.ceil(getHeapStatistics().used_heap_size / (1024 * 1024));
    const answer: FloorWorkAnswer = [requestId, performance.now() - startedMs, usedMb, result];
    // As the floor: the flag is cleared before the answer is posted, so a thaw racing ahead is never lost.
    Atomics.store(flag, 0, 0);
    port.postMessage(answer);
    Atomics.wait(flag, 0, 0);
  });
});
